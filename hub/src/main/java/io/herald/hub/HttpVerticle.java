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
  private RolloutTracker rollouts;
  private HttpServer server;
  /** Every route this verticle answers; OpenApiTest compares them with docs/openapi.yaml. */
  Router router;
  private io.vertx.core.eventbus.MessageConsumer<String> revokedConsumer;

  private final TokenLimits limits;
  private final SchemaGate.Owners owners;
  private SchemaGate gate;

  private final FailureLog failures;
  private final FrameCheck.Published published;
  private HeaderDeadline deadline;

  private final RolloutControl rolloutControl;

  HttpVerticle(HubOptions options, Pool pool, HubMetrics metrics, ClusterStatus cluster, TokenLimits limits,
               FailureLog failures, FrameCheck.Published published, RolloutControl rolloutControl) {
    this(options, pool, metrics, cluster, limits, failures, published, rolloutControl, new SchemaGate.Owners());
  }

  /** {@code owners}: the schema gates of every verticle of the hub (one namespace, one owner). */
  HttpVerticle(HubOptions options, Pool pool, HubMetrics metrics, ClusterStatus cluster, TokenLimits limits,
               FailureLog failures, FrameCheck.Published published, RolloutControl rolloutControl,
               SchemaGate.Owners owners) {
    this.rolloutControl = rolloutControl;
    this.owners = owners;
    this.limits = limits;
    this.published = published;
    this.failures = failures;
    this.options = options;
    this.pool = pool;
    this.metrics = metrics;
    this.cluster = cluster;
  }

  @Override
  public Future<?> start() {
    ConfigStore store = new ConfigStore(pool);
    ClientStateStore clients = new ClientStateStore(pool);
    clientState = new ClientStateWriter(vertx, new ClientStateWriter.Store() {
      @Override
      public Future<java.util.List<ClientStateStore.Refusal>> upsert(java.util.Collection<io.herald.db.ClientRow> rows) {
        return clients.upsert(rows, options.maxClientRowsPerToken());
      }

      @Override
      public Future<java.util.List<io.herald.db.ClientRow>> updateAcks(java.util.Collection<io.herald.db.ClientRow> rows) {
        return clients.updateAcks(rows);
      }
    }, metrics, options.ackFlushIntervalMs(), failures);
    rollouts = new RolloutTracker(vertx, store, clients, options::pullStaleCutoffMillis);
    fanout = new Fanout(vertx, store, metrics, clientState, options, rollouts, failures, published);
    clientState.onRefused(fanout::refused);
    fanout.rolloutRegistry = rolloutControl.registry;
    fanout.rolloutControl = rolloutControl;

    router = Router.router(vertx);
    ErrorHandler errors = new ErrorHandler(failures);
    router.route().failureHandler(errors);
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      router.errorHandler(status, errors);
    }
    new HealthEndpoint(pool, metrics.registry, options.nodeId(), cluster).addRoutes(router);
    io.herald.db.TokenStore tokens = new io.herald.db.TokenStore(pool);
    AuthHandler auth = new AuthHandler(options.adminToken(), tokens);
    router.route("/v1/*").handler(auth);
    revokedConsumer = vertx.eventBus().<String>consumer(Addresses.TOKEN_REVOKED, msg -> {
      auth.evict(msg.body());
      fanout.revoked(msg.body());
    });
    new TokensEndpoint(vertx, tokens).addRoutes(router);
    HttpClientEndpoint httpClients = new HttpClientEndpoint(store, clientState, options, metrics);
    SchemaCheck schemaCheck = new SchemaCheck(vertx);
    io.herald.db.SchemaStore schemaStore = new io.herald.db.SchemaStore(pool);
    gate = new SchemaGate(vertx, store, schemaStore, schemaCheck, owners, metrics.writesWaiting);
    new NamespaceEndpoint(store, gate, this::committed, limits, httpClients, rolloutControl, schemaStore, schemaCheck)
        .addRoutes(router);
    new SchemaEndpoint(schemaStore, schemaCheck, gate).addRoutes(router);
    new PushEndpoint(fanout, store, limits, httpClients).addRoutes(router);
    httpClients.addRoutes(router);
    new RolloutEndpoint(store, clients, rollouts, options, rolloutControl).addRoutes(router);
    new RolloutsEndpoint(vertx, rolloutControl, clients, options).addRoutes(router);
    // The admin page (static files from the jar), GET only so that a wrong method on an API path
    // stays a 405; unknown paths fall through to the JSON 404.
    router.get("/*").handler(HttpVerticle::noCacheForPages)
        .handler(io.vertx.ext.web.handler.StaticHandler.create("webroot"));

    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(options.host())
        .setPort(options.httpPort())
        .setMaxWebSocketFrameSize(options.maxFrameBytes())
        .setMaxWebSocketMessageSize(options.maxFrameBytes())
        .setTcpNoDelay(true)
        // HTTP/1.1 and WebSocket only: no cleartext HTTP/2 detection, so a connection is handed to
        // us (and its header deadline starts) as soon as it is accepted.
        .setHttp2ClearTextEnabled(false)
        // Connections with no traffic either way are closed; WebSockets stay busy with pings.
        .setIdleTimeout(options.httpIdleTimeoutSeconds())
        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
    if (options.tls()) {
      serverOptions.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
          .setCertPath(options.tlsCertPath()).setKeyPath(options.tlsKeyPath()));
    }
    deadline = new HeaderDeadline(vertx, options.httpHeaderTimeoutMs());
    deadline.start();
    return Future.all(fanout.start(), rollouts.start(), revokedConsumer.completion())
        .compose(v -> vertx.createHttpServer(serverOptions)
            .connectionHandler(deadline::connected)
            .requestHandler(req -> {
              deadline.requestStarted(req);
              handle(router, req);
            })
            .listen())
        .onSuccess(s -> server = s);
  }

  /** Browser hygiene for every answer (API, admin page, errors); see docs/security.md. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private static void handle(Router router, io.vertx.core.http.HttpServerRequest req) {
    io.vertx.core.MultiMap headers = req.response().headers();
    headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    headers.set("X-Frame-Options", "DENY");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    String uri = req.uri();
    if (!Requests.wellEncoded(uri)) {
      // The router would fail decoding it and answer a bare 500.
      req.response().setStatusCode(400).putHeader("Content-Type", "application/json")
          .end(ApiException.badRequest("bad_request",
              "the request URI holds a malformed percent-encoding (% must be followed by two hex digits)").body().encode());
      return;
    }
    router.handle(req);
  }

  /** The page itself is never cached, so an upgraded hub's page is seen at once; its assets may be. */
  private static void noCacheForPages(io.vertx.ext.web.RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (path.equals("/") || path.endsWith(".html")) {
      ctx.response().putHeader("Cache-Control", "no-cache");
    }
    ctx.next();
  }

  /** {@code changesText}: the write's changes as {@link RevisionBus#seal} encoded them, null for a rollback. */
  private void committed(Revision r, String changesText) {
    publish(vertx, metrics, published, failures, r, changesText);
  }

  /** Publishes a committed revision to every node (a write's, a rollback's, or one a rollout wrote). */
  static void publish(io.vertx.core.Vertx vertx, HubMetrics metrics, FrameCheck.Published published, FailureLog failures,
                      Revision r, String changesText) {
    metrics.revisionsCommitted.increment();
    try {
      RevisionBus.Frame frame = changesText == null ? RevisionBus.Frame.of(r) : RevisionBus.Frame.of(r, changesText);
      published.record(frame); // before publishing: this node's event loops receive it at once
      RevisionBus.publish(vertx, frame);
    } catch (RuntimeException e) {
      // It is committed, and the writer is told so; the feeds' head checks read it from the table.
      failures.report("publishing a committed revision failed", e, true);
    }
  }

  @Override
  public Future<?> stop() {
    // Say goodbye with 1001, stop listening, then make the last client states durable.
    deadline.stop();
    if (gate != null) {
      gate.close();
    }
    return fanout.stop()
        .transform(ar -> rollouts.stop())
        .transform(ar -> server == null ? Future.succeededFuture() : server.close())
        .transform(ar -> clientState.drain());
  }

}
