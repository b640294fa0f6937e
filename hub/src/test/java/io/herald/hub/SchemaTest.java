package io.herald.hub;

import io.vertx.core.Future;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.herald.hub.Api.changes;
import static io.herald.hub.HttpApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Namespace schemas and dry runs over real HTTP and PostgreSQL")
class SchemaTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(SchemaTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  /** db/pool: integer 1..100, required; mode: "a" or "b". */
  static JsonObject poolSchema() {
    return new JsonObject().put("type", "object").put("required", new JsonArray().add("db/pool"))
        .put("properties", new JsonObject()
            .put("db/pool", new JsonObject().put("type", "integer").put("minimum", 1).put("maximum", 100))
            .put("mode", new JsonObject().put("enum", new JsonArray().add("a").add("b"))));
  }

  private static HttpResponse<Buffer> putSchema(String ns, JsonObject body) {
    return api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/schema", body.encode(),
        Map.of("Content-Type", "application/json"));
  }

  private static long head(String ns) {
    return api.json("/v1/namespaces/" + ns).getLong("version");
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body) {
    return api.post(path, body);
  }

  @Test
  @DisplayName("a schema is set, read back with its version, and its changes kept as history")
  void setGetHistory() {
    String ns = "schema.history";
    api.write(ns, "db/pool", 5);
    HttpResponse<Buffer> set = putSchema(ns, new JsonObject().put("schema", poolSchema()).put("message", "first"));
    assertEquals(200, set.statusCode(), set.bodyAsString());
    assertEquals(1, set.bodyAsJsonObject().getLong("version"));
    JsonObject got = api.json("/v1/namespaces/" + ns + "/schema");
    assertEquals(poolSchema(), got.getJsonObject("schema"));
    assertEquals(1, got.getLong("at_head"));
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", new JsonObject().put("type", "object"))).statusCode());
    assertEquals(200, api.send(HttpMethod.DELETE, "/v1/namespaces/" + ns + "/schema", null, Map.of()).statusCode());
    assertError(api.get("/v1/namespaces/" + ns + "/schema"), 404, "schema_not_found");
    JsonArray history = api.json("/v1/namespaces/" + ns + "/schema/history").getJsonArray("changes");
    assertEquals(3, history.size());
    assertEquals(3, history.getJsonObject(0).getLong("version"));
    assertTrue(history.getJsonObject(0).getBoolean("removed"));
    assertEquals("first", history.getJsonObject(2).getString("message"));
    // Without a schema again, anything goes.
    api.write(ns, "db/pool", "not a number");
  }

  @Test
  @DisplayName("invalid schemas, remote references and schemas over 64 KiB are refused with 400 and pointers")
  void badSchemas() {
    String ns = "schema.bad";
    JsonObject invalid = assertError(putSchema(ns, new JsonObject().put("schema",
        new JsonObject().put("type", 12))), 400, "invalid_schema");
    assertFalse(invalid.getJsonArray("errors").isEmpty(), invalid.encode());
    assertTrue(invalid.getJsonArray("errors").getJsonObject(0).getString("pointer").startsWith("/type")
        || invalid.encode().contains("/type"), invalid.encode());
    JsonObject remote = assertError(putSchema(ns, new JsonObject().put("schema", new JsonObject()
        .put("properties", new JsonObject().put("x", new JsonObject().put("$ref", "https://example.com/s.json"))))),
        400, "invalid_schema");
    assertEquals("/properties/x/$ref", remote.getJsonArray("errors").getJsonObject(0).getString("pointer"));
    JsonObject big = new JsonObject();
    for (int i = 0; i < 3000; i++) {
      big.put("k" + i, new JsonObject().put("type", "string").put("description", "x".repeat(20)));
    }
    assertError(putSchema(ns, new JsonObject().put("schema", new JsonObject().put("properties", big))), 400,
        "schema_too_large");
    assertError(putSchema(ns, new JsonObject().put("schema", "nope")), 400, "invalid_schema");
    assertError(api.get("/v1/namespaces/" + ns + "/schema"), 404, "schema_not_found");
  }

  @Test
  @DisplayName("a schema the head violates is refused with the violations, unless accepted knowingly (and audited)")
  void invalidHead() {
    String ns = "schema.head";
    api.write(ns, "db/pool", 500);
    JsonObject refused = assertError(putSchema(ns, new JsonObject().put("schema", poolSchema())), 422, "schema_violation");
    assertEquals("/db~1pool", refused.getJsonArray("errors").getJsonObject(0).getString("pointer"));
    HttpResponse<Buffer> knowingly = putSchema(ns, new JsonObject().put("schema", poolSchema())
        .put("allow_invalid_head", true));
    assertEquals(200, knowingly.statusCode(), knowingly.bodyAsString());
    JsonObject audit = api.json("/v1/namespaces/" + ns + "/schema/history").getJsonArray("changes").getJsonObject(0);
    assertTrue(audit.getBoolean("allow_invalid_head"));
    assertEquals("/db~1pool", audit.getJsonArray("head_violations").getJsonObject(0).getString("pointer"));
    // The next write must make it valid.
    assertError(post("/v1/namespaces/" + ns + "/revisions", changes("mode", "a")), 422, "schema_violation");
    api.write(ns, "db/pool", 50);
  }

  @Test
  @DisplayName("every write path is refused when the state after it would be invalid, and nothing is committed")
  void everyWriteRefused() {
    String ns = "schema.writes";
    api.write(ns, "db/pool", 5, "mode", "a");
    long v2 = api.write(ns, "db/pool", 6, "extra", 1);
    api.write(ns, "db/pool", 7);
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", poolSchema())).statusCode());
    long before = head(ns);

    JsonObject r = assertError(post("/v1/namespaces/" + ns + "/revisions", changes("db/pool", 0)), 422, "schema_violation");
    assertEquals("/db~1pool", r.getJsonArray("errors").getJsonObject(0).getString("pointer"));
    assertEquals(1, r.getLong("schema_version"));
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/mode", "\"c\"",
        Map.of("Content-Type", "application/json")), 422, "schema_violation");
    assertError(api.send(HttpMethod.DELETE, "/v1/namespaces/" + ns + "/entries/db/pool", null, Map.of()), 422,
        "schema_violation");
    assertError(api.send(HttpMethod.PUT, "/v1/namespaces/" + ns, "mode=a\n",
        Map.of("Content-Type", "text/x-java-properties")), 422, "schema_violation");
    assertEquals(before, head(ns), "no refused write committed anything");
    // Rolling back to version 0's state is impossible; to a state that lacks db/pool is refused.
    api.write(ns, "db/pool", 8, "mode", "b");
    long now = head(ns);
    assertEquals(201, post("/v1/namespaces/" + ns + "/revisions", new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", "mode").put("op", "delete")))).statusCode());
    assertEquals(now + 1, head(ns));
    // v2 had "extra", allowed then; once it is gone, a schema forbidding it refuses a rollback to v2.
    assertEquals(201, post("/v1/namespaces/" + ns + "/revisions", new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", "extra").put("op", "delete")))).statusCode());
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", poolSchema().put("additionalProperties", false)))
        .statusCode());
    before = head(ns);
    assertError(post("/v1/namespaces/" + ns + "/rollback", new JsonObject().put("to_version", v2)), 422,
        "schema_violation");
    assertEquals(before, head(ns), "nothing committed");
    assertEquals(8, api.json("/v1/namespaces/" + ns).getJsonObject("entries").getInteger("db/pool"));
  }

  @Test
  @DisplayName("a dry run answers version, diff and verdict, commits nothing, and the next write gets that version")
  void dryRun() {
    String ns = "schema.dry";
    api.write(ns, "db/pool", 5, "mode", "a");
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", poolSchema())).statusCode());
    long h = head(ns);
    HttpResponse<Buffer> dry = post("/v1/namespaces/" + ns + "/revisions?dry_run=true", changes("db/pool", 9));
    assertEquals(200, dry.statusCode(), dry.bodyAsString());
    JsonObject d = dry.bodyAsJsonObject();
    assertTrue(d.getBoolean("dry_run"));
    assertTrue(d.getBoolean("valid"));
    assertEquals(h + 1, d.getLong("version"));
    assertTrue(d.containsKey("rollout"));
    assertNull(d.getValue("rollout"));
    JsonObject change = d.getJsonArray("diff").getJsonObject(0);
    assertEquals("db/pool", change.getString("key"));
    assertEquals(5, change.getInteger("old_value"));
    assertEquals(9, change.getInteger("value"));
    assertEquals(h, head(ns), "a dry run commits nothing");
    assertEquals(5, api.json("/v1/namespaces/" + ns).getJsonObject("entries").getInteger("db/pool"));

    JsonObject bad = assertError(post("/v1/namespaces/" + ns + "/revisions?dry_run=true", changes("db/pool", -1)),
        422, "schema_violation");
    assertFalse(bad.getBoolean("valid"));
    assertEquals("/db~1pool", bad.getJsonArray("errors").getJsonObject(0).getString("pointer"));
    assertEquals(h + 1, bad.getLong("version"));

    HttpResponse<Buffer> rollback = post("/v1/namespaces/" + ns + "/rollback?dry_run=true",
        new JsonObject().put("to_version", 1));
    assertEquals(200, rollback.statusCode(), rollback.bodyAsString());
    assertEquals("rollback", rollback.bodyAsJsonObject().getString("kind"));
    HttpResponse<Buffer> entry = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "/entries/mode?dry_run=true",
        "\"b\"", Map.of("Content-Type", "application/json"));
    assertEquals(200, entry.statusCode(), entry.bodyAsString());
    assertError(post("/v1/namespaces/" + ns + "/revisions?dry_run=true",
        changes("mode", "b").put("expected_version", h - 1)), 409, "version_conflict");
    assertEquals(h, head(ns));
    assertEquals(h + 1, api.write(ns, "db/pool", 9), "the write gets the version the dry run predicted");
  }

  @Test
  @DisplayName("concurrent writes, half of them invalid, and a schema set meanwhile: no invalid state is ever committed")
  void concurrentWritesStayValid(Vertx vertx) {
    String ns = "schema.race";
    api.write(ns, "db/pool", 5);
    // Writes start before the schema exists, so some go the unchecked way and are sent back by the database.
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int value = i % 2 == 0 ? 10 + i : 1000 + i; // odd ones break maximum 100
      sent.add(api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions")
          .sendJsonObject(changes("db/pool", value)));
      if (i == 10) {
        sent.add(api.request(HttpMethod.PUT, "/v1/namespaces/" + ns + "/schema")
            .sendJsonObject(new JsonObject().put("schema", poolSchema())));
      }
    }
    Future.join(new ArrayList<>(sent)).await();
    HttpResponse<Buffer> schemaAnswer = sent.get(11).result();
    JsonObject history = api.json("/v1/namespaces/" + ns + "/revisions?limit=1000");
    // Every revision after the schema's at_head must hold a valid db/pool.
    if (schemaAnswer.statusCode() == 200) {
      long atHead = schemaAnswer.bodyAsJsonObject().getLong("at_head");
      for (long v = atHead; v <= history.getLong("head"); v++) {
        int pool = api.json("/v1/namespaces/" + ns + "?version=" + v).getJsonObject("entries").getInteger("db/pool");
        assertTrue(pool <= 100, "version " + v + " holds " + pool + " after the schema was set at " + atHead);
      }
      for (int i = 12; i < sent.size(); i++) {
        int status = sent.get(i).result().statusCode();
        assertTrue(status == 201 || status == 422, "status " + status);
      }
    } else {
      assertEquals(422, schemaAnswer.statusCode(), schemaAnswer.bodyAsString());
    }
  }

  @Test
  @DisplayName("a write is judged on the namespace as it really is, also after another node changed it")
  void judgedOnTheRealState(Vertx vertx) {
    String ns = "schema.nodes";
    api.write(ns, "a", 1);
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", new JsonObject().put("type", "object")
        .put("maxProperties", 2))).statusCode());
    api.write(ns, "a", 2); // the hub now holds the namespace's state
    io.vertx.sqlclient.Pool pool = io.herald.db.Database.pool(vertx, hub.db.url(), 1);
    try {
      io.herald.db.ConfigStore otherNode = new io.herald.db.ConfigStore(pool);
      // Another node adds b: a third key is now one too many, though the hub last saw one key.
      assertTrue(otherNode.appendAll(List.of(io.herald.db.ConfigStore.Append.write(ns,
          List.of(io.herald.db.Change.put("b", 1)), null, "other", "")), List.of(1L)).await().get(0).succeeded());
      assertError(post("/v1/namespaces/" + ns + "/revisions", changes("c", 1)), 422, "schema_violation");
      // And removes it again: the write the hub would have refused on what it saw before is fine.
      assertTrue(otherNode.appendAll(List.of(io.herald.db.ConfigStore.Append.write(ns,
          List.of(io.herald.db.Change.delete("b")), null, "other", "")), List.of(1L)).await().get(0).succeeded());
      assertEquals(201, post("/v1/namespaces/" + ns + "/revisions", changes("c", 1)).statusCode());
      // A write not validated against the schema in force is refused by the database itself.
      assertTrue(otherNode.appendAll(List.of(io.herald.db.ConfigStore.Append.write(ns,
          List.of(io.herald.db.Change.put("d", 1)), null, "other", ""))).await().get(0).cause()
          instanceof io.herald.db.StoreException.SchemaPresent);
    } finally {
      pool.close().await();
    }
    assertEquals(new JsonObject().put("a", 2).put("c", 1), api.json("/v1/namespaces/" + ns).getJsonObject("entries"));
  }

  @Test
  @DisplayName("a rollout on a namespace with a schema: its write is judged, and its abort's rollback goes through")
  void rolloutOnASchemaNamespace() {
    String ns = "schema.rollout";
    api.write(ns, "db/pool", 5);
    assertEquals(200, putSchema(ns, new JsonObject().put("schema", poolSchema())).statusCode());
    // A canary HTTP client keeps the first step pending until it acks.
    assertEquals(200, post("/v1/namespaces/" + ns + "/versions/1/acks", new JsonObject().put("client_id", "canary-1")
        .put("status", "applied").put("labels", new JsonObject().put("ring", "canary"))).statusCode());
    JsonObject plan = new JsonObject().put("steps", new JsonArray()
        .add(new JsonObject().put("selector", new JsonObject().put("ring", "canary")))
        .add(new JsonObject().put("percent", 100)));
    assertError(post("/v1/namespaces/" + ns + "/revisions", changes("db/pool", 500).put("rollout", plan)), 422,
        "schema_violation");
    HttpResponse<Buffer> dry = post("/v1/namespaces/" + ns + "/revisions?dry_run=true",
        changes("db/pool", 6).put("rollout", plan));
    assertEquals(200, dry.statusCode(), dry.bodyAsString());
    assertEquals(2, dry.bodyAsJsonObject().getJsonObject("rollout").getJsonArray("steps").size());
    HttpResponse<Buffer> started = post("/v1/namespaces/" + ns + "/revisions", changes("db/pool", 6).put("rollout", plan));
    assertEquals(201, started.statusCode(), started.bodyAsString());
    assertError(post("/v1/namespaces/" + ns + "/revisions?dry_run=true", changes("db/pool", 7)), 409,
        "rollout_in_progress");
    HttpResponse<Buffer> abort = post("/v1/namespaces/" + ns + "/rollouts/2/abort", new JsonObject());
    assertEquals(200, abort.statusCode(), abort.bodyAsString());
    assertEquals(3, head(ns), "the abort's rollback revision was appended");
    assertEquals(5, api.json("/v1/namespaces/" + ns).getJsonObject("entries").getInteger("db/pool"));
  }
}
