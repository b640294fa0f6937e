package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Who runs what: the clients of a namespace and the rollout of one version, with the blocking
 * {@code ?wait=} form that answers as soon as no connected client is pending (the
 * {@link RolloutTracker} does the waiting).
 */
final class RolloutEndpoint {

  static final long MAX_WAIT_MS = 120_000;

  private final ConfigStore store;
  private final ClientStateStore clients;
  private final RolloutTracker rollouts;
  private final HubOptions options;

  private final RolloutControl control;

  RolloutEndpoint(ConfigStore store, ClientStateStore clients, RolloutTracker rollouts, HubOptions options,
                  RolloutControl control) {
    this.control = control;
    this.store = store;
    this.clients = clients;
    this.rollouts = rollouts;
    this.options = options;
  }

  void addRoutes(Router router) {
    Handler<RoutingContext> rollout = Authorize.namespace(Principal.Permission.ROLLOUT);
    router.get("/v1/namespaces/:ns/clients").handler(rollout).handler(this::listClients);
    router.get("/v1/namespaces/:ns/versions/:version/acks").handler(rollout).handler(this::acks);
  }

  static final int DEFAULT_CLIENT_PAGE = 500;
  static final int MAX_CLIENT_PAGE = 1_000;

  /** One page of clients in client-id order; {@code next_after} is the cursor of the next page, or null. */
  private void listClients(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long limit = Requests.longParam(ctx, "limit", (long) DEFAULT_CLIENT_PAGE);
    if (limit < 1 || limit > MAX_CLIENT_PAGE) {
      throw ApiException.badRequest("invalid_parameter", "'limit' must be between 1 and " + MAX_CLIENT_PAGE);
    }
    String after = ctx.request().getParam("after", "");
    clients.page(ns, after, (int) limit)
        .map(rows -> new JsonObject().put("namespace", ns)
            .put("clients", new JsonArray(rows.stream()
                .map(r -> Payloads.client(r, options.pullStaleCutoffMillis())).toList()))
            .put("next_after", rows.size() == limit ? rows.get(rows.size() - 1).clientId() : null))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  /** How often a pipeline's wait on a staged version looks at its rollout again. */
  static final long STAGED_RECHECK_MS = 200;

  /**
   * The acks of a version under a progressive rollout, with the rollout's state: answered when it
   * completes, halts, is rolled back or cancelled, or at the deadline (a paused rollout keeps
   * the pipeline waiting: a person decides).
   */
  private Future<JsonObject> stagedAcks(RoutingContext ctx, String ns, long version, long deadline, boolean lists) {
    return control.rollouts.find(ns, version).compose(r -> {
      String state = r == null ? "cancelled" : r.last().state();
      boolean settled = !state.equals("active") && !state.equals("paused");
      if (settled || System.currentTimeMillis() >= deadline || ctx.response().closed()) {
        return rollouts.waitFor(ns, version, 0, lists).answer().map(acks -> r == null ? acks
            : acks.put("rollout", RolloutsEndpoint.brief(r)));
      }
      io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
      ctx.vertx().setTimer(Math.max(1, Math.min(STAGED_RECHECK_MS, deadline - System.currentTimeMillis())),
          t -> later.complete());
      return later.future().compose(v -> stagedAcks(ctx, ns, version, deadline, lists));
    });
  }

  private void acks(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    long version = Requests.pathVersion(ctx, "version");
    long waitMs = Requests.durationMillis(ctx, "wait", 0, MAX_WAIT_MS);
    String listing = ctx.request().getParam("clients", "all");
    if (!listing.equals("all") && !listing.equals("none")) {
      throw ApiException.badRequest("invalid_parameter", "'clients' must be \"all\" or \"none\"");
    }
    store.head(ns)
        .compose(head -> {
          if (version < 1 || version > head) {
            return Future.failedFuture(new ApiException(404, "version_not_found",
                "namespace '" + ns + "' has no version " + version + " (head is " + head + ")",
                new JsonObject().put("head", head)));
          }
          RolloutState staged = control.registry.active(ns);
          if (staged != null && staged.version() == version) {
            return stagedAcks(ctx, ns, version, System.currentTimeMillis() + waitMs, listing.equals("all"));
          }
          RolloutTracker.Waiter waiter = rollouts.waitFor(ns, version, waitMs, listing.equals("all"));
          ctx.response().closeHandler(v -> waiter.cancel());
          return waiter.answer();
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
