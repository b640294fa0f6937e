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
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("The Java client SDK against real hubs")
class HeraldClientTest {

  private static TestDatabase db;
  private static int portA;
  private static HeraldHub hubA;

  @BeforeAll
  static void start() {
    db = TestDatabase.create(HeraldClientTest.class);
    portA = HubNode.freePort();
    hubA = Hubs.start(db, portA);
  }

  @AfterAll
  static void stop() {
    hubA.stop().await();
    db.close();
  }

  private static HeraldClient.Builder client(String id, String... urls) {
    return HeraldClient.builder().endpoints(urls).token(Hubs.TOKEN).clientId(id).label("test", "sdk")
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).heartbeat(Duration.ofSeconds(2));
  }

  record Pool(int size, String mode) {
  }

  @Test
  @DisplayName("initial snapshot, typed getters, live changes with old and new values, applied acks")
  void liveConfig() throws Exception {
    String ns = "sdk.live";
    Hubs.write(portA, ns, "db/pool", new JsonObject().put("size", 10).put("mode", "fair"), "flag", true, "name", "x");
    try (HeraldClient c = client("sdk-live", Hubs.url(portA)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      assertEquals(1, view.version());
      assertEquals(new Pool(10, "fair"), view.get("db/pool", Pool.class, null));
      assertTrue(view.getBoolean("flag", false));
      assertEquals("x", view.getString("name", "?"));
      assertEquals(7, view.getInt("missing", 7));

      LinkedBlockingQueue<ConfigChange> changes = new LinkedBlockingQueue<>();
      view.addListener(changes::add);
      long v2 = Hubs.write(portA, ns, "flag", false, "limit", 5);
      ConfigChange change = changes.poll(10, TimeUnit.SECONDS);
      assertNotNull(change);
      assertEquals(1, change.fromVersion());
      assertEquals(v2, change.toVersion());
      assertEquals(Set.of("flag", "limit"), change.changes().keySet());
      assertEquals(true, change.changes().get("flag").oldValue());
      assertEquals(false, change.changes().get("flag").newValue());
      assertTrue(change.changes().get("limit").added());
      Hubs.await(5_000, () -> view.version() == v2, "view at v2");
      assertEquals(5, view.getInt("limit", 0));
      Hubs.await(10_000, () -> Hubs.get(portA, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks")
          .getJsonObject("clients").getJsonArray("applied").contains("sdk-live"), "applied ack of v2");
      assertTrue(c.connected());
    }
  }

  @Test
  @DisplayName("a listener that throws rejects the version: old config stays, the rollout shows the error")
  void rejection() throws Exception {
    String ns = "sdk.reject";
    Hubs.write(portA, ns, "limit", 10);
    try (HeraldClient c = client("sdk-reject", Hubs.url(portA)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      view.addListener(change -> {
        var limit = change.changes().get("limit");
        if (limit != null && limit.newValue() instanceof Integer i && i < 0) {
          throw new IllegalArgumentException("limit must be positive, got " + i);
        }
      });
      long bad = Hubs.write(portA, ns, "limit", -1);
      Hubs.await(10_000, () -> Hubs.get(portA, "/v1/namespaces/" + ns + "/versions/" + bad + "/acks")
          .getInteger("rejected") == 1, "rejected ack");
      JsonObject rejected = Hubs.get(portA, "/v1/namespaces/" + ns + "/versions/" + bad + "/acks")
          .getJsonObject("clients").getJsonArray("rejected").getJsonObject(0);
      assertTrue(rejected.getString("error").contains("limit must be positive, got -1"), rejected.encode());
      assertEquals(10, view.getInt("limit", 0), "the previous configuration stays active");
      assertEquals(1, view.version());

      long good = Hubs.write(portA, ns, "limit", 20, "other", "y");
      Hubs.await(10_000, () -> view.version() == good, "the next good version applies");
      assertEquals(20, view.getInt("limit", 0));
      assertEquals("y", view.getString("other", null));
    }
  }

  @Test
  @DisplayName("when its hub goes away the client fails over to another endpoint and resumes without loss")
  void failover() throws Exception {
    String ns = "sdk.failover";
    int portB = HubNode.freePort();
    HeraldHub hubB = Hubs.start(db, portB);
    Hubs.write(portA, ns, "k", 1);
    try (HeraldClient c = client("sdk-failover", Hubs.url(portB), Hubs.url(portA)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      Hubs.await(5_000, c::connected, "connected to hub B");
      hubB.stop().await();
      long v2 = Hubs.write(portA, ns, "k", 2);
      long v3 = Hubs.write(portA, ns, "k", 3, "j", "new");
      Hubs.await(15_000, () -> view.version() == v3, "resumed on hub A at v3");
      assertEquals(3, view.getInt("k", 0));
      assertEquals("new", view.getString("j", null));
      assertTrue(v2 < v3);
    }
  }

  @Test
  @DisplayName("with every hub down the client starts from its cache, then catches up when a hub appears")
  void cacheThenCatchUp(@TempDir Path cacheDir) throws Exception {
    String ns = "sdk.cache";
    long v1 = Hubs.write(portA, ns, "color", "blue");
    try (HeraldClient first = client("sdk-cache", Hubs.url(portA)).cacheDir(cacheDir).build()) {
      ConfigView view = first.subscribe(ns);
      Hubs.await(10_000, () -> view.version() == v1, "first run applied v1");
    }
    assertTrue(cacheDir.resolve(ns + ".json").toFile().exists());

    int laterPort = HubNode.freePort();
    try (HeraldClient second = client("sdk-cache", Hubs.url(laterPort)).cacheDir(cacheDir).build()) {
      ConfigView view = second.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(1)), "the cache answers at once");
      assertTrue(view.fromCache());
      assertEquals(v1, view.version());
      assertEquals("blue", view.getString("color", null));
      assertFalse(second.connected());

      long v2 = Hubs.write(portA, ns, "color", "green");
      HeraldHub later = Hubs.start(db, laterPort);
      try {
        Hubs.await(20_000, () -> view.version() == v2, "caught up once a hub appeared");
        assertFalse(view.fromCache());
        assertEquals("green", view.getString("color", null));
      } finally {
        later.stop().await();
      }
    }
  }

  @Test
  @DisplayName("reconnect delays grow exponentially up to the cap, with full jitter")
  void backoffBounds() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    assertEquals(100, b.ceilingMs(0));
    assertEquals(800, b.ceilingMs(3));
    assertEquals(5_000, b.ceilingMs(6));
    assertEquals(5_000, b.ceilingMs(1_000));
    Set<Long> seen = new java.util.HashSet<>();
    for (int attempt = 0; attempt < 12; attempt++) {
      for (int i = 0; i < 200; i++) {
        long d = b.delayMs(attempt);
        assertTrue(d >= 0 && d <= b.ceilingMs(attempt), "delay " + d + " of attempt " + attempt);
        seen.add(d);
      }
    }
    assertTrue(seen.size() > 100, "jitter spreads the delays");
  }

  @Test
  @DisplayName("close() stops every thread the client started")
  void closeReleasesThreads() throws Exception {
    String ns = "sdk.threads";
    Hubs.write(portA, ns, "k", 1);
    try (HeraldClient warm = client("sdk-warm", Hubs.url(portA)).build()) {
      assertTrue(warm.subscribe(ns).awaitInitial(Duration.ofSeconds(10)));
    }
    Set<Long> before = Thread.getAllStackTraces().keySet().stream().map(Thread::getId).collect(Collectors.toSet());
    HeraldClient c = client("sdk-threads", Hubs.url(portA)).build();
    assertTrue(c.subscribe(ns).awaitInitial(Duration.ofSeconds(10)));
    c.close();
    Hubs.await(10_000, () -> Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t.getId()) && t.isAlive())
        .noneMatch(t -> t.getName().startsWith("vert.x") || t.getName().startsWith("herald-client")),
        "no thread of the client left: " + Thread.getAllStackTraces().keySet().stream()
            .filter(t -> !before.contains(t.getId())).map(Thread::getName).toList());
  }

  @Test
  @DisplayName("when a proxy refuses WebSocket upgrades the client follows changes by long poll and acks over HTTP")
  void longPollFallback() throws Exception {
    String ns = "sdk.poll";
    Hubs.write(portA, ns, "mode", "ws");
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    int proxyPort = HubNode.freePort();
    io.vertx.core.http.HttpClient upstream = vertx.createHttpClient();
    // A proxy that forwards plain HTTP to the hub and refuses every WebSocket upgrade.
    vertx.createHttpServer().requestHandler(req -> {
      if (req.headers().contains("Upgrade", "websocket", true)) {
        req.response().setStatusCode(400).end("no websockets here");
        return;
      }
      req.body().compose(body -> upstream.request(new io.vertx.core.http.RequestOptions().setMethod(req.method())
              .setHost("127.0.0.1").setPort(portA).setURI(req.uri()).setHeaders(req.headers()).setIdleTimeout(60_000))
          .compose(up -> up.send(body)))
          .compose(resp -> resp.body().map(b -> {
            req.response().setStatusCode(resp.statusCode()).end(b);
            return b;
          }))
          .onFailure(e -> req.response().setStatusCode(502).end());
    }).listen(proxyPort, "127.0.0.1").await();
    try (HeraldClient c = client("sdk-poll", Hubs.url(proxyPort)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)), "initial state by long poll");
      assertEquals("ws", view.getString("mode", null));
      assertEquals(ClientStatus.Mode.LONG_POLL, c.status().mode());
      long v2 = Hubs.write(portA, ns, "mode", "poll");
      Hubs.await(10_000, () -> view.version() == v2, "the change arrives by long poll");
      assertEquals("poll", view.getString("mode", null));
      // A long-polling client acks over HTTP: the rollout sees it.
      JsonObject rollout = Hubs.get(portA, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks?wait=10s");
      assertEquals(List.of("sdk-poll"), rollout.getJsonObject("clients").getJsonArray("applied").getList(), rollout.encode());
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("readers on many threads never see two versions mixed, and a restarted hub is resumed without loss")
  void consistentReadsAcrossRestart() throws Exception {
    String ns = "sdk.consistent";
    int port = HubNode.freePort();
    HeraldHub hub = Hubs.start(db, port);
    Hubs.write(port, ns, "a", 0, "b", 0);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<String> torn = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
    try (HeraldClient c = client("sdk-consistent", Hubs.url(port)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      List<Thread> readers = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread r = new Thread(() -> {
          while (!stop.get()) {
            var snapshot = view.asMap();
            Object a = snapshot.get("a");
            Object b = snapshot.get("b");
            if (!java.util.Objects.equals(a, b)) {
              torn.compareAndSet(null, "a=" + a + " b=" + b);
            }
            reads.incrementAndGet();
          }
        });
        r.start();
        readers.add(r);
      }
      for (int i = 1; i <= 20; i++) {
        Hubs.write(port, ns, "a", i, "b", i);
      }
      Hubs.await(10_000, () -> view.getInt("a", -1) == 20, "all 20 versions applied");

      hub.stop().await();
      Hubs.await(10_000, () -> !c.connected(), "the client noticed the hub left");
      hub = Hubs.start(db, port);
      long after = Hubs.write(port, ns, "a", 21, "b", 21);
      Hubs.await(20_000, () -> view.version() == after, "resumed on the restarted hub");
      stop.set(true);
      for (Thread r : readers) {
        r.join();
      }
      assertEquals(null, torn.get(), "a reader saw a half-applied version");
      assertTrue(reads.get() > 1000, "readers ran concurrently with the updates (" + reads.get() + " reads)");
      assertEquals(21, view.getInt("b", -1));
    } finally {
      stop.set(true);
      hub.stop().await();
    }
  }
}
