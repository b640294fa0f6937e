package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #11's holes, each as a user or an attacker would hit it: poisoned values, repeated
 * subscribes, frame floods, malformed URIs and numbers, duplicate keys, client-role resumes, and
 * the browser and connection hygiene. Every case ends with the namespace still delivering.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Delivery that nothing can stop")
class DeliveryHardeningTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(DeliveryHardeningTest.class, Map.of(
        "HERALD_WS_FRAME_RATE", "400", "HERALD_WS_FRAME_BURST", "2000", "HERALD_HTTP_HEADER_TIMEOUT_MS", "500"));
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static String nested(int depth) {
    return "[".repeat(depth) + "1" + "]".repeat(depth);
  }

  private static HttpResponse<Buffer> put(String ns, String key, String body) {
    return api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/" + key, body,
        Map.of("Content-Type", "application/json"));
  }

  private static void assertError(HttpResponse<Buffer> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(code, body.getString("error"), body.encode());
    assertNotNull(body.getString("message"));
  }

  private static double metric(String name) {
    return metric(api, name);
  }

  /** A counter from /metrics (the sum over its series). */
  static double metric(Api api, String name) {
    double sum = 0;
    for (String line : api.get("/metrics").bodyAsString().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static long head(String ns) {
    return api.json("/v1/namespaces/" + ns).getLong("version");
  }

  /** The namespace still delivers: a new write reaches a live subscriber as the next delta. */
  private static void stillDelivers(WsClient ws, String ns) {
    long v = api.write(ns, "alive", System.nanoTime());
    JsonObject f = ws.next("delta");
    ws.apply(f);
    assertEquals(v, f.getLong("version"), f.encode());
  }

  @Test
  @DisplayName("values nested near the parser's limit are refused before commit; the deepest allowed one is served everywhere")
  void deepNesting(Vertx vertx) {
    String ns = "deep.values";
    api.write(ns, "k", 0);
    try (WsClient ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      ws.hello("deep-reader");
      ws.subscribe(ns, 0);
      for (int depth : new int[] {Limits.MAX_VALUE_DEPTH + 1, Limits.MAX_VALUE_DEPTH + 3, 998, 999, 1_000, 1_001, 5_000}) {
        assertError(put(ns, "k", nested(depth)), 400, "invalid_json");
        JsonObject body = new JsonObject().put("changes", new JsonArray());
        HttpResponse<Buffer> r = api.send(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions",
            "{\"changes\":[{\"key\":\"k\",\"op\":\"put\",\"value\":" + nested(depth) + "}]}",
            Map.of("Content-Type", "application/json"));
        assertError(r, 400, "invalid_json");
        assertFalse(body.isEmpty());
      }
      assertEquals(1, head(ns), "nothing was committed");
      // The deepest value allowed goes everywhere: write, push, snapshot, history, diff, resume.
      HttpResponse<Buffer> ok = put(ns, "k", nested(Limits.MAX_VALUE_DEPTH));
      assertEquals(200, ok.statusCode(), ok.bodyAsString());
      JsonObject delta = ws.next("delta");
      ws.apply(delta);
      assertEquals(2, delta.getLong("version"));
      assertEquals(Limits.MAX_VALUE_DEPTH, StrictJson.depth(api.json("/v1/namespaces/" + ns).getJsonObject("entries").getValue("k")));
      assertEquals(200, api.get("/v1/namespaces/" + ns + "/revisions/2").statusCode());
      assertEquals(200, api.get("/v1/namespaces/" + ns + "/diff?from=0&to=2").statusCode());
      assertEquals(200, api.get("/v1/namespaces/" + ns + "/revisions").statusCode());
      stillDelivers(ws, ns);
    }
  }

  @Test
  @DisplayName("thousands of repeated subscribes cost a couple of database reads and leave the client exact")
  void subscribeCoalescing(Vertx vertx) throws Exception {
    String ns = "coalesce.me";
    api.write(ns, "k", 1);
    double readsBefore = metric("herald_catch_up_reads_total");
    try (WsClient ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      ws.hello("repeater");
      String frame = new JsonObject().put("type", "subscribe").put("namespace", ns).encode();
      for (int i = 0; i < 1_500; i++) {
        ws.ws.writeTextMessage(frame);
      }
      // Every answer is a snapshot at version 1 (or nothing); the reads coalesced.
      ws.apply(ws.next("snapshot"));
      JsonObject extra;
      while ((extra = ws.poll(300)) != null) {
        ws.apply(extra);
      }
      double reads = metric("herald_catch_up_reads_total") - readsBefore;
      assertTrue(reads <= 4, "1,500 subscribes caused " + reads + " catch-up reads");
      stillDelivers(ws, ns);
    }
  }

  @Test
  @DisplayName("clients resuming from the same version share one database read, and each ends exact")
  void sharedResumes(Vertx vertx) {
    String ns = "resume.shared";
    api.write(ns, "k", 1);
    api.write(ns, "k", 2);
    long v3 = api.write(ns, "other", "x");
    double readsBefore = metric("herald_catch_up_reads_total");
    double sharedBefore = metric("herald_catch_ups_shared_total");
    int n = 40;
    List<WsClient> clients = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        WsClient ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
        clients.add(ws);
        ws.hello("resumer-" + i);
        ws.state.put(ns, new JsonObject().put("k", 2));
        ws.versions.put(ns, 2L);
        ws.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", 2));
      }
      for (WsClient ws : clients) {
        ws.applyUntil(ns, v3);
        assertEquals(new JsonObject().put("k", 2).put("other", "x"), ws.state.get(ns));
      }
      double reads = metric("herald_catch_up_reads_total") - readsBefore;
      double shared = metric("herald_catch_ups_shared_total") - sharedBefore;
      int loops = Runtime.getRuntime().availableProcessors();
      assertTrue(reads <= loops, n + " resumes from version 2 took " + reads + " reads (one per event loop expected)");
      assertEquals(n, reads + shared, "every resume was either a read or shared one");

      // A new version makes the shared answer a step behind: the next resume from 2 reads afresh, up to 4.
      long v4 = api.write(ns, "k", 5);
      for (WsClient ws : clients) {
        ws.applyUntil(ns, v4);
      }
      try (WsClient late = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
        late.hello("resumer-late");
        late.state.put(ns, new JsonObject().put("k", 2));
        late.versions.put(ns, 2L);
        JsonObject delta = late.subscribe(ns, 2);
        assertEquals(v4, delta.getLong("version"), "one delta from 2 to the head: " + delta.encode());
        assertEquals(new JsonObject().put("k", 5).put("other", "x"), late.state.get(ns));
      }
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @DisplayName("a frame flood gets one rate_limited error and then the connection is closed with 1008")
  void frameFlood(Vertx vertx) {
    try (WsClient ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      String ping = new JsonObject().put("type", "ping").encode();
      for (int i = 0; i < 6_000 && !ws.closed.isDone(); i++) {
        ws.ws.writeTextMessage(ping);
      }
      assertEquals((short) 1008, ws.awaitClose());
      long limited = ws.frames.stream().filter(f -> "rate_limited".equals(f.getString("code"))).count();
      assertEquals(1, limited, "told once, not once per dropped frame");
    }
    assertEquals(200, api.get("/ready").statusCode());
  }

  @Test
  @DisplayName("malformed percent-encodings, lone surrogates, vanishing numbers and duplicate keys get 400")
  void smallHoles() {
    assertError(api.get("/%zz"), 400, "bad_request");
    assertError(api.get("/v1/namespaces/%zz"), 400, "bad_request");
    assertError(api.get("/v1/namespaces/x?version=%zz"), 400, "bad_request");
    assertError(api.get("/v1/namespaces/x?version=%4"), 400, "bad_request");
    String ns = "small.holes";
    api.write(ns, "k", 1);
    assertError(put(ns, "k", "\"\\ud800\""), 400, "invalid_json");
    assertError(put(ns, "k", "{\"\\udfff\":1}"), 400, "invalid_json");
    assertError(put(ns, "k", "1e-400"), 400, "invalid_value");
    assertError(put(ns, "k", "{\"a\":1,\"a\":2}"), 400, "invalid_json");
    assertError(api.send(HttpMethod.POST, "/v1/tokens", "{\"name\":\"sneaky\",\"role\":\"reader\",\"role\":\"admin\","
        + "\"namespaces\":[\"*\"]}", Map.of("Content-Type", "application/json")), 400, "invalid_json");
    assertEquals(1, head(ns), "nothing was committed");
    assertTrue(api.json("/v1/tokens").getJsonArray("tokens").stream()
        .noneMatch(t -> "sneaky".equals(((JsonObject) t).getString("name"))), "no token was created");
    // An overlong wait is the cap, not an overflow into a negative timer or a 500.
    HttpResponse<Buffer> acks = api.get("/v1/namespaces/" + ns + "/versions/1/acks?wait=9223372036854775807ms");
    assertEquals(200, acks.statusCode(), acks.bodyAsString());
    assertError(api.get("/v1/namespaces/" + ns + "/versions/1/acks?wait=99999999999999999999s"), 400, "invalid_parameter");
  }

  @Test
  @DisplayName("a commit message in the X-Herald-Message header is read as UTF-8; other bytes are refused")
  void utf8Message() {
    String ns = "utf8.message";
    String message = "Größe erhöht – 😀";
    String wire = new String(message.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    HttpResponse<Buffer> r = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "1",
        Map.of("Content-Type", "application/json", "X-Herald-Message", wire));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(message, api.json("/v1/namespaces/" + ns + "/revisions/1").getString("message"));
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "2",
        Map.of("Content-Type", "application/json", "X-Herald-Message", "\u00ff\u00fe")), 400, "invalid_header");
    assertEquals(1, head(ns));
  }

  @Test
  @DisplayName("the name admin is reserved, and token patterns hold at most 8 wildcards")
  void tokenNames() {
    assertError(api.post("/v1/tokens", new JsonObject().put("name", "admin").put("role", "reader")
        .put("namespaces", new JsonArray().add("*"))), 400, "reserved_name");
    assertError(api.post("/v1/tokens", new JsonObject().put("name", "globby").put("role", "reader")
        .put("namespaces", new JsonArray().add("*.*.*.*.*.*.*.*.*"))), 400, "invalid_request");
    HttpResponse<Buffer> ok = api.post("/v1/tokens", new JsonObject().put("name", "globby").put("role", "reader")
        .put("namespaces", new JsonArray().add("*.*.*.*.*.*.*.x")));
    assertEquals(201, ok.statusCode(), ok.bodyAsString());
  }

  @Test
  @DisplayName("a crafted name against a backtracking pattern is answered at once")
  void globIsLinear(Vertx vertx) {
    HttpResponse<Buffer> created = api.post("/v1/tokens", new JsonObject().put("name", "backtracker").put("role", "reader")
        .put("namespaces", new JsonArray().add("*.*.*.*.*.x")));
    assertEquals(201, created.statusCode(), created.bodyAsString());
    Api reader = new Api(vertx, hub.port(), created.bodyAsJsonObject().getString("token"));
    try {
      String crafted = ".".repeat(127) + "y";
      long start = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        assertError(reader.get("/v1/namespaces/" + crafted.substring(0, 120) + i), 400, "invalid_namespace");
        assertEquals(403, reader.get("/v1/namespaces/a" + "a.".repeat(60) + "y").statusCode());
      }
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "pattern matching held the event loop");
    } finally {
      reader.close();
    }
  }

  @Test
  @DisplayName("a client-role token resuming from an old version gets one merged delta, never past values")
  void clientRoleResume(Vertx vertx) {
    String ns = "client.resume";
    String token = api.post("/v1/tokens", new JsonObject().put("name", "resumer").put("role", "client")
        .put("namespaces", new JsonArray().add("client.*"))).bodyAsJsonObject().getString("token");
    api.write(ns, "secret", "v1");
    try (WsClient live = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      // A live subscriber keeps the feed (and its in-memory frames) on the hub.
      live.hello("keeper");
      live.subscribe(ns, 0);
      api.write(ns, "secret", "old-password");
      api.write(ns, "secret", "new-password");
      live.apply(live.next("delta"));
      live.apply(live.next("delta"));
      try (WsClient client = WsClient.connect(vertx, hub.port(), token)) {
        client.hello("resumer-1");
        client.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", 1));
        JsonObject f = client.next();
        assertEquals("delta", f.getString("type"), f.encode());
        assertEquals(1, f.getLong("base"));
        assertEquals(3, f.getLong("version"));
        assertFalse(f.encode().contains("old-password"), f.encode());
      }
      try (WsClient admin = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
        // Readers may read history: they resume from memory, version by version.
        admin.hello("reader-1");
        admin.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", 1));
        JsonObject first = admin.next("delta");
        assertEquals(2, first.getLong("version"), first.encode());
        assertEquals(3, admin.next("delta").getLong("version"));
      }
    }
  }

  @Test
  @DisplayName("pages and answers carry CSP, frame and sniffing protections; the page itself is never cached")
  void browserHygiene() {
    for (String path : new String[] {"/", "/index.html", "/app.js", "/v1/namespaces", "/nope"}) {
      HttpResponse<Buffer> r = api.get(path);
      String csp = r.getHeader("Content-Security-Policy");
      assertNotNull(csp, path);
      assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp);
      assertEquals("DENY", r.getHeader("X-Frame-Options"), path);
      assertEquals("nosniff", r.getHeader("X-Content-Type-Options"), path);
    }
    assertEquals("no-cache", api.get("/").getHeader("Cache-Control"));
    assertEquals("no-cache", api.get("/index.html").getHeader("Cache-Control"));
    String html = api.get("/").bodyAsString();
    assertFalse(html.matches("(?s).*<script>.*") || html.contains("onclick=") || html.contains("style="),
        "the page holds inline script or style, which the policy forbids");
  }

  @Test
  @DisplayName("a connection that never finishes its headers is closed after the header timeout")
  void headerTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", hub.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("GET /v1/namespaces HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long start = System.nanoTime();
      InputStream in = s.getInputStream();
      int read = in.read();
      while (read >= 0) {
        read = in.read();
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms < 5_000, "closed after " + ms + " ms");
    }
    // A slow but complete request is unaffected.
    assertEquals(200, api.get("/health").statusCode());
  }

  @Test
  @DisplayName("made-up tokens with overlong ids are refused without a lookup")
  void overlongTokenIds(Vertx vertx) {
    assertEquals(null, AuthHandler.tokenId("hrld_" + "a".repeat(17) + "_secret"));
    assertEquals(null, AuthHandler.tokenId("hrld_a!b_secret"));
    assertEquals("abcDEF12", AuthHandler.tokenId("hrld_abcDEF12_secret"));
    Api forged = new Api(vertx, hub.port(), "hrld_" + "x".repeat(5_000) + "_y");
    try {
      assertError(forged.get("/v1/namespaces"), 401, "unauthorized");
    } finally {
      forged.close();
    }
    assertTrue(HubOptions.fromEnv(Map.of()).maxConnectionsPerToken() <= 10_000,
        "the default WebSockets per token stays well below the 20,000 open files a process may hold");
  }
}
