package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.herald.db.StoreException;
import io.vertx.core.Future;

/**
 * One connection watching the rollout of one namespace's head (the admin page's live progress):
 * a {@code rollout} frame now, and again whenever acks of that namespace land or a new version is
 * committed. Refreshes coalesce: at most one read in flight, one more queued, and at most one
 * push per {@link #MIN_INTERVAL_MS}.
 */
final class RolloutWatch {

  static final int MAX_PER_CONNECTION = 16;
  /** At most one push per watch this often: a 10,000-client rollout lands in many ack batches. */
  static final long MIN_INTERVAL_MS = 200;

  final Connection conn;
  final String namespace;
  private final ConfigStore store;
  private final ClientStateStore clients;
  private boolean reading;
  private boolean again;
  private boolean stopped;
  private long lastPushAt;

  RolloutWatch(Connection conn, String namespace, ConfigStore store, ClientStateStore clients) {
    this.conn = conn;
    this.namespace = namespace;
    this.store = store;
    this.clients = clients;
  }

  void stop() {
    stopped = true;
  }

  void refresh() {
    if (stopped || conn.closed()) {
      return;
    }
    if (reading) {
      again = true;
      return;
    }
    long wait = lastPushAt + MIN_INTERVAL_MS - System.currentTimeMillis();
    if (wait > 0) {
      reading = true; // hold further triggers; they are covered by this delayed read
      conn.fanout.vertx.setTimer(wait, t -> {
        reading = false;
        refresh();
      });
      return;
    }
    reading = true;
    store.head(namespace)
        .recover(e -> e instanceof StoreException.NamespaceNotFound ? Future.succeededFuture(0L) : Future.failedFuture(e))
        .compose(head -> clients.list(namespace).map(rows -> Payloads.rollout(namespace, head, rows)))
        .onComplete(ar -> {
          reading = false;
          lastPushAt = System.currentTimeMillis();
          if (stopped || conn.closed()) {
            return;
          }
          if (ar.succeeded() && !conn.paused()) {
            conn.send(ar.result().put("type", "rollout").encode());
          }
          if (again) {
            again = false;
            refresh();
          }
        });
  }
}
