package io.herald.hub;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.function.Supplier;

/**
 * One connection watching the rollout of one namespace's head (the admin page's live progress):
 * a {@code rollout} frame now, and again whenever the {@link RolloutTracker} hears that acks of
 * that namespace landed or a new version was committed. Reads coalesce: at most one in flight, one
 * more queued, and at most one push per {@link #MIN_INTERVAL_MS}.
 */
final class RolloutWatch {

  static final int MAX_PER_CONNECTION = 16;
  /** At most one push per watch this often: a 10,000-client rollout lands in many ack batches. */
  static final long MIN_INTERVAL_MS = 200;

  final String namespace;
  private final Connection conn;
  private final CoalescedRead<JsonObject> reads;

  RolloutWatch(Connection conn, String namespace, Vertx vertx, Supplier<Future<JsonObject>> rollout) {
    this.conn = conn;
    this.namespace = namespace;
    this.reads = new CoalescedRead<>(vertx, MIN_INTERVAL_MS, rollout, this::push);
  }

  void refresh() {
    if (!conn.closed()) {
      reads.request();
    }
  }

  void stop() {
    reads.stop();
  }

  private void push(AsyncResult<JsonObject> rollout) {
    if (rollout.succeeded() && !conn.closed() && !conn.paused()) {
      conn.send(rollout.result().put("type", "rollout").encode());
    }
  }
}
