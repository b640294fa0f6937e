package io.herald.hub;

import io.herald.db.ClientRow;
import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who runs what: the clients of a namespace and the rollout of one version, with the blocking
 * {@code ?wait=} form that answers as soon as no connected client is pending.
 */
final class RolloutEndpoint {

  static final long MAX_WAIT_MS = 120_000;
  private static final long RECHECK_MS = 1_000;

  private final Vertx vertx;
  private final ConfigStore store;
  private final ClientStateStore clients;
  /** Open {@code ?wait=} requests of this event loop, by namespace. */
  private final Map<String, Set<Waiter>> waiters = new HashMap<>();
  private final Fanout fanout;

  RolloutEndpoint(Vertx vertx, ConfigStore store, ClientStateStore clients, Fanout fanout) {
    this.vertx = vertx;
    this.store = store;
    this.clients = clients;
    this.fanout = fanout;
  }

  void addRoutes(Router router) {
    // The fan-out's one consumer of ack batches tells us too: waiters of that namespace look again.
    fanout.addAckListener(ns -> {
      Set<Waiter> set = waiters.get(ns);
      if (set != null) {
        List.copyOf(set).forEach(Waiter::check);
      }
    });
    router.get("/v1/namespaces/:ns/clients").handler(this::listClients);
    router.get("/v1/namespaces/:ns/versions/:version/acks").handler(this::acks);
  }

  private void listClients(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    AuthHandler.principal(ctx).require(Principal.Permission.ROLLOUT, ns);
    clients.list(ns)
        .map(rows -> new JsonObject().put("namespace", ns)
            .put("clients", new JsonArray(rows.stream().map(Payloads::client).toList())))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void acks(RoutingContext ctx) {
    String ns = NamespaceEndpoint.namespace(ctx);
    AuthHandler.principal(ctx).require(Principal.Permission.ROLLOUT, ns);
    long version = Requests.pathVersion(ctx, "version");
    long waitMs = Requests.durationMillis(ctx, "wait", 0, MAX_WAIT_MS);
    store.head(ns).onSuccess(head -> {
      if (version < 1 || version > head) {
        ctx.fail(new ApiException(404, "version_not_found",
            "namespace '" + ns + "' has no version " + version + " (head is " + head + ")",
            new JsonObject().put("head", head)));
        return;
      }
      new Waiter(ctx, ns, version, waitMs).check();
    }).onFailure(ctx::fail);
  }

  /** One rollout request: answers when complete, or with the state at its deadline. */
  private final class Waiter {
    private final RoutingContext ctx;
    private final String ns;
    private final long version;
    private final long deadline;
    private long timer = -1;
    private boolean checking;
    private boolean again;
    private boolean done;

    Waiter(RoutingContext ctx, String ns, long version, long waitMs) {
      this.ctx = ctx;
      this.ns = ns;
      this.version = version;
      this.deadline = System.currentTimeMillis() + waitMs;
      ctx.response().closeHandler(v -> finish());
    }

    void check() {
      if (done) {
        return;
      }
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      // Poll cheap counts while waiting; read every row only for the answer.
      boolean last = System.currentTimeMillis() >= deadline;
      (last ? Future.succeededFuture((ClientStateStore.RolloutCounts) null) : clients.rolloutCounts(ns, version))
          .compose(counts -> counts != null && counts.pending() > 0
              ? Future.succeededFuture((List<ClientRow>) null)
              : clients.list(ns))
          .onComplete(ar -> {
            checking = false;
            if (done) {
              return;
            }
            if (ar.failed()) {
              finish();
              ctx.fail(ar.cause());
              return;
            }
            if (ar.result() != null) {
              JsonObject rollout = Payloads.rollout(ns, version, ar.result());
              if (rollout.getBoolean("complete") || System.currentTimeMillis() >= deadline) {
                finish();
                ctx.json(rollout);
                return;
              }
            }
            if (again) {
              again = false;
              check();
            } else {
              waitMore();
            }
          });
    }

    private void waitMore() {
      if (timer < 0) {
        waiters.computeIfAbsent(ns, k -> new HashSet<>()).add(this);
      } else {
        vertx.cancelTimer(timer);
      }
      long delay = Math.max(1, Math.min(RECHECK_MS, deadline - System.currentTimeMillis()));
      timer = vertx.setTimer(delay, t -> check());
    }

    private void finish() {
      done = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      Set<Waiter> set = waiters.get(ns);
      if (set != null && set.remove(this) && set.isEmpty()) {
        waiters.remove(ns);
      }
    }
  }
}
