package io.herald.hub;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;

import java.util.function.BooleanSupplier;

/** Liveness, readiness and Prometheus metrics; these three need no token. */
final class HealthEndpoint {

  private final Pool pool;
  private final PrometheusMeterRegistry registry;
  private final String nodeId;
  private final BooleanSupplier clusterReady;

  HealthEndpoint(Pool pool, PrometheusMeterRegistry registry, String nodeId, BooleanSupplier clusterReady) {
    this.pool = pool;
    this.registry = registry;
    this.nodeId = nodeId;
    this.clusterReady = clusterReady;
  }

  void addRoutes(Router router) {
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up").put("node", nodeId)));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
  }

  private void ready(RoutingContext ctx) {
    boolean cluster = clusterReady.getAsBoolean();
    pool.query("SELECT 1").execute()
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS)
        .onComplete(ar -> {
          boolean db = ar.succeeded();
          boolean ready = db && cluster;
          ctx.response().setStatusCode(ready ? 200 : 503);
          ctx.json(new JsonObject()
              .put("status", ready ? "ready" : "not_ready")
              .put("node", nodeId)
              .put("database", db ? "up" : "down")
              .put("cluster", cluster ? "up" : "down"));
        });
  }
}
