package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
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

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.herald.hub.Api.changes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("HTTP API of one hub over real HTTP and PostgreSQL")
class HttpApiTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(HttpApiTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  static JsonObject assertError(HttpResponse<Buffer> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), r.getHeader("Content-Type"));
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(code, body.getString("error"), body.encode());
    assertNotNull(body.getString("message"));
    assertFalse(r.bodyAsString().contains("Exception"), "leaks an exception: " + r.bodyAsString());
    assertFalse(r.bodyAsString().contains("\tat "), "leaks a stack trace: " + r.bodyAsString());
    return body;
  }

  private static long head(String ns) {
    return api.json("/v1/namespaces/" + ns).getLong("version");
  }

  @Test
  @DisplayName("write, history, one revision, diff, snapshot at a version and rollback round trip")
  void roundTrip() {
    String ns = "payments.prod";
    HttpResponse<Buffer> first = api.post("/v1/namespaces/" + ns + "/revisions",
        changes("db/pool", 10, "feature.x", true).put("message", "initial"));
    assertEquals(201, first.statusCode(), first.bodyAsString());
    assertEquals(1, first.bodyAsJsonObject().getLong("version"));
    assertEquals("\"1\"", first.getHeader("ETag"));
    assertEquals("/v1/namespaces/payments.prod/revisions/1", first.getHeader("Location"));

    JsonObject second = new JsonObject().put("message", "tune").put("expected_version", 1)
        .put("changes", new JsonArray()
            .add(new JsonObject().put("key", "db/pool").put("op", "put").put("value", new JsonObject().put("size", 20)))
            .add(new JsonObject().put("key", "feature.x").put("op", "delete")));
    assertEquals(201, api.post("/v1/namespaces/" + ns + "/revisions", second).statusCode());

    JsonObject history = api.json("/v1/namespaces/" + ns + "/revisions");
    assertEquals(2, history.getLong("head"));
    JsonArray revisions = history.getJsonArray("revisions");
    assertEquals(List.of(2L, 1L), revisions.stream().map(r -> ((JsonObject) r).getLong("version")).toList());
    assertEquals("tune", revisions.getJsonObject(0).getString("message"));
    assertEquals("admin", revisions.getJsonObject(0).getString("author"));
    assertNotNull(revisions.getJsonObject(0).getString("created_at"));

    JsonObject rev2 = api.json("/v1/namespaces/" + ns + "/revisions/2");
    assertEquals(new JsonArray()
        .add(new JsonObject().put("key", "db/pool").put("op", "put").put("value", new JsonObject().put("size", 20)))
        .add(new JsonObject().put("key", "feature.x").put("op", "delete")), rev2.getJsonArray("changes"));

    JsonObject diff = api.json("/v1/namespaces/" + ns + "/diff?from=1&to=2");
    assertEquals(new JsonArray()
        .add(new JsonObject().put("key", "db/pool").put("change", "changed").put("op", "put")
            .put("old_value", 10).put("value", new JsonObject().put("size", 20)))
        .add(new JsonObject().put("key", "feature.x").put("change", "removed").put("op", "delete").put("old_value", true)),
        diff.getJsonArray("changes"));

    JsonObject atV1 = api.json("/v1/namespaces/" + ns + "?version=1");
    assertEquals(new JsonObject().put("db/pool", 10).put("feature.x", true), atV1.getJsonObject("entries"));

    HttpResponse<Buffer> rollback = api.post("/v1/namespaces/" + ns + "/rollback",
        new JsonObject().put("to_version", 1).put("message", "bad tune"));
    assertEquals(201, rollback.statusCode(), rollback.bodyAsString());
    assertEquals(3, rollback.bodyAsJsonObject().getLong("version"));
    assertEquals(1, rollback.bodyAsJsonObject().getLong("rollback_to"));

    HttpResponse<Buffer> now = api.get("/v1/namespaces/" + ns);
    assertEquals("\"3\"", now.getHeader("ETag"));
    assertEquals(atV1.getJsonObject("entries"), now.bodyAsJsonObject().getJsonObject("entries"));
    JsonObject rev3 = api.json("/v1/namespaces/" + ns + "/revisions/3");
    assertEquals("rollback", rev3.getString("kind"));
    assertEquals("bad tune", rev3.getString("message"));

    JsonObject list = api.json("/v1/namespaces");
    JsonObject listed = list.getJsonArray("namespaces").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("name").equals(ns)).findFirst().orElseThrow();
    assertEquals(3, listed.getLong("head"));
    assertEquals(2, listed.getLong("keys"));
  }

  @Test
  @DisplayName("single-key PUT and DELETE honour If-Match, and GET reads one key")
  void singleKey() {
    String ns = "single.key";
    Map<String, String> json = Map.of("Content-Type", "application/json");
    HttpResponse<Buffer> put = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/limits/rps", "250", json);
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertEquals(1, put.bodyAsJsonObject().getLong("version"));

    JsonObject entry = api.json("/v1/namespaces/" + ns + "/entries/limits/rps");
    assertEquals(250, entry.getInteger("value"));

    HttpResponse<Buffer> stale = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/limits/rps", "300",
        Map.of("If-Match", "\"0\""));
    assertEquals(1, assertError(stale, 409, "version_conflict").getLong("head"));
    HttpResponse<Buffer> ok = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/limits/rps", "300",
        Map.of("If-Match", "\"1\"", "X-Herald-Message", "raise"));
    assertEquals(200, ok.statusCode(), ok.bodyAsString());
    assertEquals("raise", api.json("/v1/namespaces/" + ns + "/revisions/2").getString("message"));

    HttpResponse<Buffer> nullValue = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/nothing", "null", json);
    assertEquals(200, nullValue.statusCode(), nullValue.bodyAsString());
    assertTrue(api.json("/v1/namespaces/" + ns).getJsonObject("entries").containsKey("nothing"));

    assertError(api.send(HttpMethod.DELETE, "/v1/namespaces/" + ns + "/entries/absent", null, Map.of()), 404, "key_not_found");
    HttpResponse<Buffer> del = api.send(HttpMethod.DELETE, "/v1/namespaces/" + ns + "/entries/limits/rps", null, Map.of());
    assertEquals(200, del.statusCode(), del.bodyAsString());
    assertError(api.get("/v1/namespaces/" + ns + "/entries/limits/rps"), 404, "key_not_found");
    assertEquals(300, api.json("/v1/namespaces/" + ns + "/entries/limits/rps?version=2").getInteger("value"));
  }

  @Test
  @DisplayName("snapshots carry an ETag and answer 304 to If-None-Match")
  void etag() {
    String ns = "etag.ns";
    api.write(ns, "a", 1);
    HttpResponse<Buffer> r = api.get("/v1/namespaces/" + ns);
    HttpResponse<Buffer> again = api.send(HttpMethod.GET, "/v1/namespaces/" + ns, null, Map.of("If-None-Match", r.getHeader("ETag")));
    assertEquals(304, again.statusCode());
    api.write(ns, "a", 2);
    HttpResponse<Buffer> changed = api.send(HttpMethod.GET, "/v1/namespaces/" + ns, null, Map.of("If-None-Match", r.getHeader("ETag")));
    assertEquals(200, changed.statusCode());
  }

  @Test
  @DisplayName("history pages newest first with before/after and limit")
  void paging() {
    String ns = "paging.ns";
    for (int i = 0; i < 7; i++) {
      api.write(ns, "k", i);
    }
    JsonObject page1 = api.json("/v1/namespaces/" + ns + "/revisions?limit=3");
    assertEquals(List.of(7L, 6L, 5L), versions(page1));
    JsonObject page2 = api.json("/v1/namespaces/" + ns + "/revisions?limit=3&before=" + page1.getLong("next_before"));
    assertEquals(List.of(4L, 3L, 2L), versions(page2));
    JsonObject page3 = api.json("/v1/namespaces/" + ns + "/revisions?limit=3&before=" + page2.getLong("next_before"));
    assertEquals(List.of(1L), versions(page3));
    assertNull(page3.getValue("next_before"));
    assertEquals(List.of(7L, 6L), versions(api.json("/v1/namespaces/" + ns + "/revisions?after=5")));
  }

  private static List<Long> versions(JsonObject page) {
    return page.getJsonArray("revisions").stream().map(r -> ((JsonObject) r).getLong("version")).toList();
  }

  @Test
  @DisplayName("every /v1 call needs the token; health, readiness and metrics do not")
  void authentication(Vertx vertx) {
    Api anonymous = new Api(vertx, hub.port(), null);
    Api wrong = new Api(vertx, hub.port(), "not-the-token");
    try {
      HttpResponse<Buffer> r = anonymous.get("/v1/namespaces");
      assertError(r, 401, "unauthorized");
      assertNotNull(r.getHeader("WWW-Authenticate"));
      assertError(wrong.get("/v1/namespaces"), 401, "unauthorized");
      assertError(anonymous.post("/v1/namespaces/x/revisions", changes("a", 1)), 401, "unauthorized");
      assertEquals(200, anonymous.get("/health").statusCode());
      assertEquals("ready", anonymous.get("/ready").bodyAsJsonObject().getString("status"));
      api.write("metrics.ns", "a", 1);
      String metrics = anonymous.get("/metrics").bodyAsString();
      assertTrue(metrics.contains("herald_revisions_committed_total"), metrics);
      assertTrue(metrics.contains("vertx_http_server"), "Vert.x server metrics are exported");
    } finally {
      anonymous.close();
      wrong.close();
    }
  }

  @Test
  @DisplayName("unknown paths and methods get JSON errors")
  void unknownRoutes() {
    assertError(api.get("/v1/nothing-here"), 404, "not_found");
    assertError(api.send(HttpMethod.PATCH, "/v1/namespaces/a", "{}", Map.of()), 405, "method_not_allowed");
  }

  @Test
  @DisplayName("bad input gets a clear 4xx JSON error and leaves the namespace unchanged")
  void badInput() {
    String ns = "bad.input";
    api.write(ns, "keep", "me");
    String revisions = "/v1/namespaces/" + ns + "/revisions";
    Map<String, String> none = Map.of();

    assertError(api.post("/v1/namespaces/Bad_NS/revisions", changes("a", 1)), 400, "invalid_namespace");
    assertError(api.post("/v1/namespaces/" + "a".repeat(129) + "/revisions", changes("a", 1)), 400, "invalid_namespace");
    assertError(api.post(revisions, changes("-bad", 1)), 400, "invalid_key");
    assertError(api.post(revisions, changes("has space", 1)), 400, "invalid_key");
    assertError(api.post(revisions, changes("k".repeat(257), 1)), 400, "invalid_key");
    assertError(api.send(HttpMethod.POST, revisions, "{not json", none), 400, "invalid_json");
    assertError(api.send(HttpMethod.POST, revisions, "", none), 400, "invalid_json");
    assertError(api.send(HttpMethod.POST, revisions, "[1,2]", none), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", "a=1")), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray().add(5))), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", 5).put("op", "put").put("value", 1)))), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", "a").put("op", "upsert").put("value", 1)))), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", "a").put("op", "put")))), 400, "invalid_request");
    assertError(api.post(revisions, changes("a", 1).put("message", 42)), 400, "invalid_request");
    assertError(api.post(revisions, changes("a", 1).put("expected_version", "1")), 400, "invalid_request");
    assertError(api.post(revisions, changes("a", 1).put("expected_version", -1)), 400, "invalid_request");
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray())), 422, "no_changes");
    assertError(api.post(revisions, changes("a", 1, "a", 2)), 422, "duplicate_key");
    assertError(api.post(revisions, changes("a", 1).put("message", "m".repeat(1001))), 422, "message_too_long");

    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 1001; i++) {
      tooMany.add(new JsonObject().put("key", "k" + i).put("op", "put").put("value", i));
    }
    assertError(api.post(revisions, new JsonObject().put("changes", tooMany)), 422, "too_many_changes");
    assertError(api.post(revisions, changes("big", "x".repeat(64 * 1024))), 413, "value_too_large");
    JsonArray huge = new JsonArray();
    for (int i = 0; i < 20; i++) {
      huge.add(new JsonObject().put("key", "k" + i).put("op", "put").put("value", "x".repeat(60 * 1024)));
    }
    assertError(api.post(revisions, new JsonObject().put("changes", huge)), 413, "payload_too_large");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/big", "\"" + "x".repeat(70_000) + "\"", none),
        413, "value_too_large");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "{oops", none), 400, "invalid_json");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "\"nul\\u0000inside\"", none),
        400, "unsupported_value");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "{\"n\": 1e400}", none), 400, "invalid_value");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/k", "1", Map.of("If-Match", "abc")),
        400, "invalid_parameter");

    JsonObject conflict = assertError(api.post(revisions, changes("a", 1).put("expected_version", 0)), 409, "version_conflict");
    assertEquals(1, conflict.getLong("head"));
    assertError(api.post(revisions, new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", "ghost").put("op", "delete")))), 404, "key_not_found");

    assertError(api.get("/v1/namespaces/" + ns + "/revisions/99"), 404, "version_not_found");
    assertError(api.get("/v1/namespaces/" + ns + "/revisions/abc"), 400, "invalid_parameter");
    assertError(api.get("/v1/namespaces/" + ns + "?version=5"), 404, "version_not_found");
    assertError(api.get("/v1/namespaces/" + ns + "?version=-1"), 400, "invalid_parameter");
    assertError(api.get("/v1/namespaces/never.written"), 404, "namespace_not_found");
    assertError(api.get("/v1/namespaces/" + ns + "/revisions?limit=0"), 400, "invalid_parameter");
    assertError(api.get("/v1/namespaces/" + ns + "/revisions?limit=5000"), 400, "invalid_parameter");
    assertError(api.post("/v1/namespaces/" + ns + "/rollback", new JsonObject().put("to_version", 7)), 404, "version_not_found");
    assertError(api.post("/v1/namespaces/" + ns + "/rollback", new JsonObject().put("to_version", 0)), 404, "version_not_found");
    assertError(api.post("/v1/namespaces/" + ns + "/rollback", new JsonObject()), 400, "invalid_request");
    assertError(api.post("/v1/namespaces/nothing.here/rollback", new JsonObject().put("to_version", 1)), 404, "namespace_not_found");
    assertError(api.get("/v1/namespaces/" + ns + "/diff?from=1&to=0"), 400, "invalid_range");
    assertError(api.get("/v1/namespaces/" + ns + "/diff?from=1&to=9"), 404, "version_not_found");
    assertError(api.get("/v1/namespaces/" + ns + "/diff"), 400, "invalid_parameter");

    JsonObject after = api.json("/v1/namespaces/" + ns);
    assertEquals(1, after.getLong("version"), "no rejected request created a revision");
    assertEquals(new JsonObject().put("keep", "me"), after.getJsonObject("entries"));
    assertError(api.get("/v1/namespaces/nothing.here"), 404, "namespace_not_found");
    assertEquals(1, head(ns));
  }
}
