package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Scoped tokens: roles, namespace patterns, revocation, audit")
class TokensTest {

  private static TestHub hub;
  private static Api admin;
  private static final Map<String, String> TOKENS = new LinkedHashMap<>();
  private static final Map<String, String> IDS = new LinkedHashMap<>();

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(TokensTest.class);
    admin = new Api(vertx, hub.port(), TestHub.TOKEN);
    admin.write("payments.prod", "limit", 1);
    admin.write("search.prod", "limit", 1);
    for (String role : Principal.ROLES) {
      HttpResponse<Buffer> r = admin.post("/v1/tokens", new JsonObject().put("name", role + "-payments").put("role", role)
          .put("namespaces", new JsonArray().add("payments.*")));
      assertEquals(201, r.statusCode(), r.bodyAsString());
      TOKENS.put(role, r.bodyAsJsonObject().getString("token"));
      IDS.put(role, r.bodyAsJsonObject().getString("id"));
    }
  }

  @AfterAll
  static void stop() {
    admin.close();
    hub.close();
  }

  private record Call(String name, HttpMethod method, String path, String body) {
  }

  private static List<Call> calls(String ns) {
    String base = "/v1/namespaces/" + ns;
    return List.of(
        new Call("snapshot", HttpMethod.GET, base, null),
        new Call("entry", HttpMethod.GET, base + "/entries/limit", null),
        new Call("history", HttpMethod.GET, base + "/revisions", null),
        new Call("revision", HttpMethod.GET, base + "/revisions/1", null),
        new Call("diff", HttpMethod.GET, base + "/diff?from=0&to=1", null),
        new Call("watch", HttpMethod.GET, base + "/watch?since=0", null),
        new Call("clients", HttpMethod.GET, base + "/clients", null),
        new Call("acks", HttpMethod.GET, base + "/versions/1/acks", null),
        new Call("write", HttpMethod.POST, base + "/revisions",
            "{\"changes\":[{\"key\":\"other\",\"op\":\"put\",\"value\":1}],\"message\":\"matrix\"}"),
        new Call("put", HttpMethod.PUT, base + "/entries/other", "2"),
        new Call("rollback", HttpMethod.POST, base + "/rollback", "{\"to_version\":1}"),
        new Call("tokens", HttpMethod.GET, "/v1/tokens", null),
        new Call("audit", HttpMethod.GET, "/v1/audit", null));
  }

  /**
   * Which calls each role may make inside its namespaces. Token and audit calls need an admin over
   * every namespace ("*"): these tokens cover only payments.*, so even their admin may not.
   */
  private static boolean allowed(String role, String call, boolean inside) {
    boolean adminCall = call.equals("tokens") || call.equals("audit");
    if (adminCall) {
      return false;
    }
    if (!inside) {
      return false;
    }
    return switch (call) {
      case "watch" -> true;
      case "write", "put", "rollback" -> role.equals("writer") || role.equals("admin");
      default -> !role.equals("client");
    };
  }

  @Test
  @DisplayName("every endpoint with every role, inside and outside the token's namespaces")
  void matrix(Vertx vertx) {
    List<String> wrong = new ArrayList<>();
    for (String role : Principal.ROLES) {
      Api api = new Api(vertx, hub.port(), TOKENS.get(role));
      try {
        for (boolean inside : new boolean[] {true, false}) {
          for (Call c : calls(inside ? "payments.prod" : "search.prod")) {
            HttpResponse<Buffer> r = api.send(c.method(), c.path(), c.body(), Map.of("Content-Type", "application/json"));
            boolean ok = r.statusCode() < 300 || r.statusCode() == 304;
            boolean expected = allowed(role, c.name(), inside);
            if (ok != expected || (!ok && r.statusCode() != 403)) {
              wrong.add(role + " " + c.name() + (inside ? " inside" : " outside") + " -> " + r.statusCode() + " "
                  + r.bodyAsString());
            }
          }
        }
        JsonArray listed = api.json("/v1/namespaces").getJsonArray("namespaces");
        assertEquals(List.of("payments.prod"), listed.stream().map(o -> ((JsonObject) o).getString("name")).toList(),
            role + " lists only its namespaces");
      } finally {
        api.close();
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    String author = admin.json("/v1/namespaces/payments.prod/revisions?limit=1").getJsonArray("revisions")
        .getJsonObject(0).getString("author");
    assertTrue(author.equals("writer-payments") || author.equals("admin-payments"), "revisions name their token: " + author);
  }

  @Test
  @DisplayName("over WebSocket a client token subscribes and acks inside its namespaces only, and watches no rollout")
  void webSocketScopes(Vertx vertx) {
    try (WsClient c = WsClient.connect(vertx, hub.port(), TOKENS.get("client"))) {
      c.hello("scoped-client");
      assertEquals("snapshot", c.subscribe("payments.prod", 0).getString("type"));
      c.send(new JsonObject().put("type", "subscribe").put("namespace", "search.prod"));
      c.error("forbidden");
      c.send(new JsonObject().put("type", "watch_rollout").put("namespace", "payments.prod"));
      c.error("forbidden");
      c.ack("payments.prod", c.versions.get("payments.prod"));
      c.send(new JsonObject().put("type", "ping"));
      c.next("pong");
    }
    try (WsClient r = WsClient.connect(vertx, hub.port(), TOKENS.get("reader"))) {
      r.send(new JsonObject().put("type", "watch_rollout").put("namespace", "payments.prod"));
      assertEquals("rollout", r.next().getString("type"));
    }
  }

  @Test
  @DisplayName("tokens are stored hashed, listed without secrets, audited, and revocation closes open WebSockets")
  void revocationAndAudit(Vertx vertx) {
    HttpResponse<Buffer> created = admin.post("/v1/tokens", new JsonObject().put("name", "short-lived").put("role", "client")
        .put("namespaces", new JsonArray().add("payments.*")));
    String token = created.bodyAsJsonObject().getString("token");
    String id = created.bodyAsJsonObject().getString("id");
    assertEquals(409, admin.post("/v1/tokens", new JsonObject().put("name", "short-lived").put("role", "client")
        .put("namespaces", new JsonArray().add("x"))).statusCode());
    assertEquals(400, admin.post("/v1/tokens", new JsonObject().put("name", "bad-role").put("role", "root")
        .put("namespaces", new JsonArray().add("x"))).statusCode());

    String listed = admin.get("/v1/tokens").bodyAsString();
    assertTrue(listed.contains("short-lived"));
    assertFalse(listed.contains(token.substring(token.lastIndexOf('_') + 1)), "the secret is never listed");
    Pool pool = PgBuilder.pool().connectingTo(hub.db.url()).using(vertx).build();
    String stored = pool.query("SELECT string_agg(encode(secret_hash, 'escape') || name || array_to_string(namespaces, ','), '') FROM tokens")
        .execute().await().iterator().next().getString(0);
    pool.close().await();
    assertFalse(stored.contains(token.substring(token.lastIndexOf('_') + 1)), "only a hash is stored");

    try (WsClient c = WsClient.connect(vertx, hub.port(), "/v1/ws?access_token=" + token, null, new WebSocketClientOptions())) {
      c.hello("soon-revoked");
      c.subscribe("payments.prod", 0);
      HttpResponse<Buffer> revoked = admin.send(HttpMethod.DELETE, "/v1/tokens/" + id, null, Map.of());
      assertEquals(200, revoked.statusCode(), revoked.bodyAsString());
      assertEquals((short) 1008, c.awaitClose(), "closed with a clear reason");
      assertEquals("token revoked", c.ws.closeReason());
    }
    Api revokedApi = new Api(vertx, hub.port(), token);
    try {
      assertEquals(401, revokedApi.get("/v1/namespaces").statusCode());
    } finally {
      revokedApi.close();
    }
    assertEquals(404, admin.send(HttpMethod.DELETE, "/v1/tokens/" + id, null, Map.of()).statusCode());

    JsonArray audit = admin.json("/v1/audit").getJsonArray("entries");
    List<String> actions = audit.stream().map(o -> ((JsonObject) o).getString("action") + " "
        + ((JsonObject) o).getJsonObject("detail").getString("name")).toList();
    assertTrue(actions.contains("token.created short-lived") && actions.contains("token.revoked short-lived"), actions.toString());
    assertTrue(audit.getJsonObject(0).getString("actor").equals("admin"));
  }
}
