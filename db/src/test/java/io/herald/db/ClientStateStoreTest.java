package io.herald.db;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("Rollout answers computed by the database")
class ClientStateStoreTest {

  private static TestDatabase db;
  private static Pool pool;
  private static ClientStateStore clients;
  private static final long NOW = System.currentTimeMillis();

  @BeforeAll
  static void setUp(Vertx vertx) {
    db = TestDatabase.create(ClientStateStoreTest.class);
    pool = Database.pool(vertx, db.url(), 4);
    clients = new ClientStateStore(pool);
  }

  @AfterAll
  static void tearDown() {
    pool.close().await();
    db.close();
  }

  private static ClientRow row(String ns, String id, boolean connected, long applied, String status, Long rejected,
                               String error, String transport, long lastSeen) {
    return new ClientRow(ns, id, "node-1", "s-" + id, "{}", connected, NOW, lastSeen, applied, status, rejected, error,
        "tok", transport);
  }

  @Test
  @DisplayName("acks of the connection a row was written for update it in place, as the upsert would; others are handed back")
  void ackUpdates() {
    String ns = "acks.update";
    clients.upsert(List.of(row(ns, "a", true, 0, null, null, null, ClientRow.WEBSOCKET, NOW),
        row(ns, "b", true, 3, "rejected", 4L, "bad", ClientRow.WEBSOCKET, NOW)), 100).await();
    ClientRow moved = new ClientRow(ns, "b", "node-2", "s-b2", "{}", true, NOW + 1, NOW + 1, 3, null, null, null, "tok",
        ClientRow.WEBSOCKET);
    clients.upsert(List.of(moved), 100).await(); // b reconnected elsewhere: its old connection's acks must not land
    List<ClientRow> missed = clients.updateAcks(List.of(
        row(ns, "a", true, 7, "applied", null, null, ClientRow.WEBSOCKET, NOW + 5),
        row(ns, "b", true, 9, "applied", null, null, ClientRow.WEBSOCKET, NOW + 5),
        row(ns, "nobody", true, 1, "applied", null, null, ClientRow.WEBSOCKET, NOW + 5))).await();
    assertEquals(java.util.Set.of("b", "nobody"), missed.stream().map(ClientRow::clientId).collect(
        java.util.stream.Collectors.toSet()));
    java.util.Map<String, ClientRow> stored = new java.util.HashMap<>();
    clients.list(ns).await().forEach(r -> stored.put(r.clientId(), r));
    assertEquals(7, stored.get("a").appliedVersion());
    assertEquals("applied", stored.get("a").status());
    assertTrue(stored.get("a").lastSeen() >= NOW + 4, "last seen moves with the ack");
    assertEquals(3, stored.get("b").appliedVersion(), "the newer connection's row is untouched");
    assertEquals("s-b2", stored.get("b").session());
    // The upsert's rules hold: the applied version never goes down; an applied ack below a rejection keeps it.
    clients.upsert(List.of(row(ns, "r", true, 3, "rejected", 5L, "no", ClientRow.WEBSOCKET, NOW)), 100).await();
    assertEquals(List.of(), clients.updateAcks(List.of(
        row(ns, "a", true, 2, "applied", null, null, ClientRow.WEBSOCKET, NOW + 6),
        row(ns, "r", true, 4, "applied", null, null, ClientRow.WEBSOCKET, NOW + 6))).await());
    clients.list(ns).await().forEach(r -> stored.put(r.clientId(), r));
    assertEquals(7, stored.get("a").appliedVersion());
    assertEquals("rejected", stored.get("r").status());
    assertEquals(5L, stored.get("r").rejectedVersion());
    assertEquals(4, stored.get("r").appliedVersion());
  }

  @Test
  @DisplayName("an HTTP client's ack written after the pull that followed it still counts, in the table and in a batch")
  void httpRowsMergeInEitherOrder() {
    String ns = "acks.http";
    // The SDK's long poll sends its next /watch while the ack is in flight: on two event loops, the
    // pull's row (newer) may be written before the ack's.
    ClientRow pull = new ClientRow(ns, "p", "node-2", "http", null, false, NOW + 10, NOW + 10, 0, null, null, null,
        "tok", ClientRow.HTTP);
    ClientRow ack = new ClientRow(ns, "p", "node-1", "http", "{\"zone\":\"a\"}", false, NOW + 5, NOW + 5, 3, "applied",
        null, null, "tok", ClientRow.HTTP);
    clients.upsert(List.of(pull), 100).await();
    clients.upsert(List.of(ack), 100).await();
    ClientRow stored = clients.list(ns).await().get(0);
    assertEquals(3, stored.appliedVersion(), "the ack is not lost");
    assertEquals("applied", stored.status());
    assertEquals("node-2", stored.node(), "the newer row's node stays");
    assertEquals(NOW + 10, stored.lastSeen(), "last seen never goes back");
    ClientRow merged = pull.then(ack); // the writer's in-batch merge follows the same rule
    assertEquals(stored.appliedVersion(), merged.appliedVersion());
    assertEquals(stored.status(), merged.status());
    assertEquals(stored.node(), merged.node());
    assertEquals(stored.lastSeen(), merged.lastSeen());
    // A late, older rejection does not overwrite a newer applied ack; a WebSocket row of an older
    // connection still changes nothing.
    clients.upsert(List.of(new ClientRow(ns, "p", "node-1", "http", null, false, NOW + 1, NOW + 1, 0, "rejected", 2L,
        "old", "tok", ClientRow.HTTP)), 100).await();
    assertEquals("applied", clients.list(ns).await().get(0).status());
    clients.upsert(List.of(row(ns, "w", true, 5, "applied", null, null, ClientRow.WEBSOCKET, NOW + 10)), 100).await();
    clients.upsert(List.of(new ClientRow(ns, "w", "node-1", "s-old", "{}", false, NOW - 1, NOW + 20, 9, "applied", null,
        null, "tok", ClientRow.WEBSOCKET)), 100).await();
    ClientRow ws = clients.list(ns).await().stream().filter(r -> r.clientId().equals("w")).findFirst().orElseThrow();
    assertEquals(5, ws.appliedVersion());
    assertTrue(ws.connected());
  }

