package io.herald.spring;

import java.util.List;
import java.util.stream.Collectors;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires an application that imported Herald ({@code spring.config.import=herald:...}): live
 * {@code @Value} and {@code @ConfigurationProperties}, {@link HeraldListener} methods, the
 * {@code herald} health indicator and the client's meters in the application's registries.
 */
@AutoConfiguration
public class HeraldAutoConfiguration {

  @Bean
  static HeraldBeanTracker heraldBeanTracker() {
    return new HeraldBeanTracker();
  }

  /** Once every singleton exists, versions go through the refresher. */
  @Bean
  SmartInitializingSingleton heraldAttach(ConfigurableApplicationContext context, HeraldBeanTracker tracker,
                                          ObjectProvider<HeraldRuntime> runtime) {
    return () -> {
      HeraldRuntime r = runtime.getIfAvailable();
      List<HeraldBeanTracker.Listener> listeners = tracker.listeners();
      if (r == null) {
        if (!listeners.isEmpty()) {
          throw new IllegalStateException("@HeraldListener methods (" + listeners.stream()
              .map(HeraldBeanTracker.Listener::describe).collect(Collectors.joining(", "))
              + ") but spring.config.import has no herald: location");
        }
        return;
      }
      for (HeraldBeanTracker.Listener l : listeners) {
        if (!r.propertySources().containsKey(l.namespace())) {
          throw new IllegalStateException("@HeraldListener " + l.describe() + " listens to namespace '" + l.namespace()
              + "', which is not imported; add it to spring.config.import=herald:... (imported: "
              + r.propertySources().keySet() + ")");
        }
      }
      r.attach(new HeraldRefresher(context, tracker));
    };
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  @ConditionalOnBean(HeraldRuntime.class)
  static class Metrics {

    /** Adds the application's registries to the client's composite once they exist. */
    @Bean
    SmartInitializingSingleton heraldMeters(HeraldRuntime runtime,
                                            ObjectProvider<io.micrometer.core.instrument.MeterRegistry> registries) {
      return () -> {
        if (runtime.meters() != null) {
          registries.orderedStream().forEach(runtime.meters()::add);
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnBean(HeraldRuntime.class)
  static class Health {

    @Bean
    @org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator("herald")
    HeraldHealthIndicator heraldHealthIndicator(HeraldRuntime runtime) {
      return new HeraldHealthIndicator(runtime);
    }
  }
}
