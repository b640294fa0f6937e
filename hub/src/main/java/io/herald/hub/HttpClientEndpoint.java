package io.herald.hub;

import io.herald.db.ClientRow;
import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Clients that follow over HTTP instead of a WebSocket (scripts, cron jobs, long pollers): their
 * acks ({@code POST .../versions/{v}/acks}) and the rows their pulls leave when they name a
 * {@code client_id} ({@code GET /v1/namespaces/{ns}} and {@code /watch}). Their rows go through the
 * verticle's {@link ClientStateWriter} like a WebSocket client's, marked {@code transport: http}:
 * never connected, but pending in a rollout until they are stale ({@code HERALD_PULL_STALE_AFTER_S}
 * without a pull or an ack).
 */
final class HttpClientEndpoint {

  /** An ack body is a few fields and at most 32 labels. */
  static final int MAX_ACK_BYTES = 64 * 1024;
  /** What the session column says for HTTP clients, which have no connection. */
  static final String SESSION = "http";

  private final ConfigStore store;
  private final ClientStateWriter clientState;
  private final HubOptions options;
  private final HubMetrics metrics;

  HttpClientEndpoint(ConfigStore store, ClientStateWriter clientState, HubOptions options, HubMetrics metrics) {
    this.store = store;
    this.clientState = clientState;
    this.options = options;
    this.metrics = metrics;
  }

  void addRoutes(Router router) {
    router.post("/v1/namespaces/:ns/versions/:version/acks")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_ACK_BYTES))
        .handler(Authorize.namespace(Principal.Permission.FOLLOW))
        .handler(this::ack);
  }

  /** The optional {@code client_id} query parameter of a pull, checked; null when absent. */
  static String pullClientId(RoutingContext ctx) {
    String id = ctx.request().getParam("client_id");
    if (id == null) {
      return null;
    }
    if (!Limits.clientId(id)) {
      throw ApiException.badRequest("invalid_client_id", "client_id must match [A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
    }
    return id;
  }

  /**
   * A pull by {@code clientId} (null: an anonymous pull, nothing to record): the client's row is
   * seen now, its recorded ack and labels stay. Written with the next batch; a row the database
   * refuses (another token's id, a token past its cap) is not written, and the client learns it
   * from its next ack.
   */
  void pulled(RoutingContext ctx, String ns, String clientId) {
    if (clientId != null) {
      clientState.record(row(ctx, ns, clientId, 0, null, null, null, null));
    }
  }

  /**
   * Records an ack and answers once its row is durable (so {@code /acks?wait=} sees it at once) or
   * refused: 409 {@code client_id_taken}, 429 {@code too_many_clients}.
   */
  private void ack(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long version = Requests.pathVersion(ctx, "version");
    JsonObject body = Requests.jsonObjectBody(ctx);
    Object id = body.getValue("client_id");
    if (!Limits.clientId(id)) {
      throw ApiException.badRequest("invalid_client_id", "client_id must match [A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
    }
    String clientId = (String) id;
    Object status = body.getValue("status");
    if (!"applied".equals(status) && !"rejected".equals(status)) {
      throw ApiException.badRequest("invalid_status", "status must be \"applied\" or \"rejected\"");
    }
    Object error = body.getValue("error");
    if (error != null && !(error instanceof String)) {
      throw ApiException.badRequest("invalid_request", "'error' must be a string");
    }
    Object rawLabels = body.getValue("labels");
    JsonObject labels = Limits.labels(rawLabels);
    if (labels == null) {
      throw ApiException.badRequest("invalid_labels", Limits.LABELS_RULE);
    }
    // Absent labels keep the recorded ones; an object (even empty) replaces them.
    String labelsJson = rawLabels == null ? null : labels.encode();
    boolean applied = "applied".equals(status);
    (applied ? metrics.acksApplied : metrics.acksRejected).increment();
    store.head(ns)
        .compose(head -> {
          if (version > head) {
            return Future.failedFuture(new ApiException(404, "version_not_found",
                "namespace '" + ns + "' has no version " + version + " (head is " + head + ")",
                new JsonObject().put("head", head)));
          }
          ClientRow row = applied
              ? row(ctx, ns, clientId, version, "applied", null, null, labelsJson)
              : row(ctx, ns, clientId, 0, "rejected", version, Limits.rejectionText((String) error), labelsJson);
          return clientState.recordDurably(row);
        })
        .onSuccess(refusal -> {
          if (refusal.isPresent()) {
            ctx.fail(refused(refusal.get(), AuthHandler.principal(ctx)));
            return;
          }
          ctx.json(new JsonObject().put("namespace", ns).put("version", version).put("client_id", clientId)
              .put("status", status));
        })
        .onFailure(ctx::fail);
  }

  private ApiException refused(ClientStateStore.Refusal r, Principal who) {
    String code = Fanout.refusalCode(r);
    return new ApiException(code.equals("client_id_taken") ? 409 : 429, code, Fanout.refusalMessage(r, who, options));
  }

  private ClientRow row(RoutingContext ctx, String ns, String clientId, long applied, String status, Long rejected,
                        String error, String labelsJson) {
    long now = System.currentTimeMillis();
    return new ClientRow(ns, clientId, options.nodeId(), SESSION, labelsJson, false, now, now, applied, status,
        rejected, error, AuthHandler.principal(ctx).owner(), ClientRow.HTTP);
  }
}
