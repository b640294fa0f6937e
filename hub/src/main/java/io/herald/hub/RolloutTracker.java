package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.herald.db.StoreException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Who waits for which rollout on one verticle, and when they look again: the HTTP {@code ?wait=}
 * requests of its event loop ({@link Waiter}) and the rollout watches of its WebSockets
 * ({@link RolloutWatch}). It owns the consumer of {@link Addresses#ACKS}: when client states of a
 * namespace become durable anywhere in the cluster, both kinds look again. A new revision of a
 * namespace is a new rollout of its head, so its watches look again too. Confined to the
 * verticle's event loop.
 */
final class RolloutTracker {

  /** A waiting request re-reads at least this often, so a missed ack event delays it at most this long. */
  private static final long RECHECK_MS = 1_000;
  /**
   * A waiting request looks again at most this often: a 10,000-client rollout lands in dozens of
   * ack batches a second, and each look is a query.
   */
  private static final long MIN_RECHECK_MS = 10;

  private final Vertx vertx;
  private final ConfigStore store;
  private final ClientStateStore clients;
  private final Map<String, Set<Waiter>> waiters = new HashMap<>();
  private final Map<String, Set<RolloutWatch>> watches = new HashMap<>();
  private MessageConsumer<JsonArray> acks;
  /** HTTP clients seen before this instant are stale (not pending): {@link HubOptions#pullStaleCutoffMillis}. */
  private final LongSupplier staleCutoff;

  RolloutTracker(Vertx vertx, ConfigStore store, ClientStateStore clients, LongSupplier staleCutoff) {
    this.vertx = vertx;
    this.store = store;
    this.clients = clients;
    this.staleCutoff = staleCutoff;
  }

  /** Registers the ack consumer; completes once it is registered (cluster-wide when clustered). */
  Future<Void> start() {
    acks = vertx.eventBus().consumer(Addresses.ACKS, msg -> {
      for (Object ns : msg.body()) {
        each(watches, (String) ns, RolloutWatch::refresh);
        each(waiters, (String) ns, w -> w.check.request());
      }
    });
    return acks.completion();
  }

  Future<Void> stop() {
    return acks == null ? Future.succeededFuture() : acks.unregister();
  }

  /** A revision of {@code namespace} was committed: its head has a new rollout. */
  void newRevision(String namespace) {
    each(watches, namespace, RolloutWatch::refresh);
  }

  /**
   * The rollout of {@code version}: read at once, or, with {@code waitMs} > 0, answered as soon as
   * no connected client is pending, or with the state at the deadline; client ids listed when
   * {@code lists}.
   */
  Waiter waitFor(String namespace, long version, long waitMs, boolean lists) {
    Waiter w = new Waiter(namespace, version, System.currentTimeMillis() + waitMs, lists);
    waiters.computeIfAbsent(namespace, ns -> new LinkedHashSet<>()).add(w);
    w.check.request();
    return w;
  }

  /** Starts watching the rollout of a namespace's head for one connection; the caller refreshes it. */
  RolloutWatch watch(Connection conn, String namespace) {
    RolloutWatch w = new RolloutWatch(conn, namespace, vertx, () -> headRollout(namespace));
    watches.computeIfAbsent(namespace, ns -> new LinkedHashSet<>()).add(w);
    return w;
  }

  void unwatch(RolloutWatch w) {
    w.stop();
    remove(watches, w.namespace, w);
  }

  /** The rollout of the namespace's head; version 0 for a namespace without revisions. */
  private Future<JsonObject> headRollout(String namespace) {
    return store.head(namespace)
        .recover(e -> e instanceof StoreException.NamespaceNotFound ? Future.succeededFuture(0L) : Future.failedFuture(e))
        .compose(head -> clients.rollout(namespace, head, staleCutoff.getAsLong(), Payloads.ROLLOUT_LISTED)
            .map(r -> Payloads.rollout(namespace, head, r, true)));
  }

  /** Whether a connection of this event loop watches the rollouts of {@code namespace}. */
  boolean watching(String namespace) {
    return watches.containsKey(namespace);
  }

  private static <T> void each(Map<String, Set<T>> byNamespace, String namespace, Consumer<T> action) {
    Set<T> set = byNamespace.get(namespace);
    if (set != null) {
      List.copyOf(set).forEach(action);
    }
  }

  private static <T> void remove(Map<String, Set<T>> byNamespace, String namespace, T item) {
    Set<T> set = byNamespace.get(namespace);
    if (set != null && set.remove(item) && set.isEmpty()) {
      byNamespace.remove(namespace);
    }
  }

  /** One {@code ?wait=} request: answers when the rollout is complete, or with its state at the deadline. */
  final class Waiter {
    private final String namespace;
    private final long version;
    private final long deadline;
    private final boolean lists;
    private final Promise<JsonObject> answer = Promise.promise();
    private final CoalescedRead<ClientStateStore.Rollout> check =
        new CoalescedRead<>(vertx, MIN_RECHECK_MS, this::read, this::checked);
    private long timer = -1;

    private Waiter(String namespace, long version, long deadline, boolean lists) {
      this.namespace = namespace;
      this.version = version;
      this.deadline = deadline;
      this.lists = lists;
    }

    Future<JsonObject> answer() {
      return answer.future();
    }

    /** The request went away: stop looking. */
    void cancel() {
      finish();
    }

    /**
     * While waiting, asks only whether any live client is still pending (the database stops at the
     * first); reads the rollout itself for the answer. Null: still pending.
     */
    private Future<ClientStateStore.Rollout> read() {
      boolean last = System.currentTimeMillis() >= deadline;
      long cutoff = staleCutoff.getAsLong();
      return (last ? Future.succeededFuture(false) : clients.anyPending(namespace, version, cutoff))
          .compose(pending -> pending
              ? Future.succeededFuture((ClientStateStore.Rollout) null)
              : clients.rollout(namespace, version, cutoff, lists ? Payloads.ROLLOUT_LISTED : 0));
    }

    private void checked(AsyncResult<ClientStateStore.Rollout> ar) {
      if (ar.failed()) {
        finish();
        answer.fail(ar.cause());
        return;
      }
      if (ar.result() != null) {
        ClientStateStore.Rollout r = ar.result();
        if (r.pending() == 0 || System.currentTimeMillis() >= deadline) {
          finish();
          answer.complete(Payloads.rollout(namespace, version, r, lists));
          return;
        }
      }
      if (!check.rerunPending()) {
        waitMore();
      }
    }

    private void waitMore() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      long delay = Math.max(1, Math.min(RECHECK_MS, deadline - System.currentTimeMillis()));
      timer = vertx.setTimer(delay, t -> check.request());
    }

    private void finish() {
      check.stop();
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      remove(waiters, namespace, this);
    }
  }
}
