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

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.herald.hub.HttpApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clients that pull and ack over HTTP: their rows, their place in rollouts, and the snapshot's digest. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("HTTP clients: acks over HTTP, pulls with a client_id, stale clients, snapshot digests")
class HttpClientsTest {

  private static final long STALE_AFTER_S = 2;
  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(HttpClientsTest.class, Map.of("HERALD_PULL_STALE_AFTER_S", Long.toString(STALE_AFTER_S),
        "HERALD_MAX_CLIENT_ROWS_PER_TOKEN", "2"));
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static HttpResponse<Buffer> ack(Api as, String ns, long version, JsonObject body) {
    return as.post("/v1/namespaces/" + ns + "/versions/" + version + "/acks", body);
  }

  private static JsonObject applied(String clientId) {
    return new JsonObject().put("client_id", clientId).put("status", "applied");
  }

  private static JsonObject client(String ns, String id) {
    return api.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream().map(o -> (JsonObject) o)
        .filter(c -> id.equals(c.getString("client_id"))).findFirst().orElse(null);
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50); // polling a condition with a deadline
    }
  }

  @Test
  @DisplayName("an HTTP ack is durable when answered: /acks shows it at once and /clients lists an http client")
  void ackVisibleAtOnce() {
    String ns = "http.ack";
    long v = api.write(ns, "k", 1);
    HttpResponse<Buffer> r = ack(api, ns, v, applied("cron-1").put("labels", new JsonObject().put("job", "nightly")));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(new JsonObject().put("namespace", ns).put("version", v).put("client_id", "cron-1").put("status", "applied"),
        r.bodyAsJsonObject());
    JsonObject rollout = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks");
    assertEquals(new JsonArray().add("cron-1"), rollout.getJsonObject("clients").getJsonArray("applied"), rollout.encode());
    JsonObject c = client(ns, "cron-1");
    assertEquals("http", c.getString("transport"), c.encode());
    assertNull(c.getValue("connected"), "an HTTP client is never connected nor disconnected");
    assertFalse(c.getBoolean("stale"));
    assertEquals("nightly", c.getJsonObject("labels").getString("job"));
    assertEquals(v, c.getLong("applied_version"));

    long v2 = api.write(ns, "k", 2);
    r = ack(api, ns, v2, new JsonObject().put("client_id", "cron-1").put("status", "rejected").put("error", "k must be 1"));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject rejected = api.json("/v1/namespaces/" + ns + "/versions/" + v2 + "/acks");
    assertEquals(1, rejected.getInteger("rejected"), rejected.encode());
    assertEquals("k must be 1", rejected.getJsonObject("clients").getJsonArray("rejected").getJsonObject(0).getString("error"));
    // Applying an older version again does not hide the newer rejection; labels sent before stay.
    assertEquals(200, ack(api, ns, v, applied("cron-1")).statusCode());
    c = client(ns, "cron-1");
    assertEquals("rejected", c.getString("status"), c.encode());
    assertEquals(v2, c.getLong("rejected_version"));
    assertEquals("nightly", c.getJsonObject("labels").getString("job"));
    assertEquals(200, ack(api, ns, v2, applied("cron-1")).statusCode());
    assertEquals("applied", client(ns, "cron-1").getString("status"));
  }

  @Test
  @DisplayName("a pulling client is pending until it acks and holds up ?wait=; once stale it is not")
  void pendingUntilStale() throws Exception {
    String ns = "http.pending";
    long v = api.write(ns, "k", 1);
    assertEquals(200, api.get("/v1/namespaces/" + ns + "/watch?since=0&timeout=0&client_id=poller-1").statusCode());
    assertEquals(200, api.get("/v1/namespaces/" + ns + "?client_id=poller-2").statusCode());
    await("both pulls are recorded", () -> client(ns, "poller-1") != null && client(ns, "poller-2") != null);
    assertEquals("pending", client(ns, "poller-1").getString("status"));
    JsonObject waited = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=300ms");
    assertFalse(waited.getBoolean("complete"), waited.encode());
    assertEquals(2, waited.getInteger("pending"), waited.encode());

    assertEquals(200, ack(api, ns, v, applied("poller-1")).statusCode());
    JsonObject one = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks");
    assertEquals(new JsonArray().add("poller-1"), one.getJsonObject("clients").getJsonArray("applied"), one.encode());
    assertEquals(new JsonArray().add("poller-2"), one.getJsonObject("clients").getJsonArray("pending"), one.encode());
    assertFalse(one.getBoolean("clients_truncated"), one.encode());
    JsonObject counts = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks?clients=none&wait=200ms");
    assertEquals(1, counts.getInteger("applied"), counts.encode());
    assertEquals(1, counts.getInteger("pending"), counts.encode());
    assertFalse(counts.containsKey("clients") || counts.containsKey("clients_truncated"), counts.encode());
    assertEquals(400, api.get("/v1/namespaces/" + ns + "/versions/" + v + "/acks?clients=some").statusCode());

    // poller-2 stops pulling: after HERALD_PULL_STALE_AFTER_S it no longer holds up the rollout.
    await("poller-2 is stale", () -> client(ns, "poller-2").getBoolean("stale"));
    JsonObject done = api.json("/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=10s");
    assertTrue(done.getBoolean("complete"), done.encode());
    assertEquals(new JsonArray().add("poller-2"), done.getJsonObject("clients").getJsonArray("disconnected"), done.encode());
    // A pull makes it live again, and the pull keeps what it acked (nothing).
    assertEquals(304, api.get("/v1/namespaces/" + ns + "/watch?since=" + v + "&timeout=0&client_id=poller-2").statusCode());
    await("poller-2 is live again", () -> !client(ns, "poller-2").getBoolean("stale"));
    assertEquals("pending", client(ns, "poller-2").getString("status"));
  }

  @Test
  @DisplayName("HTTP acks are checked like WebSocket acks and refused for another token's id or past the cap")
  void refusals(Vertx vertx) {
    String ns = "http.refused";
    long v = api.write(ns, "k", 1);
    String owner = api.post("/v1/tokens", new JsonObject().put("name", "http-owner").put("role", "client")
        .put("namespaces", new JsonArray().add("http.*"))).bodyAsJsonObject().getString("token");
    String other = api.post("/v1/tokens", new JsonObject().put("name", "http-other").put("role", "client")
        .put("namespaces", new JsonArray().add("http.*"))).bodyAsJsonObject().getString("token");
    Api asOwner = new Api(vertx, hub.port(), owner);
    Api asOther = new Api(vertx, hub.port(), other);
    try {
      assertEquals(200, ack(asOwner, ns, v, applied("svc-1")).statusCode());
      assertError(ack(asOther, ns, v, applied("svc-1")), 409, "client_id_taken");
      assertEquals(200, ack(asOther, ns, v, applied("svc-2")).statusCode());
      assertEquals(200, ack(asOther, ns, v, applied("svc-3")).statusCode());
      assertError(ack(asOther, ns, v, applied("svc-4")), 429, "too_many_clients");
      assertEquals(3, api.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").size());

      assertError(ack(asOwner, ns, v + 1, applied("svc-1")), 404, "version_not_found");
      assertError(ack(asOwner, "http.nothing", 1, applied("svc-1")), 404, "namespace_not_found");
      assertError(ack(asOwner, ns, v, new JsonObject().put("status", "applied")), 400, "invalid_client_id");
      assertError(ack(asOwner, ns, v, applied("svc-1").put("status", "done")), 400, "invalid_status");
      assertError(ack(asOwner, ns, v, applied("svc-1").put("labels", new JsonObject().put("a", 1))), 400, "invalid_labels");
      assertError(ack(asOwner, ns, v, applied("svc-1").put("error", 7)), 400, "invalid_request");
      assertError(ack(asOwner, "other.ns", 1, applied("svc-1")), 403, "forbidden");
      assertError(asOwner.get("/v1/namespaces/" + ns + "/watch?timeout=0&client_id=-bad"), 400, "invalid_client_id");
    } finally {
      asOwner.close();
      asOther.close();
    }
  }

  @Test
  @DisplayName("a snapshot carries its version as ETag and its content digest; If-None-Match of the head is 304")
  void snapshotDigest() {
    String ns = "http.digest";
    api.write(ns, "db/pool", new JsonObject().put("size", 20).put("mode", "fair"), "feature.x", true, "ratio", 1.5,
        "name", "caf\u00e9", "limits", new JsonArray().add(1000).add(2.5e-7).addNull());
    HttpResponse<Buffer> r = api.get("/v1/namespaces/" + ns);
    assertEquals(200, r.statusCode());
    // The worked example of docs/protocol.md.
    String digest = "sha256:2226e8874f462a0b5a2b3eebfb724383f2c78bf898ddd19d6a43db3b2b74be38";
    assertEquals(digest, r.bodyAsJsonObject().getString("digest"));
    assertEquals(digest, r.getHeader("X-Herald-Digest"));
    assertEquals("\"1\"", r.getHeader("ETag"));
    HttpResponse<Buffer> same = api.send(HttpMethod.GET, "/v1/namespaces/" + ns, null, Map.of("If-None-Match", "\"1\""));
    assertEquals(304, same.statusCode());
    assertEquals("\"1\"", same.getHeader("ETag"));
    assertEquals(0, same.body() == null ? 0 : same.body().length());
    api.write(ns, "feature.x", false);
    HttpResponse<Buffer> changed = api.send(HttpMethod.GET, "/v1/namespaces/" + ns, null, Map.of("If-None-Match", "\"1\""));
    assertEquals(200, changed.statusCode());
    assertEquals(2, changed.bodyAsJsonObject().getLong("version"));
    assertFalse(digest.equals(changed.getHeader("X-Herald-Digest")));
    HttpResponse<Buffer> old = api.get("/v1/namespaces/" + ns + "?version=1");
    assertEquals(digest, old.getHeader("X-Herald-Digest"), "the digest of a version never changes");
    assertEquals("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        api.json("/v1/namespaces/" + ns + "?version=0").getString("digest"));
  }
}
