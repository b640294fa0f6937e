package io.herald.example;

import java.util.LinkedHashMap;
import java.util.Map;

import io.herald.client.ConfigChange;
import io.herald.spring.HeraldListener;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Reads the Herald namespace payments.prod as ordinary Spring configuration (see
 * application.properties) and shows it at GET /config. Change a key in Herald and the next GET
 * shows the new value; a value that fails validation is rejected and the old one stays.
 */
@SpringBootApplication
@EnableConfigurationProperties(ExampleApplication.PaymentsProperties.class)
public class ExampleApplication {

  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }

  /** Herald keys payments/limit and payments/currency. */
  @ConfigurationProperties("payments")
  @Validated
  public static class PaymentsProperties {
    @Min(1)
    @Max(1000)
    private int limit = 10;
    @NotBlank
    private String currency = "EUR";

    public int getLimit() {
      return limit;
    }

    public void setLimit(int limit) {
      this.limit = limit;
    }

    public String getCurrency() {
      return currency;
    }

    public void setCurrency(String currency) {
      this.currency = currency;
    }
  }

  @RestController
  static class ConfigController {
    private final PaymentsProperties payments;
    /** Herald key greeting (with a default when the namespace has none). */
    @Value("${greeting:hello}")
    private String greeting;

    ConfigController(PaymentsProperties payments) {
      this.payments = payments;
    }

    @GetMapping("/config")
    Map<String, Object> config() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("payments.limit", payments.getLimit());
      out.put("payments.currency", payments.getCurrency());
      out.put("greeting", greeting);
      return out;
    }
  }

  @Component
  static class ChangeLog {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);

    /** Runs before the new values are visible; throwing here would reject the version. */
    @HeraldListener(namespace = "payments.prod")
    void onChange(ConfigChange change) {
      LOG.info("payments.prod {} -> {}: {}", change.fromVersion(), change.toVersion(), change.changes().keySet());
    }
  }
}
