package io.herald.hub;

import io.herald.db.ClientRow;
import io.herald.db.ClientStateStore;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;

import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Batches client-state changes (subscribed, acked, disconnected) into one multi-row upsert every
 * few milliseconds (up to {@link #BURST_INTERVALS} intervals while a burst of them goes on), never
 * one round trip per ack; acks of a connection whose row this writer
 * wrote already go as a plain update of their ack fields. Rows for the same client and namespace coalesce:
 * the latest state wins. After each write, the namespaces touched are announced on the event bus
 * so that rollout waiters on every node look again. Confined to one event loop.
 */
final class ClientStateWriter {

  private static final Logger LOG = Logger.getLogger(ClientStateWriter.class.getName());
  static final int MAX_BATCH = 2_000;

  /** Where batches go ({@link ClientStateStore#upsert} in the hub): the rows it would not write come back. */
  interface Store {
    Future<java.util.List<ClientStateStore.Refusal>> upsert(Collection<ClientRow> rows);

    /**
     * Writes just the ack fields of rows whose stored row is still this connection's
     * ({@link ClientStateStore#updateAcks}); the rows it did not write come back. By default none.
     */
    default Future<java.util.List<ClientRow>> updateAcks(Collection<ClientRow> rows) {
      return Future.succeededFuture(new ArrayList<>(rows));
    }
  }

  private final Vertx vertx;
  private final Store store;
  private final HubMetrics metrics;
  private final long intervalMs;
  private Map<String, ClientRow> dirty = new LinkedHashMap<>();
  /**
   * The row last written durably per connected client of this event loop: a later row of the same
   * connection that differs only in its ack fields takes the cheap update ({@link Store#updateAcks}).
   */
  private final Map<String, ClientRow> written = new HashMap<>();
  /** Callers of {@link #recordDurably} per row key, until the batch holding that row is answered. */
  private final Map<String, List<Promise<Optional<ClientStateStore.Refusal>>>> waiting = new HashMap<>();
  private boolean timerSet;
  /** Whether rows were recorded since the timer was set: a burst is going on. */
  private boolean recordedSinceTimer;
  /** When the oldest row still waiting was recorded ({@link System#nanoTime}). */
  private long oldestWaitingSince;
  /** How long rows wait at most while a burst goes on: {@link #BURST_INTERVALS} intervals. */
  private final long maxWaitNanos;
  static final int BURST_INTERVALS = 5;
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
    this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(BURST_INTERVALS * Math.max(1, intervalMs));
  }

  /** Hears of rows the database would not write: another token's client, or a token past its cap. */
  void onRefused(java.util.function.Consumer<ClientStateStore.Refusal> listener) {
    this.refusals = listener;
  }

  void record(ClientRow row) {
    record(key(row), row);
  }

  /**
   * {@link #record(ClientRow)} with the row's key ({@link #key(String, String)}) computed once by
   * the caller: a subscription acking thousands of versions hashes its key once.
   */
  void record(String key, ClientRow row) {
    if (dirty.isEmpty()) {
      oldestWaitingSince = System.nanoTime();
    }
    // One row per client: what writing both would leave (an older connection's late row changes nothing).
    dirty.merge(key, row, ClientRow::then);
    recordedSinceTimer = true;
    schedule(intervalMs);
  }

  /**
   * Records a row like {@link #record} and tells when the batch holding it is answered: empty once
   * it is durable (and announced on {@link Addresses#ACKS}), the refusal when the database would not
   * write it, a failure when the batch failed (the row itself is still retried). For callers that
   * must answer with the row's fate, such as an HTTP ack.
   */
  Future<Optional<ClientStateStore.Refusal>> recordDurably(ClientRow row) {
    Promise<Optional<ClientStateStore.Refusal>> outcome = Promise.promise();
    waiting.computeIfAbsent(key(row), k -> new ArrayList<>()).add(outcome);
    record(row);
    return outcome.future();
  }

  private static String key(ClientRow row) {
    return key(row.namespace(), row.clientId());
  }

  static String key(String namespace, String clientId) {
    return namespace + '\u0000' + clientId;
  }

  private void schedule(long delay) {
    if (!timerSet && !flushing && !dirty.isEmpty()) {
      timerSet = true;
      recordedSinceTimer = false;
      vertx.setTimer(Math.max(1, delay), t -> {
        timerSet = false;
        if (inBurst()) {
          schedule(intervalMs); // more is coming: one larger statement later instead of many small ones
        } else {
          flush();
        }
      });
    }
  }

  /**
   * Whether rows keep coming (some were recorded since the timer was set) while the batch is not
   * full and its oldest row has waited less than {@link #BURST_INTERVALS} intervals: thousands of
   * acks for one version then go in a few statements, not one every interval.
   */
  private boolean inBurst() {
    return recordedSinceTimer && dirty.size() < MAX_BATCH
        && System.nanoTime() - oldestWaitingSince < maxWaitNanos;
  }

  /** Writes what is pending now; completes when it is durable (or failed). */
  Future<Void> flush() {
    if (flushing) {
      return inFlight.transform(ar -> flush());
    }
    if (dirty.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<String, ClientRow> batch;
    if (dirty.size() <= MAX_BATCH) {
      batch = dirty;
      dirty = new LinkedHashMap<>();
    } else {
      batch = new LinkedHashMap<>();
      var it = dirty.entrySet().iterator();
      while (it.hasNext() && batch.size() < MAX_BATCH) {
        var e = it.next();
        batch.put(e.getKey(), e.getValue());
        it.remove();
      }
    }
    Map<String, List<Promise<Optional<ClientStateStore.Refusal>>>> callers = new HashMap<>();
    if (!waiting.isEmpty()) {
      for (String k : batch.keySet()) {
        var w = waiting.remove(k);
        if (w != null) {
          callers.put(k, w);
        }
      }
    }
    flushing = true;
    metrics.ackBatchSize.record(batch.size());
    List<ClientRow> acksOnly = new ArrayList<>(batch.size());
    Map<String, ClientRow> full = new LinkedHashMap<>();
    batch.forEach((k, row) -> {
      if (onlyAcksSince(written.get(k), row)) {
        acksOnly.add(row);
      } else {
        full.put(k, row);
      }
    });
    inFlight = store.updateAcks(acksOnly).compose(missed -> {
      for (ClientRow r : missed) {
        full.put(key(r), r);
      }
      return store.upsert(full.values());
    }).<Void>map(refused -> {
      // Rows written by ack update keep their connection's fields: what 'written' holds still holds.
      full.forEach((k, row) -> {
        if (row.connected()) {
          written.put(k, row);
        } else {
          written.remove(k);
        }
      });
      for (ClientStateStore.Refusal r : refused) {
        String key = key(r.namespace(), r.clientId());
        var w = callers.remove(key);
        if (w != null) {
          w.forEach(p -> p.tryComplete(Optional.of(r)));
        }
        written.remove(key);
        ClientRow row = batch.get(key);
        if (row == null || ClientRow.WEBSOCKET.equals(row.transport())) {
          refusals.accept(r); // a WebSocket subscription learns it here; HTTP callers from their Future
        }
      }
      return null;
    }).andThen(ar -> {
      flushing = false;
      if (ar.succeeded()) {
        Set<String> namespaces = new LinkedHashSet<>();
        batch.values().forEach(r -> namespaces.add(r.namespace()));
        vertx.eventBus().publish(Addresses.ACKS, new JsonArray(new ArrayList<>(namespaces)));
        callers.values().forEach(w -> w.forEach(p -> p.tryComplete(Optional.empty())));
        schedule(0);
        return;
      }
      callers.values().forEach(w -> w.forEach(p -> p.tryFail(ar.cause())));
      if (ar.cause() instanceof StoreException.Refused) {
        // Data the database refuses will be refused again: retrying would block every later ack.
        LOG.warning("dropping " + batch.size() + " client-state rows the database refuses: " + ar.cause());
        schedule(0);
      } else {
        failures.report("client-state batches failed, retrying", ar.cause());
        // Newer state recorded meanwhile wins over the batch we could not write.
        Map<String, ClientRow> merged = new LinkedHashMap<>(batch);
        dirty.forEach((k, row) -> merged.merge(k, row, ClientRow::then));
        dirty = merged;
        schedule(500);
      }
    });
    return inFlight;
  }

  /**
   * Whether {@code row} differs from {@code last}, the row written before for the same client,
   * only in what an ack changes (applied version, status, rejection, error, last seen): the same
   * connected connection, node, owner, transport and labels.
   */
  static boolean onlyAcksSince(ClientRow last, ClientRow row) {
    return last != null && row.connected() && last.connected() && last.session().equals(row.session())
        && last.connectedAt() == row.connectedAt() && last.node().equals(row.node())
        && last.owner().equals(row.owner()) && java.util.Objects.equals(last.transport(), row.transport())
        && (row.labelsJson() == null || row.labelsJson().equals(last.labelsJson()));
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
