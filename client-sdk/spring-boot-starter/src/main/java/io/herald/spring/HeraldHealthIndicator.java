package io.herald.spring;

import java.util.LinkedHashMap;
import java.util.Map;

import io.herald.client.ClientStatus;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code /actuator/health/herald}: UP while the client follows a hub; UNKNOWN while it does not (the
 * application keeps running on the version it has, so this never pulls the application's health
 * DOWN). Details: client id, mode, connected endpoint, each namespace's version, whether it comes
 * from the local cache, its last rejection; the last error; why start-up ran from the cache.
 */
public final class HeraldHealthIndicator implements HealthIndicator {

  private final HeraldRuntime runtime;

  public HeraldHealthIndicator(HeraldRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public Health health() {
    ClientStatus s = runtime.client().status();
    Health.Builder h = s.connected() ? Health.up() : Health.unknown();
    h.withDetail("clientId", s.clientId()).withDetail("mode", s.mode().name().toLowerCase())
        .withDetail("connected", s.connected());
    if (s.endpoint() != null) {
      h.withDetail("endpoint", s.endpoint());
    }
    Map<String, Object> namespaces = new LinkedHashMap<>();
    s.namespaces().forEach((ns, n) -> {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("version", n.version());
      d.put("fromCache", n.fromCache());
      if (n.lastRejection() != null) {
        d.put("lastRejection", Map.of("version", n.lastRejection().version(), "error", n.lastRejection().message(),
            "at", n.lastRejection().at().toString()));
      }
      if (n.lastSync() != null) {
        d.put("lastSync", n.lastSync().toString());
      }
      namespaces.put(ns, d);
    });
    h.withDetail("namespaces", namespaces);
    if (s.lastError() != null) {
      h.withDetail("lastError", Map.of("kind", s.lastError().kind().name(), "message", s.lastError().message(),
          "at", s.lastError().at().toString()));
    }
    if (!runtime.degradedStart().isEmpty()) {
      h.withDetail("startedWithoutHub", runtime.degradedStart());
    }
    return h.build();
  }
}
