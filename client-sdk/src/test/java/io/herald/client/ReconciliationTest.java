package io.herald.client;

import io.herald.db.TestDatabase;
import io.herald.hub.HeraldHub;
import io.herald.hub.HubNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Periodic reconciliation, re-offered rejections, typed validation and status(), against a real hub. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("The SDK reconciles with the hub and tells the truth about itself")
class ReconciliationTest {

  private static TestDatabase db;
  private static int port;
  private static HeraldHub hub;

  @BeforeAll
  static void start() {
    db = TestDatabase.create(ReconciliationTest.class);
    port = HubNode.freePort();
    hub = Hubs.start(db, port);
  }

  @AfterAll
  static void stop() {
    hub.stop().await();
    db.close();
  }

  /** Reconciles every second (jittered to 0.75–1.25 s) instead of every 5 minutes. */
  private static HeraldClient.Builder client(String id, String url) {
    return HeraldClient.builder().endpoints(url).token(Hubs.TOKEN).clientId(id)
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).syncInterval(Duration.ofSeconds(1));
  }

  private static JsonObject acks(String ns, long v) {
    return Hubs.get(port, "/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=10s");
  }

  @Test
  @DisplayName("a delta lost on the way is noticed at the next reconciliation, logged, and repaired")
  void lostDeltaRepaired() throws Exception {
    String ns = "rec.lost";
    long v1 = Hubs.write(port, ns, "k", 1);
    try (TestProxy proxy = new TestProxy(port); LogCapture logs = new LogCapture();
         HeraldClient c = client("rec-lost", proxy.url()).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      AtomicInteger dropped = new AtomicInteger();
      // The next delta of the namespace never reaches the client, once; nothing else is lost.
      proxy.toClient(text -> text.contains("\"type\":\"delta\"") && text.contains("\"" + ns + "\"")
          && dropped.compareAndSet(0, 1) ? null : text);
      long v2 = Hubs.write(port, ns, "k", 2);
      Hubs.await(5_000, () -> dropped.get() == 1, "the delta of v2 was dropped");
      assertEquals(v1, view.version(), "without reconciliation the client would stay here silently");
      Hubs.await(10_000, () -> view.version() == v2, "repaired by reconciliation");
      assertEquals(2, view.getInt("k", 0));
      assertEquals(1, logs.at(Level.WARNING, "was behind the hub at version " + v1).size(), logs.records.toString());
      assertEquals(List.of("rec-lost"), acks(ns, v2).getJsonObject("clients").getJsonArray("applied").getList());
    }
  }

  @Test
  @DisplayName("content that does not match its version is replaced by the hub's snapshot at the next reconciliation")
  void corruptedContentRepaired() throws Exception {
    String ns = "rec.corrupt";
    Hubs.write(port, ns, "k", 1);
    try (TestProxy proxy = new TestProxy(port); LogCapture logs = new LogCapture();
         HeraldClient c = client("rec-corrupt", proxy.url()).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      AtomicBoolean once = new AtomicBoolean();
      // The next delta arrives with another value than the hub wrote: same version, other content.
      proxy.toClient(text -> text.contains("\"type\":\"delta\"") && text.contains("\"value\":2")
          && once.compareAndSet(false, true) ? text.replace("\"value\":2", "\"value\":20") : text);
      long v2 = Hubs.write(port, ns, "k", 2);
      Hubs.await(5_000, () -> view.getInt("k", 0) == 20, "the corrupted delta applied");
      assertEquals(v2, view.version());
      Hubs.await(10_000, () -> view.getInt("k", 0) == 2, "the hub's content restored");
      assertEquals(v2, view.version());
      assertEquals(1, logs.at(Level.WARNING, "does not match the hub (digest_mismatch)").size(), logs.records.toString());
      Hubs.await(10_000, () -> c.status().namespaces().get(ns).lastSyncResult() == ClientStatus.SyncResult.IN_SYNC,
          "the next reconciliation finds it in sync");
    }
  }

  @Test
  @DisplayName("a rejected version is offered again at the next reconciliation and applies once the listener is fixed")
  void rejectedVersionOfferedAgain() throws Exception {
    String ns = "rec.retry";
    long v1 = Hubs.write(port, ns, "limit", 10);
    AtomicBoolean broken = new AtomicBoolean(true);
    AtomicInteger offers = new AtomicInteger();
    try (LogCapture logs = new LogCapture(); HeraldClient c = client("rec-retry", Hubs.url(port)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      view.addListener(change -> {
        if (change.toVersion() > v1) {
          offers.incrementAndGet();
        }
        if (broken.get()) {
          throw new IllegalStateException("limit service unreachable");
        }
      });
      long v2 = Hubs.write(port, ns, "limit", 20);
      Hubs.await(10_000, () -> acks(ns, v2).getInteger("rejected") == 1, "the rejection is in the rollout");
      ClientStatus.Rejection r = c.status().namespaces().get(ns).lastRejection();
      assertNotNull(r);
      assertEquals(v2, r.version());
      assertEquals("IllegalStateException: limit service unreachable", r.message());
      assertEquals(v1, view.version());
      assertFalse(logs.at(Level.WARNING, "version " + v2 + " rejected by a listener (IllegalStateException: limit service"
          + " unreachable)").isEmpty(), logs.records.toString());
      Hubs.await(10_000, () -> offers.get() >= 2, "offered again without any new write");

      broken.set(false);
      Hubs.await(10_000, () -> view.version() == v2, "applied at a later reconciliation");
      assertEquals(20, view.getInt("limit", 0));
      // ?wait= does not wait here: a client that rejected v2 is not pending. Its applied ack follows.
      Hubs.await(10_000, () -> acks(ns, v2).getJsonObject("clients").getJsonArray("applied").contains("rec-retry"),
          "the applied ack replaces the rejection");
      assertFalse(logs.at(Level.INFO, "offering what a listener rejected").isEmpty(), logs.records.toString());
      assertTrue(logs.at(Level.WARNING, "was behind the hub").isEmpty(), "a retry is not reported as drift");
    }
  }

  @Test
  @DisplayName("a listener validates the proposed version with typed getters: a string where an int belongs rejects it")
  void typedValidation() throws Exception {
    String ns = "rec.typed";
    Hubs.write(port, ns, "http/port", 8080);
    try (HeraldClient c = client("rec-typed", Hubs.url(port)).syncInterval(Duration.ZERO).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      view.addListener(change -> {
        int p = change.next().getInt("http/port", 80);
        if (p < 1 || p > 65535) {
          throw new IllegalArgumentException("http/port out of range: " + p);
        }
      });
      long bad = Hubs.write(port, ns, "http/port", "3000");
      Hubs.await(10_000, () -> acks(ns, bad).getInteger("rejected") == 1, "rejected");
      JsonObject rollout = acks(ns, bad);
      assertEquals("ConfigTypeException: key 'http/port' of rec.typed holds \"3000\" (a string), not an int",
          rollout.getJsonObject("clients").getJsonArray("rejected").getJsonObject(0).getString("error"));
      assertEquals(8080, view.getInt("http/port", 0), "the application keeps the last good version");
      long good = Hubs.write(port, ns, "http/port", 3000.0);
      Hubs.await(10_000, () -> view.version() == good, "an integral number applies");
      assertEquals(3000, view.getInt("http/port", 0));
    }
  }

  @Test
  @DisplayName("status() shows transport, endpoint, versions, last sync, last error; awaitInitialOutcome says why")
  void status() throws Exception {
    String ns = "rec.status";
    long v1 = Hubs.write(port, ns, "k", 1);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (HeraldClient c = client("rec-status", Hubs.url(port)).meterRegistry(registry).build()) {
      ConfigView view = c.subscribe(ns);
      assertEquals(ConfigView.Initial.READY, view.awaitInitialOutcome(Duration.ofSeconds(10)));
      Hubs.await(10_000, () -> c.status().namespaces().get(ns).lastSyncResult() == ClientStatus.SyncResult.IN_SYNC,
          "a reconciliation");
      ClientStatus s = c.status();
      assertEquals("rec-status", s.clientId());
      assertEquals(ClientStatus.Mode.WEBSOCKET, s.mode());
      assertTrue(s.connected());
      assertEquals(Hubs.url(port), s.endpoint());
      assertNull(s.lastError());
      assertEquals(0, s.reconnects());
      ClientStatus.NamespaceStatus n = s.namespaces().get(ns);
      assertEquals(v1, n.version());
      assertFalse(n.fromCache());
      assertNull(n.lastRejection());
      assertNotNull(n.lastSync());
      assertEquals(1.0, registry.get("herald.client.connected").tag("client_id", "rec-status").gauge().value());
      assertEquals((double) v1, registry.get("herald.client.version").tag("namespace", ns).gauge().value());
    }
    assertTrue(registry.getMeters().isEmpty(), "close() removes the client's meters");

    int nowhere = HubNode.freePort();
    try (HeraldClient c = client("rec-nowhere", Hubs.url(nowhere)).build()) {
      ConfigView view = c.subscribe(ns);
      assertEquals(ConfigView.Initial.UNREACHABLE, view.awaitInitialOutcome(Duration.ofSeconds(1)));
      ClientStatus s = c.status();
      assertFalse(s.connected());
      assertEquals(ClientStatus.Problem.Kind.UNREACHABLE, s.lastError().kind());
      assertEquals(-1, s.namespaces().get(ns).version());
    }

    String rejectedNs = "rec.status.rejected";
    Hubs.write(port, rejectedNs, "k", "bad");
    try (HeraldClient c = client("rec-first-rejected", Hubs.url(port)).syncInterval(Duration.ZERO).build()) {
      ConfigView view = c.subscribe(rejectedNs, change -> change.next().getInt("k", 0));
      assertEquals(ConfigView.Initial.REJECTED, view.awaitInitialOutcome(Duration.ofSeconds(10)),
          "a first version that was rejected is not a missing hub");
      assertTrue(c.status().namespaces().get(rejectedNs).lastRejection().message().contains("not an int"));
    }
  }
}
