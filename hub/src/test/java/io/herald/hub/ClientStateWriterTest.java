package io.herald.hub;

import io.herald.db.ClientRow;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The client-state writer on a real event loop against a store in memory: no server, no database. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("Client states are written in coalesced batches")
class ClientStateWriterTest {

  private static final long INTERVAL_MS = 1;
  @RegisterExtension
  static final EventLoop loop = new EventLoop();

  private final FakeStore store = new FakeStore();
  private final List<JsonArray> announced = new ArrayList<>();
  private final List<io.herald.db.ClientStateStore.Refusal> refused = new ArrayList<>();
  private ClientStateWriter writer;
  private MessageConsumer<JsonArray> acks;

  @BeforeEach
  void newWriter() {
    HubMetrics metrics = new HubMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    loop.call(() -> {
      writer = new ClientStateWriter(loop.vertx, store, metrics, INTERVAL_MS, new FailureLog(60_000));
      writer.onRefused(refused::add);
      acks = loop.vertx.eventBus().consumer(Addresses.ACKS, msg -> announced.add(msg.body()));
      return acks.completion();
    }).await();
  }

  @AfterEach
  void stopListening() {
    loop.call(acks::unregister).await();
  }

  /** client_state in memory: every batch waits until the test answers it. */
  private static final class FakeStore implements ClientStateWriter.Store {
    final List<List<ClientRow>> batches = new ArrayList<>();
    final List<Promise<List<io.herald.db.ClientStateStore.Refusal>>> answers = new ArrayList<>();

    @Override
    public Future<List<io.herald.db.ClientStateStore.Refusal>> upsert(Collection<ClientRow> rows) {
      batches.add(List.copyOf(rows));
      Promise<List<io.herald.db.ClientStateStore.Refusal>> answer = Promise.promise();
      answers.add(answer);
      return answer.future();
    }

    /** Ack-only updates, answered at once; rows of clients in {@link #gone} are handed back. */
    final List<List<ClientRow>> ackUpdates = new ArrayList<>();
    final java.util.Set<String> gone = new java.util.HashSet<>();

    @Override
    public Future<List<ClientRow>> updateAcks(Collection<ClientRow> rows) {
      if (!rows.isEmpty()) {
        ackUpdates.add(List.copyOf(rows));
      }
      return Future.succeededFuture(rows.stream().filter(r -> gone.contains(r.clientId())).toList());
    }
  }

  private static ClientRow row(String ns, String client, long connectedAt, long applied) {
    return new ClientRow(ns, client, "node-1", "session-" + connectedAt, "{}", true, connectedAt, connectedAt,
        applied, "applied", null, null, ClientRow.ADMIN_OWNER, ClientRow.WEBSOCKET);
  }

  /** An HTTP client's row: a pull (status null) or an ack. */
  private static ClientRow http(String client, long at, long applied, String status, Long rejected, String labels) {
    return new ClientRow("a", client, "node-1", "http", labels, false, at, at, applied, status, rejected,
        rejected == null ? null : "bad", ClientRow.ADMIN_OWNER, ClientRow.HTTP);
  }

  private void record(ClientRow... rows) {
    loop.run(() -> List.of(rows).forEach(writer::record));
  }

  /** Waits until the writer has handed the store {@code n} batches so far. */
  private void awaitBatches(int n) {
    loop.await(() -> store.batches.size() >= n, n + " batches");
  }

  private List<ClientRow> batch(int i) {
    return loop.call(() -> store.batches.get(i));
  }

  private void answer(int i, Throwable failure) {
    loop.run(() -> {
      if (failure == null) {
        store.answers.get(i).complete(List.of());
      } else {
        store.answers.get(i).fail(failure);
      }
    });
  }

  @Test
  @DisplayName("rows of one client and namespace coalesce, and a late row of an older connection never wins")
  void coalesces() {
    record(row("a", "c1", 200, 5), row("a", "c2", 200, 1), row("a", "c1", 100, 9), row("b", "c1", 200, 2),
        row("a", "c1", 200, 6));
    awaitBatches(1);
    assertEquals(List.of(row("a", "c1", 200, 6), row("a", "c2", 200, 1), row("b", "c1", 200, 2)), batch(0));
  }

