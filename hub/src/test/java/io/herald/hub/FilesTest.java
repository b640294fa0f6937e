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

import static io.herald.hub.Api.changes;
import static io.herald.hub.HttpApiTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("Namespaces exported and imported as properties, YAML and JSON files over real HTTP and PostgreSQL")
class FilesTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(FilesTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static HttpResponse<Buffer> importFile(String ns, String type, String body) {
    return api.send(HttpMethod.PUT, "/v1/namespaces/" + ns, body, Map.of("Content-Type", type));
  }

  private static HttpResponse<Buffer> export(String ns, String accept) {
    return api.send(HttpMethod.GET, "/v1/namespaces/" + ns, null, Map.of("Accept", accept));
  }

  private static JsonObject entries(String ns) {
    return api.json("/v1/namespaces/" + ns).getJsonObject("entries");
  }

  @Test
  @DisplayName("each format exports the snapshot and imports back to the same entries with no new revision")
  void roundTrips() {
    String ns = "files.roundtrip";
    api.post("/v1/namespaces/" + ns + "/revisions", changes("db.pool", 5, "db.url", "pg://h/db", "flag", true,
        "list", new JsonArray().add(1).add("a"), "num.string", "42", "text", "two words\nand a line"));
    long head = api.json("/v1/namespaces/" + ns).getLong("version");
    JsonObject before = entries(ns);
    for (String[] f : new String[][] {{"text/x-java-properties", "text/x-java-properties"},
        {"application/yaml", "application/yaml"}}) {
      HttpResponse<Buffer> out = export(ns, f[0]);
      assertEquals(200, out.statusCode(), out.bodyAsString());
      assertTrue(out.getHeader("Content-Type").startsWith(f[1]), out.getHeader("Content-Type"));
      assertEquals(Long.toString(head), out.getHeader("X-Herald-Version"));
      HttpResponse<Buffer> in = importFile(ns, f[1], out.bodyAsString());
      assertEquals(200, in.statusCode(), in.bodyAsString());
      assertFalse(in.bodyAsJsonObject().getBoolean("changed"), f[0] + ": " + out.bodyAsString());
      assertEquals(head, in.bodyAsJsonObject().getLong("version"));
    }
    HttpResponse<Buffer> json = api.get("/v1/namespaces/" + ns + "?format=json");
    assertEquals(before, json.bodyAsJsonObject());
    assertFalse(importFile(ns, "application/json", json.bodyAsString()).bodyAsJsonObject().getBoolean("changed"));
    assertEquals(head, api.json("/v1/namespaces/" + ns).getLong("version"), "no revision for no difference");
    assertEquals(before, entries(ns));
  }

  @Test
  @DisplayName("an import is one revision of exactly the differences: absent keys deleted, nested YAML keys joined")
  void importIsTheDifference() {
    String ns = "files.diff";
    api.write(ns, "a", 1, "b", 2, "c.d", 3);
    HttpResponse<Buffer> dry = api.send(HttpMethod.PUT, "/v1/namespaces/" + ns + "?dry_run=true",
        "a: 1\nc:\n  d: 4\nnew: x\n", Map.of("Content-Type", "application/yaml"));
    assertEquals(200, dry.statusCode(), dry.bodyAsString());
    assertEquals(2, dry.bodyAsJsonObject().getLong("version"));
    assertEquals(3, dry.bodyAsJsonObject().getJsonArray("diff").size());
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"), "dry run commits nothing");

    HttpResponse<Buffer> r = importFile(ns, "application/yaml", "a: 1\nc:\n  d: 4\nnew: x\n");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(2, r.bodyAsJsonObject().getLong("version"));
    JsonObject rev = api.json("/v1/namespaces/" + ns + "/revisions/2");
    assertEquals(3, rev.getJsonArray("changes").size(), rev.encode()); // b deleted, c.d changed, new added
    assertEquals(new JsonObject().put("a", 1).put("c.d", 4).put("new", "x"), entries(ns));
  }

  @Test
  @DisplayName("broken files are refused with 400 and where: syntax, duplicate keys, bad keys, alias bombs, wrong type")
  void badFiles() {
    String ns = "files.bad";
    api.write(ns, "a", 1);
    JsonObject syntax = assertError(importFile(ns, "application/yaml", "a: [1, 2\nb: 3\n"), 400, "invalid_yaml");
    assertTrue(syntax.containsKey("line"), syntax.encode());
    JsonObject dup = assertError(importFile(ns, "text/x-java-properties", "a=1\nb=2\na=3\n"), 400, "duplicate_key");
    assertEquals(3, dup.getInteger("line"));
    assertError(importFile(ns, "application/yaml", "a: 1\na: 2\n"), 400, "duplicate_key");
    JsonObject key = assertError(importFile(ns, "text/x-java-properties", "ok=1\nbad\\ key=2\n"), 400,
        "invalid_key");
    assertEquals(2, key.getInteger("line"));
    assertError(importFile(ns, "application/yaml", ConfigFilesTest.aliasBomb()), 400, "invalid_yaml");
    assertError(importFile(ns, "text/plain", "a=1"), 415, "unsupported_media_type");
    assertError(api.get("/v1/namespaces/" + ns + "?format=toml"), 400, "invalid_parameter");
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"), "nothing was written");
  }
}
