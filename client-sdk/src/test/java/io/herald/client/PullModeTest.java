package io.herald.client;

import io.herald.db.TestDatabase;
import io.herald.hub.HeraldHub;
import io.herald.hub.HubNode;
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
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transport.PULL and wrong tokens, against a real hub. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Pull-only clients ack over HTTP; a wrong token costs the hub a handful of requests")
class PullModeTest {

  private static TestDatabase db;
  private static int port;
  private static HeraldHub hub;

  @BeforeAll
  static void start() {
    db = TestDatabase.create(PullModeTest.class);
    port = HubNode.freePort();
    hub = Hubs.start(db, port);
  }

  @AfterAll
  static void stop() {
    hub.stop().await();
    db.close();
  }

  private static JsonObject client(String ns, String id) {
    return Hubs.get(port, "/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream().map(o -> (JsonObject) o)
        .filter(c -> id.equals(c.getString("client_id"))).findFirst().orElse(null);
  }

  @Test
  @DisplayName("a pull-only client at a 1 s interval starts from a snapshot, acks over HTTP and shows in /acks?wait=")
  void pullEverySecond() throws Exception {
    String ns = "pull.every";
    long v1 = Hubs.write(port, ns, "rate", 10);
    try (HeraldClient c = HeraldClient.builder().endpoints(Hubs.url(port)).token(Hubs.TOKEN).clientId("cron-7")
        .label("job", "report").transport(Transport.PULL).pollInterval(Duration.ofSeconds(1)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      assertEquals(v1, view.version());
      // The view has v1 before its HTTP ack lands; until then the namespace has no client, and an
      // empty rollout is complete at once: wait for the row, then for the ack.
      Hubs.await(10_000, () -> client(ns, "cron-7") != null, "cron-7's row");
      JsonObject first = Hubs.get(port, "/v1/namespaces/" + ns + "/versions/" + v1 + "/acks?wait=10s");
      assertEquals(List.of("cron-7"), first.getJsonObject("clients").getJsonArray("applied").getList(), first.encode());

      long v2 = Hubs.write(port, ns, "rate", 20);
      JsonObject rollout = Hubs.get(port, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks?wait=10s");
      assertTrue(rollout.getBoolean("complete"), rollout.encode());
      assertEquals(List.of("cron-7"), rollout.getJsonObject("clients").getJsonArray("applied").getList(), rollout.encode());
      assertEquals(20, view.getInt("rate", 0));

      JsonObject row = client(ns, "cron-7");
      assertEquals("http", row.getString("transport"), row.encode());
      assertEquals("report", row.getJsonObject("labels").getString("job"));
      assertFalse(row.getBoolean("stale"));
      ClientStatus s = c.status();
      assertEquals(ClientStatus.Mode.PULL, s.mode());
      assertTrue(s.connected());
      assertEquals(ClientStatus.SyncResult.PULLED, s.namespaces().get(ns).lastSyncResult());
      assertNull(s.lastError());
    }
  }

  @Test
  @DisplayName("pull mode with pollInterval ZERO long-polls; a rejected version is acked rejected and offered again")
  void longPollAndRetry() throws Exception {
    String ns = "pull.retry";
    long v1 = Hubs.write(port, ns, "mode", "a");
    AtomicBoolean broken = new AtomicBoolean(true);
    try (HeraldClient c = HeraldClient.builder().endpoints(Hubs.url(port)).token(Hubs.TOKEN).clientId("poller-9")
        .transport(Transport.PULL).pollInterval(Duration.ZERO).syncInterval(Duration.ofSeconds(1)).build()) {
      ConfigView view = c.subscribe(ns, change -> {
        if (change.toVersion() > v1 && broken.get()) {
          throw new IllegalArgumentException("mode b is not supported yet");
        }
      });
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      long v2 = Hubs.write(port, ns, "mode", "b");
      JsonObject rollout = Hubs.get(port, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks?wait=10s");
      assertEquals("IllegalArgumentException: mode b is not supported yet",
          rollout.getJsonObject("clients").getJsonArray("rejected").getJsonObject(0).getString("error"), rollout.encode());
      assertEquals(v1, view.version());
      assertNotNull(c.status().namespaces().get(ns).lastRejection());
      broken.set(false);
      // The long poll waits for news after version 2; the next reconciliation pulls from version 1 again.
      Hubs.await(10_000, () -> view.version() == v2, "offered again and applied");
      Hubs.await(10_000, () -> Hubs.get(port, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks")
          .getJsonObject("clients").getJsonArray("applied").contains("poller-9"), "applied over HTTP");
    }
  }

  @Test
  @DisplayName("a wrong token is an authentication error: SEVERE once, backoff, never 'no WebSocket', a handful of requests")
  void wrongTokenBacksOff() throws Exception {
    for (Transport transport : Transport.values()) {
      try (TestProxy proxy = new TestProxy(port); LogCapture logs = new LogCapture();
           HeraldClient c = HeraldClient.builder().endpoints(proxy.url()).token("not-a-token")
               .clientId("wrong-" + transport.name().toLowerCase()).transport(transport).build()) {
        ConfigView view = c.subscribe("pull.auth");
        // Default backoff (200 ms doubling up to 30 s, full jitter): about 7 requests in these 6 s
        // and then 2 to 4 a minute, where the SDK used to send thousands a second.
        assertEquals(ConfigView.Initial.AUTHENTICATION_FAILED, view.awaitInitialOutcome(Duration.ofSeconds(6)));
        int sent = proxy.requests.get();
        assertTrue(sent >= 2 && sent <= 12, transport + ": " + sent + " requests in 6 s");
        ClientStatus s = c.status();
        assertEquals(ClientStatus.Problem.Kind.AUTHENTICATION, s.lastError().kind(), s.toString());
        assertTrue(s.lastError().message().contains("401"), s.lastError().message());
        assertEquals(transport == Transport.PULL ? ClientStatus.Mode.PULL : ClientStatus.Mode.WEBSOCKET, s.mode(),
            "an authentication error is not a proxy without WebSocket");
        assertFalse(s.connected());
        assertEquals(1, logs.at(Level.SEVERE, "refused the token (401").size(), logs.records.toString());
        assertTrue(logs.at(Level.WARNING, "long poll").isEmpty(), logs.records.toString());
      }
    }
  }
}