  @Test
  @DisplayName("acks of a connection whose row is written go as ack updates; a new connection or a missing row as upserts")
  void ackUpdatesAfterTheFirstWrite() {
    record(row("a", "c1", 100, 1));
    awaitBatches(1);
    answer(0, null);
    record(row("a", "c1", 100, 2), row("a", "c2", 100, 1));
    awaitBatches(2);
    assertEquals(List.of(List.of(row("a", "c1", 100, 2))), loop.call(() -> List.copyOf(store.ackUpdates)));
    assertEquals(List.of(row("a", "c2", 100, 1)), batch(1), "a client never written goes through the upsert");
    answer(1, null);
    record(row("a", "c1", 300, 3)); // c1 reconnected: a new session
    awaitBatches(3);
    assertEquals(List.of(row("a", "c1", 300, 3)), batch(2));
    answer(2, null);
    loop.run(() -> store.gone.add("c2")); // c2's row was pruned or moved meanwhile
    record(row("a", "c2", 100, 4));
    awaitBatches(4);
    assertEquals(List.of(row("a", "c2", 100, 4)), batch(3), "an ack update that found no row goes through the upsert");
    assertEquals(2, loop.call(() -> store.ackUpdates.size()));
  }

  @Test
  @DisplayName("rows that keep coming wait up to five intervals and go as one batch, not one batch per interval")
  void burstsGoTogether() throws Exception {
    long interval = 50;
    HubMetrics metrics = new HubMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    ClientStateWriter slow = loop.call(() -> new ClientStateWriter(loop.vertx, store, metrics, interval,
        new FailureLog(60_000)));
    // 20 clients ack 5 ms apart: a burst of 100 ms, twice the interval, within the five intervals' wait.
    loop.run(() -> {
      int[] n = {0};
      loop.vertx.setPeriodic(5, id -> {
        slow.record(row("a", "c" + n[0], 1, 1));
        if (++n[0] == 20) {
          loop.vertx.cancelTimer(id);
        }
      });
    });
    awaitBatches(1);
    assertEquals(20, batch(0).size(), "the whole burst in the first batch");
    answer(0, null);
    loop.run(() -> slow.record(row("a", "lone", 1, 1)));
    awaitBatches(2);
    assertEquals(List.of(row("a", "lone", 1, 1)), batch(1));
  }

  @Test
  @DisplayName("a batch holds at most MAX_BATCH rows, and the rest follows as soon as it is durable")
  void batchLimit() {
    int rows = ClientStateWriter.MAX_BATCH + 500;
    loop.run(() -> {
      for (int i = 0; i < rows; i++) {
        writer.record(row("a", "c" + i, 1, 1));
      }
    });
    awaitBatches(1);
    assertEquals(ClientStateWriter.MAX_BATCH, batch(0).size());
    answer(0, null);
    awaitBatches(2);
    assertEquals(500, batch(1).size());
    assertEquals(row("a", "c" + ClientStateWriter.MAX_BATCH, 1, 1), batch(1).get(0));
  }

  @Test
  @DisplayName("a batch that failed is written again, with state recorded meanwhile winning over it")
  void retryNewestWins() {
    record(row("a", "c1", 1, 1), row("a", "c2", 1, 1));
    awaitBatches(1);
    record(row("a", "c1", 1, 2), row("a", "c3", 1, 1));
    answer(0, new RuntimeException("connection reset"));
    loop.run(writer::flush); // what the retry timer does half a second later
    assertEquals(List.of(row("a", "c1", 1, 2), row("a", "c2", 1, 1), row("a", "c3", 1, 1)), batch(1));
    assertEquals(List.of(), loop.call(() -> List.copyOf(announced)), "nothing was announced for a failed batch");
  }

