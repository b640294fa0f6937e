package io.herald.hub;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
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

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of malformed HTTP requests and WebSocket frames from a seeded generator (a fixed seed
 * by default; {@code -Dherald.hostile.seed=random} for a new one, {@code =N} to replay a run). Afterwards the hub still serves normal clients,
 * the revision history grew by exactly the writes that were accepted, no answer was a 5xx, and
 * none leaked a stack trace.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("Hostile input over HTTP and WebSocket")
class HostileInputTest {

  /** Fixed by default so CI is repeatable; -Dherald.hostile.seed=random explores, =N replays. */
  private static final long SEED = "random".equals(System.getProperty("herald.hostile.seed"))
      ? System.nanoTime() : Long.getLong("herald.hostile.seed", 20261126L);
  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    System.out.println("hostile input seed " + SEED);
    hub = TestHub.start(HostileInputTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static long totalRevisions() {
    return api.json("/v1/namespaces").getJsonArray("namespaces").stream()
        .mapToLong(o -> ((JsonObject) o).getLong("head")).sum();
  }

  private static final String[] SEGMENTS = {"a", "app.prod", "UPPER", "..", "%2e%2e", "%00", "%ff%fe", "ns with space",
      "x".repeat(300), "ünïcödé", "", "-", "a/b", "%2F", "😀", "revisions", "entries", "diff", "rollback", "watch",
      "clients", "versions", "acks", "1", "-1", "99999999999999999999", "0x10", "1e3", "null"};

  private static String garbageString(Random r, int max) {
    int n = r.nextInt(max + 1);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(10);
      sb.append(kind < 6 ? (char) (32 + r.nextInt(95)) : kind < 8 ? (char) r.nextInt(0x2FF) : (char) (0xD800 + r.nextInt(0x800)));
    }
    return sb.toString();
  }

