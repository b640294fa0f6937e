package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;


/**
 * One HTTP/WebSocket server instance; the hub deploys one per event loop, all sharing the port, so
 * connections and their fan-out spread over every core. The verticle only assembles endpoints.
 */
final class HttpVerticle extends VerticleBase {

  private final HubOptions options;
  private final Pool pool;
  private final HubMetrics metrics;
  private final ClusterStatus cluster;
  private Fanout fanout;
  private ClientStateWriter clientState;
  private RolloutEndpoint rollout;
  private HttpServer server;
  /** Every route this verticle answers; OpenApiTest compares them with docs/openapi.yaml. */
  Router router;
  private io.vertx.core.eventbus.MessageConsumer<String> revokedConsumer;

  private final TokenLimits limits;

  HttpVerticle(HubOptions options, Pool pool, HubMetrics metrics, ClusterStatus cluster, TokenLimits limits) {
    this.limits = limits;
    this.options = options;
    this.pool = pool;
    this.metrics = metrics;
    this.cluster = cluster;
  }

  @Override
  public Future<?> start() {
    ConfigStore store = new ConfigStore(pool);
    ClientStateStore clients = new ClientStateStore(pool);
    clientState = new ClientStateWriter(vertx, clients, metrics, options.ackFlushIntervalMs());
    fanout = new Fanout(vertx, store, clients, metrics, clientState, options);
    rollout = new RolloutEndpoint(vertx, store, clients, fanout);

    router = Router.router(vertx);
    ErrorHandler errors = new ErrorHandler();
    router.route().failureHandler(errors);
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      router.errorHandler(status, errors);
    }
    new HealthEndpoint(pool, metrics.registry, options.nodeId(), cluster).addRoutes(router);
    io.herald.db.TokenStore tokens = new io.herald.db.TokenStore(pool);
    AuthHandler auth = new AuthHandler(options.adminToken(), tokens);
    router.route("/v1/*").handler(auth);
    revokedConsumer = vertx.eventBus().<String>consumer(TokensEndpoint.REVOKED, msg -> {
      auth.evict(msg.body());
      fanout.revoked(msg.body());
    });
    new TokensEndpoint(vertx, tokens).addRoutes(router);
    new NamespaceEndpoint(store, this::committed, limits).addRoutes(router);
    new PushEndpoint(fanout, store, limits).addRoutes(router);
    rollout.addRoutes(router);
    // The admin page (static files from the jar), GET only so that a wrong method on an API path
    // stays a 405; unknown paths fall through to the JSON 404.
    router.get("/*").handler(io.vertx.ext.web.handler.StaticHandler.create("webroot"));

    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(options.host())
        .setPort(options.httpPort())
        .setMaxWebSocketFrameSize(options.maxFrameBytes())
        .setMaxWebSocketMessageSize(options.maxFrameBytes())
        .setTcpNoDelay(true)
        // Connections with no traffic either way are closed; WebSockets stay busy with pings.
        .setIdleTimeout(options.httpIdleTimeoutSeconds())
        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
    if (options.tls()) {
      serverOptions.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
          .setCertPath(options.tlsCertPath()).setKeyPath(options.tlsKeyPath()));
    }
    return Future.all(fanout.start(), revokedConsumer.completion())
        .compose(v -> vertx.createHttpServer(serverOptions).requestHandler(router).listen())
        .onSuccess(s -> server = s);
  }

  private void committed(Revision r) {
    metrics.revisionsCommitted.increment();
    RevisionBus.publish(vertx, r);
  }

  @Override
  public Future<?> stop() {
    // Say goodbye with 1001, stop listening, then make the last client states durable.
    return fanout.stop()
        .transform(ar -> server == null ? Future.succeededFuture() : server.close())
        .transform(ar -> clientState.drain());
  }

}
