package io.herald.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.herald.client.ConfigChange;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.validation.annotation.Validated;

/** A small Spring Boot application reading Herald the way services do. */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableConfigurationProperties({TestApp.Payments.class, TestApp.Pool.class})
class TestApp {

  @Bean
  Greeter greeter() {
    return new Greeter();
  }

  @Bean
  Recorder recorder() {
    return new Recorder();
  }

  /** {@code payments.*}: Herald keys {@code payments/currency}, {@code payments/limit}, {@code payments/hosts}. */
  @ConfigurationProperties("payments")
  @Validated
  static class Payments {
    @NotBlank
    private String currency = "EUR";
    @Min(1)
    @Max(1000)
    private int limit = 10;
    private List<String> hosts = new ArrayList<>();
    private String region = "default";

    public String getCurrency() {
      return currency;
    }

    public void setCurrency(String currency) {
      this.currency = currency;
    }

    public int getLimit() {
      return limit;
    }

    public void setLimit(int limit) {
      this.limit = limit;
    }

    public List<String> getHosts() {
      return hosts;
    }

    public void setHosts(List<String> hosts) {
      this.hosts = hosts;
    }

    public String getRegion() {
      return region;
    }

    public void setRegion(String region) {
      this.region = region;
    }
  }

  /** {@code db.pool.*}: the Herald key {@code db/pool} holding {@code {"size": 10, "timeout": "5s"}}. */
  @ConfigurationProperties("db.pool")
  static class Pool {
    private int size;
    private Duration timeout = Duration.ofSeconds(1);

    public int getSize() {
      return size;
    }

    public void setSize(int size) {
      this.size = size;
    }

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }
  }

  /** {@code @Value} on a field and on a setter. */
  static class Greeter {
    @Value("${greeting.text:hello}")
    volatile String text;
    volatile int retries;

    @Value("${feature.retries:1}")
    void setRetries(int retries) {
      this.retries = retries;
    }
  }

  /** Records every change of app.prod; rejects a version that sets {@code reject/me} to true. */
  static class Recorder {
    final List<ConfigChange> changes = new CopyOnWriteArrayList<>();
    final List<HeraldChangeAppliedEvent> applied = new CopyOnWriteArrayList<>();

    @org.springframework.context.event.EventListener
    void onApplied(HeraldChangeAppliedEvent event) {
      applied.add(event);
    }

    @HeraldListener(namespace = "app.prod")
    void onChange(ConfigChange change) {
      if (Boolean.TRUE.equals(change.next().asMap().get("reject/me"))) {
        throw new IllegalArgumentException("reject/me is set");
      }
      changes.add(change);
    }
  }
}