  private static Object randomJson(Random r, int depth) {
    return switch (r.nextInt(depth > 4 ? 5 : 8)) {
      case 0 -> r.nextInt();
      case 1 -> r.nextBoolean();
      case 2 -> null;
      case 3 -> garbageString(r, 40);
      case 4 -> r.nextDouble() * 1e300;
      case 5 -> {
        JsonArray a = new JsonArray();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(randomJson(r, depth + 1));
        }
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = r.nextInt(4); i > 0; i--) {
          o.put(r.nextBoolean() ? garbageString(r, 8) : List.of("changes", "key", "op", "value", "message",
              "expected_version", "to_version", "type", "namespace", "version").get(r.nextInt(10)), randomJson(r, depth + 1));
        }
        yield o;
      }
    };
  }

  private static Buffer randomBody(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> Buffer.buffer("[".repeat(5_000 + r.nextInt(20_000)));                      // deep nesting
      case 1 -> Buffer.buffer("{\"changes\":" + "[".repeat(3_000) + "]".repeat(3_000) + "}");
      case 2 -> Buffer.buffer("\"" + "x".repeat(r.nextInt(2_000_000)) + "\"");              // huge string
      case 3 -> {                                                                            // invalid UTF-8
        byte[] b = new byte[1 + r.nextInt(200)];
        r.nextBytes(b);
        yield Buffer.buffer(b);
      }
      case 4 -> Buffer.buffer(garbageString(r, 300));
      case 5 -> Buffer.buffer(new JsonObject().put("changes", new JsonArray().add(new JsonObject()
          .put("key", garbageString(r, 20)).put("op", r.nextBoolean() ? "put" : "delete").put("value", randomJson(r, 0))))
          .encode());
      case 6 -> Buffer.buffer(String.valueOf(randomJson(r, 0)));
      case 7 -> Buffer.buffer(new JsonObject().put("to_version", randomJson(r, 3)).put("message", randomJson(r, 3)).encode());
      default -> Buffer.buffer();
    };
  }

  private static void assertSane(String what, int status, String body) {
    assertTrue(status < 500 || status == 503, what + " -> " + status + " " + body.substring(0, Math.min(300, body.length()))
        + " (seed " + SEED + ")");
    assertFalse(body.contains("\tat ") || body.contains("Exception"), what + " leaked internals: " + body
        + " (seed " + SEED + ")");
  }

  @Test
  @DisplayName("thousands of malformed requests and frames: no 5xx, no stack trace, nothing half-written, still serving")
  void hostileInput(Vertx vertx) throws Exception {
    Random r = new Random(SEED);
    api.write("hostile.base", "k", 1);
    long before = totalRevisions();
    long accepted = 0;
    HttpMethod[] methods = {HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH};
    for (int i = 0; i < 1_500; i++) {
      StringBuilder path = new StringBuilder(r.nextInt(10) < 8 ? "/v1/namespaces" : "/v1");
      for (int s = r.nextInt(4); s > 0; s--) {
        path.append('/').append(SEGMENTS[r.nextInt(SEGMENTS.length)]);
      }
      if (r.nextBoolean()) {
        path.append('?').append(List.of("version", "since", "from", "to", "limit", "before", "after", "wait", "timeout")
            .get(r.nextInt(9))).append('=').append(SEGMENTS[r.nextInt(SEGMENTS.length)]);
      }
      if (path.indexOf("/watch") >= 0) {
        // A well-formed long poll legitimately waits (30 s by default): keep this storm fast.
        path.append(path.indexOf("?") >= 0 ? "&" : "?").append("timeout=100ms");
      }
      HttpMethod method = methods[r.nextInt(methods.length)];
      var req = api.request(method, path.toString().replace(" ", "%20").replace("😀", "%F0%9F%98%80")
          .replace("ünïcödé", "%C3%BCn%C3%AFc%C3%B6d%C3%A9"));
      if (r.nextInt(4) == 0) {
        req.putHeader("If-Match", garbageString(r, 30).replaceAll("[^ -~]", "?"));
      }
      if (r.nextInt(4) == 0) {
        req.putHeader("Content-Type", List.of("application/json", "text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x").get(r.nextInt(4)));
      }
      if (r.nextInt(10) == 0) {
        req.putHeader("X-Herald-Message", "m".repeat(r.nextInt(5_000)));
      }
      req.timeout(30_000);
      HttpResponse<Buffer> resp = (method == HttpMethod.GET ? req.send() : req.sendBuffer(randomBody(r))).await();
      String body = resp.body() == null ? "" : resp.bodyAsString();
      assertSane(method + " " + path, resp.statusCode(), body);
      if (resp.statusCode() < 300 && method != HttpMethod.GET && resp.statusCode() != 204) {
        accepted++;
      }
    }

    WsClient ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
    for (int i = 0; i < 1_500; i++) {
      if (ws.closed.isDone()) {
        ws.close();
        ws = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
      }
      Future<Void> sent = switch (r.nextInt(7)) {
        case 0 -> ws.ws.writeTextMessage("[".repeat(1_000 + r.nextInt(5_000)));
        case 1 -> ws.ws.writeTextMessage(garbageString(r, 200));
        case 2 -> ws.ws.writeTextMessage(String.valueOf(randomJson(r, 0)));
        case 3 -> {
          byte[] bytes = new byte[1 + r.nextInt(100)];
          r.nextBytes(bytes);
          yield ws.ws.writeBinaryMessage(Buffer.buffer(bytes));
        }
        case 4 -> ws.ws.writeTextMessage(new JsonObject().put("type", List.of("hello", "subscribe", "ack", "unsubscribe",
                "watch_rollout", "ping").get(r.nextInt(6))).put("namespace", SEGMENTS[r.nextInt(SEGMENTS.length)])
            .put("client_id", garbageString(r, 20)).put("since", randomJson(r, 3)).put("version", randomJson(r, 3))
            .put("status", randomJson(r, 3)).put("labels", randomJson(r, 3)).encode());
        case 5 -> ws.ws.writeTextMessage("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(r.nextInt(1_200_000)) + "\"}");
        default -> ws.ws.writeTextMessage(new JsonObject().put("type", garbageString(r, 10)).encode());
      };
      // The hub may have closed the connection for an earlier frame (1009, 1008): that is allowed.
      sent.recover(closed -> Future.succeededFuture()).await(10, TimeUnit.SECONDS);
      JsonObject f;
      while ((f = ws.frames.poll()) != null) {
        assertFalse(f.encode().contains("\tat ") || f.encode().contains("Exception"), "frame leaked internals: " + f);
      }
    }
    ws.close();

    // Nothing half-written: history grew by exactly the writes that were accepted.
    assertEquals(before + accepted, totalRevisions(), "seed " + SEED);
    // And the hub still serves a normal client end to end.
    try (WsClient normal = WsClient.connect(vertx, hub.port(), "/v1/ws", TestHub.TOKEN, new WebSocketClientOptions())) {
      normal.hello("after-the-storm");
      normal.subscribe("hostile.base", 0);
      long v = api.write("hostile.base", "k", 2);
      assertEquals(v, normal.apply(normal.next("delta")).getLong("version"));
    }
  }

  // ---- One generator per class of issue #11; after each class the namespace still delivers. ----

  private static String nestedValue(Random r, int depth) {
    StringBuilder open = new StringBuilder();
    StringBuilder close = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      if (r.nextBoolean()) {
        open.append('[');
        close.insert(0, ']');
      } else {
        String k = "\"k" + r.nextInt(3) + "\":";
        open.append('{').append(k);
        close.insert(0, '}');
      }
    }
    return open + "1" + close;
  }

  private static String duplicateKeys(Random r) {
    String inner = "{\"a\":1,\"a\":" + r.nextInt(9) + "}";
    for (int d = r.nextInt(4); d > 0; d--) {
      inner = r.nextBoolean() ? "[" + inner + "]" : "{\"x\":" + inner + "}";
    }
    return inner;
  }

  private static String badEncoding(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> "\"\\ud" + "89ab".charAt(r.nextInt(4)) + "00\"";          // lone high surrogate
      case 1 -> "\"x\\udc" + Integer.toHexString(r.nextInt(256) | 0x100).substring(1) + "\""; // lone low
      case 2 -> "{\"\\ud800\":1}";
      case 3 -> "1e-" + (330 + r.nextInt(5_000));                          // underflows to 0
      case 4 -> "[1e" + (309 + r.nextInt(1_000)) + "]";                       // overflows
      default -> "\"ok\\ud83d\\ude00\"";                                     // a real pair: accepted
    };
  }

  private static String percentMess(Random r) {
    String[] bad = {"%", "%z", "%zz", "%4", "%G0", "%%", "%0", "%c3%28", "%ed%a0%80", "%ff"};
    return bad[r.nextInt(bad.length)];
  }

  /** Writes one version to the live namespace and insists the subscriber gets exactly it; /ready answers fast. */
  private static void stillServing(WsClient live, String what) {
    long v = api.write("hostile.live", "after", what);
    JsonObject f = live.next("delta");
    live.apply(f);
    assertEquals(v, f.getLong("version"), what + " (seed " + SEED + ")");
    long start = System.nanoTime();
    assertEquals(200, api.get("/ready").statusCode(), what);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "/ready was slow after " + what);
  }

  private static HttpResponse<Buffer> putRaw(String ns, String body) {
    return api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", body, java.util.Map.of("Content-Type",
        "application/json"));
  }

  @Test
  @DisplayName("each hostile class (nesting, encodings, percent-encoding, duplicate keys, globs, floods, slow readers) leaves delivery intact")
  void hostileClasses(Vertx vertx) throws Exception {
    Random r = new Random(SEED ^ 0x11);
    api.write("hostile.live", "k", 0);
    try (WsClient live = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      live.hello("live-subscriber");
      live.subscribe("hostile.live", 0);
      long head = api.json("/v1/namespaces/hostile.live").getLong("version");

      // Nesting at every depth around both limits: ours (64 per value) and the parser's (1,000).
      for (int depth = Limits.MAX_VALUE_DEPTH - 3; depth <= Limits.MAX_VALUE_DEPTH + 6; depth++) {
        HttpResponse<Buffer> resp = putRaw("hostile.live", nestedValue(r, depth));
        assertSane("nesting " + depth, resp.statusCode(), resp.bodyAsString());
        assertEquals(depth <= Limits.MAX_VALUE_DEPTH ? 200 : 400, resp.statusCode(), "depth " + depth + ": "
            + resp.bodyAsString());
        if (resp.statusCode() == 200) {
          head++;
          live.apply(live.next("delta"));
        }
      }
      for (int depth = 990; depth <= 1_010; depth++) {
        HttpResponse<Buffer> resp = putRaw("hostile.live", nestedValue(r, depth));
        assertEquals(400, resp.statusCode(), "depth " + depth);
        assertEquals("invalid_json", resp.bodyAsJsonObject().getString("error"));
      }
      assertEquals(head, api.json("/v1/namespaces/hostile.live").getLong("version"), "nothing half-written");
      stillServing(live, "nesting");
      head++;

      // Encodings: lone surrogates and numbers that would change on storage are refused; pairs pass.
      for (int i = 0; i < 200; i++) {
        String body = badEncoding(r);
        HttpResponse<Buffer> resp = putRaw("hostile.enc", body);
        assertSane("encoding " + body, resp.statusCode(), resp.bodyAsString());
        assertEquals(body.contains("\\ude00\"") ? 200 : 400, resp.statusCode(), body + " -> " + resp.bodyAsString());
      }
      stillServing(live, "encodings");
      head++;

      // Percent-encoding anywhere in the path or query.
      for (int i = 0; i < 200; i++) {
        String path = r.nextBoolean() ? "/v1/namespaces/" + percentMess(r) + "x" : "/v1/namespaces/hostile.live?version="
            + percentMess(r);
        HttpResponse<Buffer> resp = api.get(path);
        assertSane(path, resp.statusCode(), resp.bodyAsString());
        assertEquals(400, resp.statusCode(), path);
      }
      stillServing(live, "percent-encoding");
      head++;

      // Duplicate keys in every kind of body.
      for (int i = 0; i < 100; i++) {
        String dup = duplicateKeys(r);
        assertEquals(400, putRaw("hostile.dup", dup).statusCode(), dup);
        assertEquals(400, api.send(HttpMethod.POST, "/v1/tokens", "{\"name\":\"d" + i + "\",\"name\":\"e\",\"role\":\"reader\","
            + "\"namespaces\":[\"*\"]}", java.util.Map.of("Content-Type", "application/json")).statusCode());
      }
      stillServing(live, "duplicate keys");
      head++;

      // Glob patterns made to backtrack against crafted names: answered at once.
      String[] patterns = {"*.*.*.*.*.x", "*a*a*a*a*a*a*b", "?*?*?*?*x", "a*.*.*.*.*.*.*.z"};
      Api globber = new Api(vertx, hub.port(), api.post("/v1/tokens", new JsonObject().put("name", "globber")
          .put("role", "reader").put("namespaces", new JsonArray(List.of(patterns)))).bodyAsJsonObject().getString("token"));
      try {
        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
          StringBuilder name = new StringBuilder("a");
          while (name.length() < 120) {
            name.append(r.nextBoolean() ? "a" : ".");
          }
          assertEquals(403, globber.get("/v1/namespaces/" + name + "y/revisions").statusCode());
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "glob matching held the event loop");
      } finally {
        globber.close();
      }
      stillServing(live, "globs");
      head++;

      // A frame flood on several connections: rate-limited, then closed with 1008.
      for (int c = 0; c < 3; c++) {
        try (WsClient flood = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
          String frame = new JsonObject().put("type", List.of("ping", "subscribe", "ack", "hello").get(r.nextInt(4)))
              .put("namespace", "hostile.live").encode();
          for (int i = 0; i < 5_000 && !flood.closed.isDone(); i++) {
            flood.ws.writeTextMessage(frame);
          }
          assertEquals((short) 1008, flood.awaitClose(), "flood " + c);
        }
      }
      stillServing(live, "frame floods");
      head++;

      // Slow readers: sockets that subscribe and never read while writes go on.
      List<RawWebSocket> sleepers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          RawWebSocket s = new RawWebSocket(hub.port(), TestHub.TOKEN);
          sleepers.add(s);
          s.sendText(new JsonObject().put("type", "hello").put("client_id", "sleeper-" + i).encode());
          s.sendText(new JsonObject().put("type", "subscribe").put("namespace", "hostile.live").encode());
        }
        String big = "x".repeat(60_000);
        for (int i = 0; i < 40; i++) {
          api.write("hostile.live", "big", big + i);
          live.apply(live.next("delta"));
        }
        stillServing(live, "slow readers");
      } finally {
        for (RawWebSocket s : sleepers) {
          s.close();
        }
      }
    }
  }
}
