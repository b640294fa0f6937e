package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that stop reading must not grow the hub's memory: every frame the hub sends (snapshots
 * and catch-ups included) waits while a connection's write queue is full. The hub runs in this
 * JVM, so its live heap is measured directly.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("Slow readers cost bounded memory")
class SlowReaderTest {

  private static final int NAMESPACES = 48;
  private static final int SOCKETS = 4;
  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(SlowReaderTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
    String big = "x".repeat(60_000);
    for (int n = 0; n < NAMESPACES; n++) {
      JsonArray changes = new JsonArray();
      for (int k = 0; k < 16; k++) {
        changes.add(new JsonObject().put("key", "k" + k).put("op", "put").put("value", big + n));
      }
      assertEquals(201, api.post("/v1/namespaces/slow.ns" + n + "/revisions", new JsonObject().put("changes", changes))
          .statusCode());
    }
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static long liveHeap() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** Polls /metrics until the hub has written nothing more for a second. */
  private static void awaitQuiet() throws InterruptedException {
    double last = -1;
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      double now = DeliveryHardeningTest.metric(api, "herald_ws_bytes_sent_total");
      if (now == last) {
        return;
      }
      last = now;
      Thread.sleep(1_000);
    }
    throw new AssertionError("the hub kept writing to clients that do not read");
  }

  @Test
  @DisplayName("4 sockets that stop reading, with 48 subscriptions to ~1 MB namespaces each, grow the live heap by a few MB")
  void boundedHeap(Vertx vertx) throws Exception {
    // Warm up with clients that read: buffer pools and connections grow to their working size
    // before the baseline, so what follows measures what the sleepers cost.
    for (int i = 0; i < SOCKETS; i++) {
      try (WsClient reader = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
        reader.hello("warm-up-" + i);
        for (int n = 0; n < NAMESPACES; n++) {
          reader.subscribe("slow.ns" + n, 0);
        }
      }
    }
    long before = liveHeap();
    double sentBefore = DeliveryHardeningTest.metric(api, "herald_ws_bytes_sent_total");
    List<RawWebSocket> sleepers = new ArrayList<>();
    try {
      for (int i = 0; i < SOCKETS; i++) {
        // Plain sockets that never read: what the hub sends them waits in the kernel, not in this JVM.
        RawWebSocket ws = new RawWebSocket(hub.port(), TestHub.TOKEN);
        sleepers.add(ws);
        ws.sendText(new JsonObject().put("type", "hello").put("client_id", "sleeper-" + i).encode());
        for (int n = 0; n < NAMESPACES; n++) {
          ws.sendText(new JsonObject().put("type", "subscribe").put("namespace", "slow.ns" + n).encode());
        }
      }
      awaitQuiet();
      long grown = liveHeap() - before;
      double offered = SOCKETS * NAMESPACES * 1.0e6;
      assertTrue(grown < 16L * 1024 * 1024, "live heap grew by " + grown / 1024 / 1024 + " MB while " + SOCKETS
          + " sockets did not read " + (long) (offered / 1e6) + " MB of snapshots");
      double sent = DeliveryHardeningTest.metric(api, "herald_ws_bytes_sent_total") - sentBefore;
      assertTrue(sent < offered / 2, "the hub wrote " + (long) (sent / 1e6) + " MB into queues nobody reads");
    } finally {
      for (RawWebSocket ws : sleepers) {
        ws.close();
      }
    }
    assertEquals(200, api.get("/ready").statusCode());
  }

  @Test
  @DisplayName("a client that stops reading and starts again gets every namespace exactly once, then live deltas")
  void catchesUpAfterDrain(Vertx vertx) throws Exception {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxMessageSize(64 * 1024 * 1024).setMaxFrameSize(64 * 1024 * 1024));
    ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(hub.port())
        .setURI("/v1/ws").putHeader("Authorization", "Bearer " + TestHub.TOKEN)).await();
    ws.textMessageHandler(received::add);
    ws.pause();
    ws.writeTextMessage(new JsonObject().put("type", "hello").put("client_id", "waker").encode()).await();
    for (int n = 0; n < NAMESPACES; n++) {
      ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("namespace", "slow.ns" + n).encode()).await();
    }
    awaitQuiet();
    ws.resume();
    long deadline = System.currentTimeMillis() + 60_000;
    Set<String> snapshots = new HashSet<>();
    while (snapshots.size() < NAMESPACES && System.currentTimeMillis() < deadline) {
      String t = received.poll();
      if (t == null) {
        Thread.sleep(20);
        continue;
      }
      JsonObject f = new JsonObject(t);
      if ("snapshot".equals(f.getString("type"))) {
        assertTrue(snapshots.add(f.getString("namespace")), "second snapshot of " + f.getString("namespace"));
        assertEquals(16, f.getJsonObject("entries").size());
      }
    }
    assertEquals(NAMESPACES, snapshots.size(), "every namespace arrived after the drain");
    long v = api.write("slow.ns7", "after", 1);
    deadline = System.currentTimeMillis() + 10_000;
    boolean delivered = false;
    while (!delivered && System.currentTimeMillis() < deadline) {
      String t = received.poll();
      if (t == null) {
        Thread.sleep(20);
      } else {
        JsonObject f = new JsonObject(t);
        delivered = "delta".equals(f.getString("type")) && f.getLong("version") == v;
      }
    }
    assertTrue(delivered, "a live delta reaches the client that started reading again");
    client.close().await();
  }
}
