package io.herald.hub;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;


/** The routes that need no token: liveness, readiness, Prometheus metrics and the API's description. */
final class HealthEndpoint {

  private final Pool pool;
  private final PrometheusMeterRegistry registry;
  private final String nodeId;
  private final ClusterStatus cluster;

  HealthEndpoint(Pool pool, PrometheusMeterRegistry registry, String nodeId, ClusterStatus cluster) {
    this.pool = pool;
    this.registry = registry;
    this.nodeId = nodeId;
    this.cluster = cluster;
  }

  void addRoutes(Router router) {
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up").put("node", nodeId)));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    // docs/openapi.yaml, copied into the jar at build time (hub/pom.xml).
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .sendFile("herald/openapi.yaml").onFailure(ctx::fail));
  }

  private void ready(RoutingContext ctx) {
    boolean joined = cluster.joined();
    pool.query("SELECT 1").execute()
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS)
        .onComplete(ar -> {
          boolean db = ar.succeeded();
          boolean ready = db && joined;
          ctx.response().setStatusCode(ready ? 200 : 503);
          ctx.json(new JsonObject()
              .put("status", ready ? "ready" : "not_ready")
              .put("node", nodeId)
              .put("database", db ? "up" : "down")
              .put("cluster", joined ? "up" : "down")
              .put("cluster_members", cluster.members()));
        });
  }
}
