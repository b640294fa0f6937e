package io.herald.hub;

import io.herald.db.ConfigStore;
import io.vertx.core.AsyncResult;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;


/**
 * The WebSocket endpoint {@code /v1/ws} and its long-poll fallback {@code /watch} for clients that
 * cannot hold a WebSocket. Both answer with the same snapshot and delta shapes.
 */
final class PushEndpoint {

  static final long DEFAULT_WATCH_MS = 30_000;
  static final long MAX_WATCH_MS = 120_000;

  private final Fanout fanout;
  private final ConfigStore store;
  private final TokenLimits limits;
  private final HttpClientEndpoint httpClients;

  PushEndpoint(Fanout fanout, ConfigStore store, TokenLimits limits, HttpClientEndpoint httpClients) {
    this.fanout = fanout;
    this.store = store;
    this.limits = limits;
    this.httpClients = httpClients;
  }

  void addRoutes(Router router) {
    router.get("/v1/ws").handler(this::upgrade);
    router.get("/v1/namespaces/:ns/watch").handler(Authorize.namespace(Principal.Permission.FOLLOW)).handler(this::watch);
  }

  private void upgrade(RoutingContext ctx) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      throw ApiException.badRequest("websocket_required", "/v1/ws speaks WebSocket only: send an Upgrade request");
    }
    Principal who = AuthHandler.principal(ctx);
    if (!limits.openConnection(who)) {
      throw new ApiException(429, "too_many_connections", "token '" + who.name() + "' holds the most WebSockets"
          + " one hub allows per token; close some first");
    }
    ctx.request().toWebSocket()
        .onSuccess(ws -> fanout.accept(ws, who, () -> limits.closeConnection(who)))
        .onFailure(e -> {
          limits.closeConnection(who);
          ctx.fail(e);
        });
  }

  /**
   * Answers as soon as the namespace's head is past {@code since}: a merged delta from
   * {@code since} (a snapshot for 0 or a version the namespace never had). 304 at the timeout;
   * {@code timeout=0} is a plain pull, answered after one read. With {@code client_id} the poller
   * shows in {@code /clients} as an HTTP client.
   */
  private void watch(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long since = Requests.longParam(ctx, "since", 0L);
    long timeoutMs = Requests.durationMillis(ctx, "timeout", DEFAULT_WATCH_MS, MAX_WATCH_MS);
    String clientId = HttpClientEndpoint.pullClientId(ctx);
    httpClients.pulled(ctx, ns, clientId);
    new Watch(ctx, ns, since, timeoutMs, clientId).start();
  }

  private final class Watch implements Fanout.RevisionListener {
    private final RoutingContext ctx;
    private final String ns;
    private final long since;
    private final long timeoutMs;
    private final CoalescedRead<ConfigStore.CatchUp> reads;
    private long timer = -1;
    private boolean done;

    private final String clientId;

    Watch(RoutingContext ctx, String ns, long since, long timeoutMs, String clientId) {
      this.clientId = clientId;
      this.ctx = ctx;
      this.ns = ns;
      this.since = since;
      this.timeoutMs = timeoutMs;
      // Under a rollout, a named client is brought no further than its step allows.
      this.reads = new CoalescedRead<>(() -> fanout.rolloutControl.limitFor(ns, clientId)
          .compose(limit -> store.catchUp(ns, since, limit)), this::answer);
    }

    void start() {
      // Listen before reading the head, so a revision committed in between is not missed.
      fanout.addListener(this);
      ctx.response().closeHandler(v -> finish());
      if (timeoutMs > 0) {
        timer = fanout.vertx.setTimer(timeoutMs, t -> notModified());
      }
      reads.request();
    }

    @Override
    public void committed(String namespace, long version) {
      if (!done && namespace.equals(ns) && version > since) {
        reads.request();
      }
    }

    private void answer(AsyncResult<ConfigStore.CatchUp> ar) {
      if (reads.rerunPending()) {
        return; // a revision landed during this read: the next read answers with it
      }
      if (ar.failed()) {
        finish();
        ctx.fail(ar.cause());
        return;
      }
      ConfigStore.CatchUp c = ar.result();
      if (c.version() == since && (c.snapshot() == null || since == 0)) {
        if (timeoutMs == 0) {
          notModified(); // a plain pull: nothing new
        }
        return; // nothing new yet (a namespace without revisions is version 0): keep waiting
      }
      finish();
      JsonObject body = c.snapshot() != null
          ? Payloads.snapshotFrame(c.snapshot())
          : Payloads.deltaFrame(ns, since, c.version(), c.delta().asChanges());
      ctx.response().putHeader("ETag", NamespaceEndpoint.etag(c.version()));
      ctx.json(body);
    }

    private void notModified() {
      if (!done) {
        finish();
        ctx.response().setStatusCode(304).end();
      }
    }

    private void finish() {
      done = true;
      reads.stop();
      fanout.removeListener(this);
      fanout.vertx.cancelTimer(timer);
    }
  }
}