  @Test
  @DisplayName("rows the database refuses as invalid are dropped instead of blocking later ones")
  void refusedRowsDropped() {
    record(row("a", "c1", 1, 1));
    awaitBatches(1);
    answer(0, new io.herald.db.StoreException.InvalidValue(
        new PgException("unsupported Unicode escape sequence", "ERROR", "22P05", null)));
    record(row("a", "c2", 1, 1));
    awaitBatches(2);
    assertEquals(List.of(row("a", "c2", 1, 1)), batch(1));
  }

  @Test
  @DisplayName("a durable batch announces the namespaces it touched, once each, on herald.acks")
  void announcesNamespaces() {
    record(row("a", "c1", 1, 1), row("b", "c1", 1, 1), row("a", "c2", 1, 1));
    awaitBatches(1);
    answer(0, null);
    loop.await(() -> !announced.isEmpty(), "the announcement");
    assertEquals(List.of(new JsonArray().add("a").add("b")), loop.call(() -> List.copyOf(announced)));
  }

  @Test
  @DisplayName("rows the database would not write (another token's, or past a cap) reach the listener")
  void refusalsReported() {
    record(row("a", "c1", 1, 1));
    awaitBatches(1);
    var refusal = new io.herald.db.ClientStateStore.Refusal("a", "c1", io.herald.db.ClientStateStore.Reason.TAKEN);
    loop.run(() -> store.answers.get(0).complete(List.of(refusal)));
    loop.await(() -> !refused.isEmpty(), "the refusal");
    assertEquals(List.of(refusal), loop.call(() -> List.copyOf(refused)));
  }

  @Test
  @DisplayName("a pull after an ack in the same batch keeps the ack, and an applied ack below a rejection keeps it")
  void partialRowsCoalesce() {
    record(http("h1", 1, 3, "applied", null, "{\"app\":\"cron\"}"), http("h1", 2, 0, null, null, null),
        http("h2", 1, 0, "rejected", 5L, null), http("h2", 2, 4, "applied", null, null));
    awaitBatches(1);
    assertEquals(List.of(
        new ClientRow("a", "h1", "node-1", "http", "{\"app\":\"cron\"}", false, 2, 2, 3, "applied", null, null,
            ClientRow.ADMIN_OWNER, ClientRow.HTTP),
        new ClientRow("a", "h2", "node-1", "http", null, false, 2, 2, 4, "rejected", 5L, "bad",
            ClientRow.ADMIN_OWNER, ClientRow.HTTP)), batch(0));
  }

  @Test
  @DisplayName("recordDurably completes once the row's batch is durable, with the refusal of its row if any")
  void durableOutcome() {
    // Both in one event-loop turn, so in one batch (the flush timer could fire in between otherwise).
    var both = loop.call(() -> List.of(writer.recordDurably(row("a", "c1", 1, 1)),
        writer.recordDurably(row("a", "c2", 1, 1))));
    var written = both.get(0);
    var refusedRow = both.get(1);
    awaitBatches(1);
    assertEquals(2, batch(0).size(), "one batch holds both rows");
    assertEquals(false, loop.call(() -> written.isComplete()), "not before the batch is durable");
    var refusal = new io.herald.db.ClientStateStore.Refusal("a", "c2", io.herald.db.ClientStateStore.Reason.OVER_CAP);
    loop.run(() -> store.answers.get(0).complete(List.of(refusal)));
    loop.await(() -> written.isComplete() && refusedRow.isComplete(), "both outcomes");
    assertEquals(java.util.Optional.empty(), written.result());
    assertEquals(java.util.Optional.of(refusal), refusedRow.result());
    assertEquals(List.of(refusal), loop.call(() -> List.copyOf(refused)), "a WebSocket row's refusal reaches the listener");

    var failed = loop.call(() -> writer.recordDurably(row("a", "c3", 1, 1)));
    awaitBatches(2);
    answer(1, new RuntimeException("connection reset"));
    loop.await(failed::isComplete, "the failure");
    assertEquals("connection reset", failed.cause().getMessage());
  }
}
