package io.herald.hub;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Timeout;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("WebSocket push, acks and rollout against a real hub")
class WebSocketPushTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(WebSocketPushTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static WsClient client(Vertx vertx, String id) {
    WsClient c = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
    c.hello(id);
    return c;
  }

  @Test
  @DisplayName("a subscriber gets a snapshot, then every write as a delta with base and version")
  void liveDelta(Vertx vertx) {
    String ns = "live.delta";
    try (WsClient c = client(vertx, "svc-live")) {
      JsonObject snap = c.subscribe(ns, 0);
      assertEquals("snapshot", snap.getString("type"));
      assertEquals(0, snap.getLong("version"));
      assertEquals(new JsonObject(), snap.getJsonObject("entries"));

      api.write(ns, "timeout", 30, "mode", "fast");
      JsonObject d1 = c.apply(c.next("delta"));
      assertEquals(0, d1.getLong("base"));
      assertEquals(1, d1.getLong("version"));
      assertEquals(new JsonArray()
          .add(new JsonObject().put("key", "mode").put("op", "put").put("value", "fast"))
          .add(new JsonObject().put("key", "timeout").put("op", "put").put("value", 30)), d1.getJsonArray("changes"));

      assertEquals(200, api.send(HttpMethod.DELETE, "/v1/namespaces/" + ns + "/entries/mode", null, Map.of()).statusCode());
      JsonObject d2 = c.apply(c.next("delta"));
      assertEquals(2, d2.getLong("version"));
      assertEquals(new JsonObject().put("timeout", 30), c.state.get(ns));

      WsClient late = client(vertx, "svc-late");
      JsonObject lateSnap = late.subscribe(ns, 0);
      assertEquals(2, lateSnap.getLong("version"));
      assertEquals(new JsonObject().put("timeout", 30), lateSnap.getJsonObject("entries"));
      late.close();
    }
  }

  @Test
  @DisplayName("a client resuming with since gets exactly what it missed, from memory or from the database")
  void resume(Vertx vertx) {
    String ns = "resume.ns";
    api.write(ns, "a", 1);
    api.write(ns, "b", 2);
    try (WsClient keeper = client(vertx, "keeper")) {
      keeper.subscribe(ns, 0);
      WsClient first = client(vertx, "resumer");
      first.subscribe(ns, 0);
      assertEquals(2L, first.versions.get(ns));
      first.close();

      api.write(ns, "a", 10);
      api.write(ns, "c", 3);
      api.write(ns, "b", 20);
      keeper.applyUntil(ns, 5);

      // The keeper holds the feed open on the hub, so the missed versions come one by one.
      WsClient again = client(vertx, "resumer");
      again.versions.put(ns, 2L);
      again.state.put(ns, first.state.get(ns).copy());
      List<Long> got = new ArrayList<>();
      again.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", 2));
      while (again.versions.get(ns) < 5) {
        got.add(again.apply(again.next("delta")).getLong("version"));
      }
      assertEquals(List.of(3L, 4L, 5L), got);
      assertEquals(api.json("/v1/namespaces/" + ns).getJsonObject("entries"), again.state.get(ns));
      again.close();
    }

    // Nobody holds the feed now: the catch-up is one merged delta read from the database.
    api.write(ns, "d", 4);
    api.write(ns, "d", 5);
    WsClient third = client(vertx, "resumer");
    third.versions.put(ns, 5L);
    third.state.put(ns, api.json("/v1/namespaces/" + ns + "?version=5").getJsonObject("entries"));
    JsonObject merged = third.subscribe(ns, 5);
    assertEquals("delta", merged.getString("type"));
    assertEquals(5, merged.getLong("base"));
    assertEquals(7, merged.getLong("version"));
    assertEquals(api.json("/v1/namespaces/" + ns).getJsonObject("entries"), third.state.get(ns));

    // Already current: an empty delta confirms it.
    WsClient current = client(vertx, "current");
    current.versions.put(ns, 7L);
    JsonObject none = current.subscribe(ns, 7);
    assertEquals(7, none.getLong("base"));
    assertEquals(7, none.getLong("version"));
    assertTrue(none.getJsonArray("changes").isEmpty());
    // Claims a version the namespace never had: it gets a snapshot to start over from.
    JsonObject reset = current.subscribe("resume.other", 99);
    assertEquals("snapshot", reset.getString("type"));
    assertEquals(0, reset.getLong("version"));
    third.close();
    current.close();
  }

  @Test
  @DisplayName("acks appear in /acks and /clients, a rejected ack shows its error")
  void acksAndClients(Vertx vertx) {
    String ns = "acks.ns";
    long v1 = api.write(ns, "flag", false);
    double appliedBefore = metric("herald_acks_received_total{status=\"applied\"}");
    double rejectedBefore = metric("herald_acks_received_total{status=\"rejected\"}");
    try (WsClient a = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
         WsClient b = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      a.hello("svc-a", new JsonObject().put("app", "payments").put("zone", "eu-1"));
      b.hello("svc-b");
      a.subscribe(ns, 0);
      b.subscribe(ns, 0);
      a.ack(ns, v1);
      b.ack(ns, v1);
      long v2 = api.write(ns, "flag", true);
      a.apply(a.next("delta"));
      b.apply(b.next("delta"));
      a.ack(ns, v2);
      b.reject(ns, v2, "flag parse error: expected string");

      JsonObject rollout = awaitRollout(ns, v2, r -> r.getInteger("applied") + r.getInteger("rejected") == 2);
      assertEquals(1, rollout.getInteger("applied"));
      assertEquals(1, rollout.getInteger("rejected"));
      assertTrue(rollout.getBoolean("complete"));
      assertEquals(new JsonArray().add("svc-a"), rollout.getJsonObject("clients").getJsonArray("applied"));
      JsonObject rejected = rollout.getJsonObject("clients").getJsonArray("rejected").getJsonObject(0);
      assertEquals("svc-b", rejected.getString("client_id"));
      assertEquals("flag parse error: expected string", rejected.getString("error"));
      assertEquals(2, api.json("/v1/namespaces/" + ns + "/versions/1/acks").getInteger("applied"));
      // Acking an older version again does not hide the rejection of the newer one.
      b.ack(ns, v1);
      b.send(new JsonObject().put("type", "ping"));
      b.next("pong");
      // Every valid ack counts once, however the hub batches the counting.
      long deadline = System.currentTimeMillis() + 5_000;
      while (metric("herald_acks_received_total{status=\"applied\"}") - appliedBefore < 4
          && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(4, metric("herald_acks_received_total{status=\"applied\"}") - appliedBefore);
      assertEquals(1, metric("herald_acks_received_total{status=\"rejected\"}") - rejectedBefore);

      JsonArray clients = api.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients");
      assertEquals(2, clients.size());
      JsonObject ca = clients.getJsonObject(0);
      assertEquals("svc-a", ca.getString("client_id"));
      assertEquals(v2, ca.getLong("applied_version"));
      assertEquals("applied", ca.getString("status"));
      assertEquals("payments", ca.getJsonObject("labels").getString("app"));
      assertTrue(ca.getBoolean("connected"));
      JsonObject cb = clients.getJsonObject(1);
      assertEquals("rejected", cb.getString("status"));
      assertEquals(v1, cb.getLong("applied_version"));
      assertEquals(v2, cb.getLong("rejected_version"));

      assertEquals(1, api.json("/v1/namespaces").getJsonArray("namespaces").stream().map(o -> (JsonObject) o)
          .filter(o -> o.getString("name").equals(ns)).findFirst().orElseThrow().getLong("connected_clients") - 1);
    }
    JsonObject after = awaitRollout(ns, 2, r -> r.getInteger("disconnected") == 0 && r.getInteger("pending") == 0
        && api.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream()
            .noneMatch(o -> ((JsonObject) o).getBoolean("connected")));
    assertEquals(1, after.getInteger("applied"));
  }

  private static JsonObject awaitRollout(String ns, long v, java.util.function.Predicate<JsonObject> done) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      JsonObject r = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks");
      if (done.test(r)) {
        return r;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("rollout never reached the expected state: " + r.encode());
      }
      Thread.onSpinWait();
    }
  }

  @Test
  @DisplayName("the ?wait form answers as soon as the last connected client acks")
  void waitForRollout(Vertx vertx) throws Exception {
    String ns = "wait.ns";
    try (WsClient a = client(vertx, "wait-a"); WsClient b = client(vertx, "wait-b")) {
      a.subscribe(ns, 0);
      b.subscribe(ns, 0);
      long v = api.write(ns, "k", 1);
      a.apply(a.next("delta"));
      b.apply(b.next("delta"));
      a.ack(ns, v);
      // Both clients' rows are durable (written in batches every few ms) before we ask.
      awaitRollout(ns, v, r -> r.getInteger("applied") == 1 && r.getInteger("pending") == 1);

      long started = System.currentTimeMillis();
      Future<HttpResponse<Buffer>> waiting = api.request(HttpMethod.GET,
          "/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=20s").send();
      assertNull(a.poll(300), "nothing else is pushed");
      assertFalse(waiting.isComplete(), "must wait while svc wait-b is pending");
      b.ack(ns, v);
      JsonObject rollout = waiting.await(5, TimeUnit.SECONDS).bodyAsJsonObject();
      long took = System.currentTimeMillis() - started;
      assertTrue(rollout.getBoolean("complete"), rollout.encode());
      assertEquals(2, rollout.getInteger("applied"));
      assertTrue(took < 5_000, "answered " + took + " ms after the request, well before its 20 s wait");

      // A short wait with a client still pending answers at its deadline, incomplete.
      long v2 = api.write(ns, "k", 2);
      JsonObject timedOut = api.json("/v1/namespaces/" + ns + "/versions/" + v2 + "/acks?wait=300ms");
      assertFalse(timedOut.getBoolean("complete"));
      assertEquals(2, timedOut.getInteger("pending"));
    }
  }

  @Test
  @DisplayName("concurrent writers: every subscriber sees every version in order with no gap")
  void orderUnderConcurrentWrites(Vertx vertx) throws Exception {
    String ns = "order.ns";
    int writes = 200;
    try (WsClient a = client(vertx, "order-a"); WsClient b = client(vertx, "order-b")) {
      a.subscribe(ns, 0);
      b.subscribe(ns, 0);
      List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        JsonObject body = new JsonObject().put("changes", new JsonArray()
            .add(new JsonObject().put("key", "k" + (i % 17)).put("op", "put").put("value", i)));
        all.add(api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions").sendJsonObject(body));
      }
      Future.all(all).await(60, TimeUnit.SECONDS);
      for (Future<HttpResponse<Buffer>> f : all) {
        assertEquals(201, f.result().statusCode());
      }
      for (WsClient c : List.of(a, b)) {
        long expect = 0;
        while (expect < writes) {
          JsonObject d = c.apply(c.next("delta"));
          assertEquals(expect, d.getLong("base"));
          expect = d.getLong("version");
        }
        assertEquals(api.json("/v1/namespaces/" + ns).getJsonObject("entries"), c.state.get(ns));
      }
    }
  }

  @Test
  @DisplayName("bad frames get error frames, write nothing, and the hub keeps serving others")
  void badFrames(Vertx vertx) throws Exception {
    String ns = "bad.frames";
    long head = api.write(ns, "a", 1);
    try (WsClient c = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      c.sendRaw("{not json");
      c.error("invalid_json");
      c.sendRaw("[1,2,3]");
      c.error("invalid_json");
      c.send(new JsonObject().put("type", "teleport"));
      c.error("unknown_type");
      c.send(new JsonObject().put("kind", "hello"));
      c.error("invalid_frame");
      c.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", 1).put("status", "applied"));
      c.error("hello_required");
      c.send(new JsonObject().put("type", "subscribe").put("namespace", ns));
      c.error("hello_required");
      c.send(new JsonObject().put("type", "hello").put("client_id", "bad id with spaces"));
      c.error("invalid_client_id");
      c.send(new JsonObject().put("type", "hello").put("client_id", "ok").put("labels", new JsonObject().put("x", 5)));
      c.error("invalid_labels");
      c.hello("bad-frames-client");
      c.send(new JsonObject().put("type", "hello").put("client_id", "again"));
      c.error("duplicate_hello");
      c.send(new JsonObject().put("type", "subscribe").put("namespace", "UPPER"));
      c.error("invalid_namespace");
      c.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", -5));
      c.error("invalid_since");
      c.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", "latest"));
      c.error("invalid_since");
      c.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", 1).put("status", "applied"));
      c.error("not_subscribed");
      c.subscribe(ns, 0);
      c.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", 999_999_999_999L).put("status", "applied"));
      c.error("invalid_version");
      c.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", 1.5).put("status", "applied"));
      c.error("invalid_version");
      c.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", 1).put("status", "maybe"));
      c.error("invalid_status");
      c.ws.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3})).await();
      c.error("binary_not_supported");
      c.send(new JsonObject().put("type", "ping"));
      c.next("pong");

      JsonObject rollout = api.json("/v1/namespaces/" + ns + "/versions/1/acks");
      assertEquals(0, rollout.getInteger("applied"), "no bad ack was recorded");
      assertEquals(head, api.json("/v1/namespaces/" + ns).getLong("version"));

      // An oversized frame (over 1 MiB) ends the connection; everybody else carries on.
      // The hub may close before the client has finished writing it (a broken pipe on our side),
      // and a socket closed with unread data resets the connection, which can discard the close
      // frame already sent (1006 here, abnormal closure): what counts is that it was ended.
      boolean pipeBroke = c.ws.writeTextMessage("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}")
          .map(v -> false).recover(e -> io.vertx.core.Future.succeededFuture(true)).await();
      Short status;
      try {
        status = c.closed.get(WsClient.WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new AssertionError("connection was not closed", e);
      }
      assertTrue(status != null && (status == 1009 || status == 1002 || status == 1006) || status == null && pipeBroke,
          "closed with " + status);
    }
    try (WsClient other = client(vertx, "still-served")) {
      assertEquals(head, other.subscribe(ns, 0).getLong("version"));
      long v = api.write(ns, "a", 2);
      assertEquals(v, other.apply(other.next("delta")).getLong("version"));
    }
  }

  @Test
  @DisplayName("a client that stops reading does not make the hub queue without bound, and catches up afterwards")
  void backpressure(Vertx vertx) throws Exception {
    String ns = "slow.reader";
    String big = "x".repeat(60 * 1024);
    WebSocketClientOptions small = new WebSocketClientOptions().setReceiveBufferSize(64 * 1024);
    try (WsClient slow = WsClient.connect(vertx, hub.port(), "/v1/ws", TestHub.TOKEN, small)) {
      slow.hello("slow");
      slow.subscribe(ns, 0);
      double bytesBefore = metric("herald_ws_bytes_sent_total");
      double slowBefore = metric("herald_slow_consumer_events_total");
      slow.ws.pause();
      int revisions = 1000;
      for (int i = 0; i < revisions; i += 50) {
        List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
        for (int j = i; j < i + 50; j++) {
          batch.add(api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions").sendJsonObject(
              new JsonObject().put("changes", new JsonArray().add(new JsonObject().put("key", "k" + (j % 10))
                  .put("op", "put").put("value", j + big)))));
        }
        Future.all(batch).await(60, TimeUnit.SECONDS);
      }
      // Asking again and again for snapshots while not reading must not fill the hub either.
      double snapshotsBefore = metric("herald_snapshots_sent_total");
      for (int i = 0; i < 40; i++) {
        slow.send(new JsonObject().put("type", "subscribe").put("namespace", ns));
        slow.send(new JsonObject().put("type", "ping"));
      }
      double errorsBefore = metric("herald_ws_protocol_errors_total");
      slow.send(new JsonObject().put("type", "marker-after-the-subscribes"));
      long deadline = System.currentTimeMillis() + 5_000;
      while (metric("herald_ws_protocol_errors_total") == errorsBefore && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait(); // the hub handles a connection's frames in order: the marker comes last
      }
      // Their catch-ups would be database reads answering within milliseconds: watch for a while.
      long watchUntil = System.currentTimeMillis() + 1_500;
      while (System.currentTimeMillis() < watchUntil) {
        assertEquals(snapshotsBefore, metric("herald_snapshots_sent_total"), "no snapshot queued to a paused client");
      }
      double written = metric("herald_ws_bytes_sent_total") - bytesBefore;
      double offered = revisions * (double) big.length();
      assertTrue(metric("herald_slow_consumer_events_total") > slowBefore, "the hub noticed the slow consumer");
      assertTrue(written < offered / 4, "hub wrote " + (long) written + " bytes of " + (long) offered
          + " toward a client that reads nothing: it must stop queueing");

      slow.ws.resume();
      while (slow.versions.get(ns) < revisions) {
        JsonObject f = slow.next();
        if (!"error".equals(f.getString("type")) && !"pong".equals(f.getString("type"))) {
          slow.apply(f); // the marker's error frame is somewhere in the stream
        }
      }
      assertEquals(api.json("/v1/namespaces/" + ns).getJsonObject("entries"), slow.state.get(ns));
      long v = api.write(ns, "after", true);
      assertEquals(v, slow.apply(slow.next("delta")).getLong("version"), "live again after catching up");
    }
  }

  private static double metric(String name) {
    String text = api.get("/metrics").bodyAsString();
    double sum = 0;
    for (String line : text.split("\n")) {
      // "name{a=\"b\"}" also matches the exposition's "name{a=\"b\",}" form.
      if (line.startsWith(name + " ") || line.startsWith(name + "{")
          || (name.endsWith("}") && line.startsWith(name.substring(0, name.length() - 1)))) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  @Test
  @DisplayName("long-poll watch answers when the head passes since, and 304 at its timeout")
  void watch() throws Exception {
    String ns = "watch.ns";
    long v = api.write(ns, "a", 1);
    Future<HttpResponse<Buffer>> waiting = api.request(HttpMethod.GET,
        "/v1/namespaces/" + ns + "/watch?since=" + v + "&timeout=20s").send();
    long v2 = api.write(ns, "a", 2);
    JsonObject delta = waiting.await(10, TimeUnit.SECONDS).bodyAsJsonObject();
    assertEquals("delta", delta.getString("type"));
    assertEquals(v, delta.getLong("base"));
    assertEquals(v2, delta.getLong("version"));
    assertEquals(new JsonObject().put("key", "a").put("op", "put").put("value", 2), delta.getJsonArray("changes").getJsonObject(0));

    assertEquals(304, api.get("/v1/namespaces/" + ns + "/watch?since=" + v2 + "&timeout=200ms").statusCode());
    assertEquals(304, api.get("/v1/namespaces/watch.empty/watch?since=0&timeout=200ms").statusCode(),
        "a namespace without revisions has nothing new for since=0: the poll waits");
    JsonObject immediate = api.json("/v1/namespaces/" + ns + "/watch?since=0");
    assertEquals("snapshot", immediate.getString("type"));
    HttpApiTest.assertError(api.get("/v1/namespaces/" + ns + "/watch?timeout=soon"), 400, "invalid_parameter");
  }

  @Test
  @DisplayName("WebSocket needs the token, in the header or as access_token for browsers")
  void webSocketAuth(Vertx vertx) {
    assertThrows(RuntimeException.class, () -> WsClient.connect(vertx, hub.port(), null).close());
    assertThrows(RuntimeException.class, () -> WsClient.connect(vertx, hub.port(), "/v1/ws?access_token=wrong", null,
        new WebSocketClientOptions()).close());
    try (WsClient browser = WsClient.connect(vertx, hub.port(), "/v1/ws?access_token=" + TestHub.TOKEN, null,
        new WebSocketClientOptions())) {
      browser.hello("browser");
    }
  }

  @Test
  @DisplayName("a hub shutting down closes its WebSockets with 1001 and marks its clients disconnected")
  void shutdownCloses1001(Vertx vertx) {
    HeraldHub second = TestHub.startOn(hub.db, Map.of());
    try (WsClient c = WsClient.connect(vertx, second.port(), TestHub.TOKEN)) {
      c.hello("leaving");
      c.subscribe("shutdown.ns", 0);
      second.stop().await();
      assertEquals((short) 1001, c.awaitClose());
    }
    JsonObject row = api.json("/v1/namespaces/shutdown.ns/clients").getJsonArray("clients").getJsonObject(0);
    assertEquals("leaving", row.getString("client_id"));
    assertFalse(row.getBoolean("connected"));
  }

  /** Reads rollout frames until one satisfies the condition (each push reflects the latest state). */
  private static JsonObject rolloutUntil(WsClient admin, java.util.function.Predicate<JsonObject> done) {
    while (true) {
      JsonObject f = admin.next("rollout");
      if (done.test(f)) {
        return f;
      }
    }
  }

  @Test
  @DisplayName("an operator's watch_rollout gets the head's rollout now and again as clients ack, reject and new versions land")
  void liveRollout(Vertx vertx) {
    String ns = "live.rollout";
    long v1 = api.write(ns, "k", 1);
    try (WsClient client = client(vertx, "rollout-client");
         WsClient admin = WsClient.connect(vertx, hub.port(), "/v1/ws?access_token=" + TestHub.TOKEN, null,
             new WebSocketClientOptions())) {
      client.subscribe(ns, 0);
      awaitRollout(ns, v1, r -> r.getInteger("pending") == 1);
      admin.send(new JsonObject().put("type", "watch_rollout").put("namespace", ns));
      JsonObject now = admin.next("rollout");
      assertEquals(v1, now.getLong("version"));
      assertEquals(1, now.getInteger("pending"));
      assertFalse(now.getBoolean("complete"));

      client.ack(ns, v1);
      JsonObject applied = rolloutUntil(admin, r -> r.getInteger("applied") == 1);
      assertTrue(applied.getBoolean("complete"));
      assertEquals(new JsonArray().add("rollout-client"), applied.getJsonObject("clients").getJsonArray("applied"));

      long v2 = api.write(ns, "k", 2);
      JsonObject next = rolloutUntil(admin, r -> r.getLong("version") == v2);
      assertEquals(1, next.getInteger("pending"), "a new head starts a new rollout");
      client.apply(client.next("delta"));
      client.reject(ns, v2, "k must be odd");
      JsonObject rejected = rolloutUntil(admin, r -> r.getLong("version") == v2 && r.getInteger("rejected") == 1);
      assertEquals("k must be odd", rejected.getJsonObject("clients").getJsonArray("rejected").getJsonObject(0)
          .getString("error"));

      admin.send(new JsonObject().put("type", "unwatch_rollout").put("namespace", ns));
      admin.send(new JsonObject().put("type", "unwatch_rollout").put("namespace", ns));
      JsonObject f = admin.next();
      while ("rollout".equals(f.getString("type"))) {
        f = admin.next(); // pushes already on their way before the unwatch
      }
      assertEquals("not_watching", f.getString("code"), f.encode());
    }
  }
}
