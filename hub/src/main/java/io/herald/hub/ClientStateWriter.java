package io.herald.hub;

import io.herald.db.ClientRow;
import io.herald.db.ClientStateStore;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Batches client-state changes (subscribed, acked, disconnected) into one multi-row upsert every
 * few milliseconds, never one round trip per ack. Rows for the same client and namespace coalesce:
 * the latest state wins. After each write, the namespaces touched are announced on the event bus
 * so that rollout waiters on every node look again. Confined to one event loop.
 */
final class ClientStateWriter {

  private static final Logger LOG = Logger.getLogger(ClientStateWriter.class.getName());
  static final int MAX_BATCH = 2_000;

  /** Where batches go: {@code ClientStateStore::upsert}, one multi-row statement per call. */
  /** Where batches go ({@link ClientStateStore#upsert} in the hub): the rows it would not write come back. */
  interface Store {
    Future<java.util.List<ClientStateStore.Refusal>> upsert(Collection<ClientRow> rows);
  }

  private final Vertx vertx;
  private final Store store;
  private final HubMetrics metrics;
  private final long intervalMs;
  private Map<String, ClientRow> dirty = new LinkedHashMap<>();
  private boolean timerSet;
  private Future<Void> inFlight = Future.succeededFuture();
  private boolean flushing;

  private final FailureLog failures;
  private java.util.function.Consumer<ClientStateStore.Refusal> refusals = r -> { };

  ClientStateWriter(Vertx vertx, Store store, HubMetrics metrics, long intervalMs, FailureLog failures) {
    this.vertx = vertx;
    this.failures = failures;
    this.store = store;
    this.metrics = metrics;
    this.intervalMs = intervalMs;
  }

  /** Hears of rows the database would not write: another token's client, or a token past its cap. */
  void onRefused(java.util.function.Consumer<ClientStateStore.Refusal> listener) {
    this.refusals = listener;
  }

  void record(ClientRow row) {
    // An older connection's row (say its late close) never replaces a newer connection's, as in SQL.
    dirty.merge(row.namespace() + '\u0000' + row.clientId(), row,
        (old, next) -> next.connectedAt() >= old.connectedAt() ? next : old);
    schedule(intervalMs);
  }

  private void schedule(long delay) {
    if (!timerSet && !flushing && !dirty.isEmpty()) {
      timerSet = true;
      vertx.setTimer(Math.max(1, delay), t -> {
        timerSet = false;
        flush();
      });
    }
  }

  /** Writes what is pending now; completes when it is durable (or failed). */
  Future<Void> flush() {
    if (flushing) {
      return inFlight.transform(ar -> flush());
    }
    if (dirty.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<String, ClientRow> batch = new LinkedHashMap<>();
    var it = dirty.entrySet().iterator();
    while (it.hasNext() && batch.size() < MAX_BATCH) {
      var e = it.next();
      batch.put(e.getKey(), e.getValue());
      it.remove();
    }
    flushing = true;
    metrics.ackBatchSize.record(batch.size());
    inFlight = store.upsert(batch.values()).<Void>map(refused -> {
      refused.forEach(refusals);
      return null;
    }).andThen(ar -> {
      flushing = false;
      if (ar.succeeded()) {
        Set<String> namespaces = new LinkedHashSet<>();
        batch.values().forEach(r -> namespaces.add(r.namespace()));
        vertx.eventBus().publish(Addresses.ACKS, new JsonArray(new ArrayList<>(namespaces)));
        schedule(0);
      } else if (ar.cause() instanceof StoreException.Refused) {
        // Data the database refuses will be refused again: retrying would block every later ack.
        LOG.warning("dropping " + batch.size() + " client-state rows the database refuses: " + ar.cause());
        schedule(0);
      } else {
        failures.report("client-state batches failed, retrying", ar.cause());
        // Newer state recorded meanwhile wins over the batch we could not write.
        Map<String, ClientRow> merged = new LinkedHashMap<>(batch);
        merged.putAll(dirty);
        dirty = merged;
        schedule(500);
      }
    });
    return inFlight;
  }

  /** For shutdown: write everything pending, batch after batch (a failed batch is retried a few times). */
  Future<Void> drain() {
    return drain(50);
  }

  private Future<Void> drain(int rounds) {
    return flush().transform(ar -> (dirty.isEmpty() && !flushing) || rounds <= 1
        ? Future.succeededFuture() : drain(rounds - 1));
  }
}
