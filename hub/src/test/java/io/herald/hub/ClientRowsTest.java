package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client-state rows belong to the token that wrote them, are capped per token, pruned, and paged. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@DisplayName("Client rows: owned by their token, capped, pruned, paged")
class ClientRowsTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(ClientRowsTest.class, Map.of("HERALD_MAX_CLIENT_ROWS_PER_TOKEN", "3",
        "HERALD_CLIENT_RETENTION_S", "2"));
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static String token(String name) {
    return api.post("/v1/tokens", new JsonObject().put("name", name).put("role", "client")
        .put("namespaces", new JsonArray().add("rows.*"))).bodyAsJsonObject().getString("token");
  }

  private static JsonObject client(String ns, String id) {
    return api.json("/v1/namespaces/" + ns + "/clients?limit=1000").getJsonArray("clients").stream()
        .map(o -> (JsonObject) o).filter(c -> id.equals(c.getString("client_id"))).findFirst().orElse(null);
  }

  /** The next error frame; the snapshot a subscription got before its row was refused is skipped. */
  private static JsonObject nextError(WsClient ws) {
    JsonObject f;
    do {
      f = ws.next();
    } while (!"error".equals(f.getString("type")));
    return f;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  @DisplayName("another token reusing a client_id is told so and cannot overwrite the owner's row")
  void rowsBelongToTheirToken(Vertx vertx) throws Exception {
    String ns = "rows.owned";
    long v = api.write(ns, "k", 1);
    try (WsClient owner = WsClient.connect(vertx, hub.port(), token("owner-svc"));
         WsClient intruder = WsClient.connect(vertx, hub.port(), token("intruder-svc"))) {
      owner.hello("svc-1", new JsonObject().put("app", "payments"));
      owner.subscribe(ns, 0);
      owner.ack(ns, v);
      await("the owner's ack is durable", () -> {
        JsonObject c = client(ns, "svc-1");
        return c != null && c.getLong("applied_version") == v;
      });
      intruder.hello("svc-1", new JsonObject().put("app", "forged"));
      intruder.send(new JsonObject().put("type", "subscribe").put("namespace", ns));
      JsonObject f = nextError(intruder);
      assertEquals("client_id_taken", f.getString("code"), f.encode());
      intruder.send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", v).put("status", "rejected")
          .put("error", "forged"));
      assertEquals("not_subscribed", intruder.next("error").getString("code"));
      JsonObject row = client(ns, "svc-1");
      assertEquals("payments", row.getJsonObject("labels").getString("app"), row.encode());
      assertEquals("applied", row.getString("status"), row.encode());
      assertTrue(row.getBoolean("connected"));
      // The owner itself goes on as before.
      long v2 = api.write(ns, "k", 2);
      assertEquals(v2, owner.apply(owner.next("delta")).getLong("version"));
    }
  }

  @Test
  @DisplayName("a token holds at most its cap of client rows; the bootstrap admin has none")
  void capPerToken(Vertx vertx) throws Exception {
    for (int i = 1; i <= 4; i++) {
      api.write("rows.cap" + i, "k", i);
    }
    try (WsClient c = WsClient.connect(vertx, hub.port(), token("capped-svc"))) {
      c.hello("many");
      for (int i = 1; i <= 3; i++) {
        c.subscribe("rows.cap" + i, 0);
        String ns = "rows.cap" + i;
        await("row " + ns + " is written", () -> client(ns, "many") != null);
      }
      c.send(new JsonObject().put("type", "subscribe").put("namespace", "rows.cap4"));
      JsonObject f = nextError(c);
      assertEquals("too_many_clients", f.getString("code"), f.encode());
      assertNull(client("rows.cap4", "many"));
    }
    List<WsClient> admins = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        WsClient a = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
        admins.add(a);
        a.hello("admin-client-" + i);
        a.subscribe("rows.cap1", 0);
      }
      await("five admin rows", () -> api.json("/v1/namespaces/rows.cap1/clients").getJsonArray("clients").stream()
          .filter(o -> ((JsonObject) o).getString("client_id").startsWith("admin-client-")).count() == 5);
    } finally {
      admins.forEach(WsClient::close);
    }
  }

  @Test
  @DisplayName("/clients pages through every client exactly once with a cursor")
  void paging(Vertx vertx) throws Exception {
    String ns = "rows.paged";
    api.write(ns, "k", 1);
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 7; i++) {
        WsClient c = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
        clients.add(c);
        c.hello("paged-" + i);
        c.subscribe(ns, 0);
      }
      await("seven rows", () -> api.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").size() == 7);
      List<String> seen = new ArrayList<>();
      String after = "";
      int pages = 0;
      do {
        JsonObject page = api.json("/v1/namespaces/" + ns + "/clients?limit=3&after=" + after);
        page.getJsonArray("clients").forEach(o -> seen.add(((JsonObject) o).getString("client_id")));
        after = page.getString("next_after");
        pages++;
      } while (after != null && pages < 10);
      assertEquals(List.of("paged-0", "paged-1", "paged-2", "paged-3", "paged-4", "paged-5", "paged-6"), seen);
      assertEquals(400, api.get("/v1/namespaces/" + ns + "/clients?limit=0").statusCode());
      assertEquals(400, api.get("/v1/namespaces/" + ns + "/clients?limit=1001").statusCode());
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @DisplayName("disconnected rows are forgotten after the retention time; connected ones never")
  void pruning(Vertx vertx) throws Exception {
    String ns = "rows.pruned";
    api.write(ns, "k", 1);
    try (WsClient stays = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      stays.hello("stays");
      stays.subscribe(ns, 0);
      WsClient leaves = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
      leaves.hello("leaves");
      leaves.subscribe(ns, 0);
      await("both rows", () -> client(ns, "leaves") != null && client(ns, "stays") != null);
      leaves.close();
      await("the disconnected row is pruned", () -> client(ns, "leaves") == null);
      assertTrue(client(ns, "stays").getBoolean("connected"));
    }
  }
}