  @Test
  @DisplayName("counts every bucket exactly, lists the first clients of each in id order, and says when it cut")
  void bucketsAndLists() {
    String ns = "rollout.buckets";
    List<ClientRow> rows = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      rows.add(row(ns, "applied-" + i, true, 5, "applied", null, null, ClientRow.WEBSOCKET, NOW));
    }
    rows.add(row(ns, "ahead", true, 9, "applied", null, null, ClientRow.WEBSOCKET, NOW));
    rows.add(row(ns, "rejecter", true, 4, "rejected", 5L, "bad pool", ClientRow.WEBSOCKET, NOW));
    rows.add(row(ns, "old-rejecter", true, 3, "rejected", 4L, "older", ClientRow.WEBSOCKET, NOW)); // rejected 4, not 5
    rows.add(row(ns, "waiting-b", true, 4, "applied", null, null, ClientRow.WEBSOCKET, NOW));
    rows.add(row(ns, "waiting-a", true, 0, null, null, null, ClientRow.WEBSOCKET, NOW));
    rows.add(row(ns, "poller", false, 4, "applied", null, null, ClientRow.HTTP, NOW));
    rows.add(row(ns, "stale-poller", false, 4, "applied", null, null, ClientRow.HTTP, NOW - 600_000));
    rows.add(row(ns, "gone", false, 4, "applied", null, null, ClientRow.WEBSOCKET, NOW));
    assertEquals(List.of(), clients.upsert(rows, 10_000).await());
    long cutoff = NOW - 300_000;

    ClientStateStore.Rollout all = clients.rollout(ns, 5, cutoff, 1_000).await();
    assertEquals(8, all.applied());
    assertEquals(1, all.rejected());
    assertEquals(4, all.pending(), "old-rejecter, waiting-a, waiting-b and the fresh poller");
    assertEquals(2, all.disconnected());
    assertEquals(List.of("ahead", "applied-0", "applied-1", "applied-2", "applied-3", "applied-4", "applied-5",
        "applied-6"), all.appliedIds());
    assertEquals(List.of(new ClientStateStore.Rejection("rejecter", 5, "bad pool")), all.rejections());
    assertEquals(List.of("old-rejecter", "poller", "waiting-a", "waiting-b"), all.pendingIds());
    assertEquals(List.of("gone", "stale-poller"), all.disconnectedIds());
    assertFalse(all.truncated());

    ClientStateStore.Rollout cut = clients.rollout(ns, 5, cutoff, 2).await();
    assertEquals(8, cut.applied(), "counts stay exact when the lists are cut");
    assertEquals(4, cut.pending());
    assertEquals(List.of("ahead", "applied-0"), cut.appliedIds());
    assertEquals(List.of("old-rejecter", "poller"), cut.pendingIds());
    assertTrue(cut.truncated());

    ClientStateStore.Rollout counts = clients.rollout(ns, 5, cutoff, 0).await();
    assertEquals(List.of(8L, 1L, 4L, 2L), List.of(counts.applied(), counts.rejected(), counts.pending(),
        counts.disconnected()));
    assertTrue(counts.appliedIds().isEmpty() && counts.pendingIds().isEmpty() && counts.rejections().isEmpty());
    assertFalse(counts.truncated());

    assertTrue(clients.anyPending(ns, 5, cutoff).await());
  }

  @Test
  @DisplayName("pending means a live client that neither applied nor rejected the version")
  void anyPending() {
    String ns = "rollout.pending";
    assertEquals(List.of(), clients.upsert(List.of(
        row(ns, "done", true, 3, "applied", null, null, ClientRow.WEBSOCKET, NOW),
        row(ns, "refused", true, 2, "rejected", 3L, "no", ClientRow.WEBSOCKET, NOW),
        row(ns, "away", false, 1, "applied", null, null, ClientRow.WEBSOCKET, NOW),
        row(ns, "stale", false, 1, "applied", null, null, ClientRow.HTTP, NOW - 600_000)), 10_000).await());
    long cutoff = NOW - 300_000;
    assertFalse(clients.anyPending(ns, 3, cutoff).await(), "applied, rejected, disconnected and stale: none pending");
    assertTrue(clients.anyPending(ns, 4, cutoff).await(), "nobody has 4 yet, and two clients are live");
    assertTrue(clients.anyPending(ns, 3, NOW - 900_000).await(), "with an older cutoff the poller is live again");
  }

  @Test
  @DisplayName("a namespace without clients has an empty, complete rollout")
  void noClients() {
    ClientStateStore.Rollout r = clients.rollout("rollout.empty", 1, 0, 1_000).await();
    assertEquals(List.of(0L, 0L, 0L, 0L), List.of(r.applied(), r.rejected(), r.pending(), r.disconnected()));
    assertFalse(clients.anyPending("rollout.empty", 1, 0).await());
  }
}
