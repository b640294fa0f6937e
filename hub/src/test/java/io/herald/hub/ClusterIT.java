package io.herald.hub;

import io.herald.db.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three hub processes from the real jar, clustered over Hazelcast on loopback, sharing one fresh
 * database. The tests run in order on the same cluster: normal delivery, a node killed with -9,
 * a node frozen with SIGSTOP past the heartbeat timeout.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("A 3-node cluster of real hub processes")
class ClusterIT {

  private static final int HEARTBEAT_TIMEOUT_S = 6;
  private static TestDatabase db;
  private static final List<HubNode> nodes = new ArrayList<>();
  private static HubNode a;
  private static HubNode b;
  private static HubNode c;
  private static Api apiA;
  private static Api apiC;

  @BeforeAll
  static void startCluster(Vertx vertx) throws Exception {
    db = TestDatabase.create(ClusterIT.class);
    Map<String, String> env = new HashMap<>();
    env.put("HERALD_DB_URL", db.url());
    env.put("HERALD_DB_POOL_SIZE", "4");
    env.put("HERALD_ADMIN_TOKEN", TestHub.TOKEN);
    env.put("HERALD_CLUSTER_HEARTBEAT_TIMEOUT_S", Integer.toString(HEARTBEAT_TIMEOUT_S));
    env.put("HERALD_CATCH_UP_INTERVAL_MS", "1000");
    env.put("HERALD_PRESENCE_INTERVAL_MS", "2000");
    nodes.addAll(HubNode.startCluster(HubNode.jar("target/herald-hub.jar"), HubNode.TEST_JVM, "herald-it",
        List.of("node-a", "node-b", "node-c"), env));
    a = nodes.get(0);
    b = nodes.get(1);
    c = nodes.get(2);
    for (HubNode n : nodes) {
      n.awaitMembers(3, Duration.ofSeconds(90));
    }
    apiA = new Api(vertx, a.port, TestHub.TOKEN);
    apiC = new Api(vertx, c.port, TestHub.TOKEN);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (apiA != null) {
      apiA.close();
      apiC.close();
    }
    for (HubNode n : nodes) {
      n.close();
    }
    if (db != null) {
      db.close();
    }
  }

  static void awaitTrue(long seconds, BooleanSupplier condition, java.util.function.Supplier<String> why) {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(why.get());
      }
      try {
        Thread.sleep(100); // polling a condition with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** A client of {@code node} with {@code id}, subscribed to {@code ns} from scratch. */
  static WsClient client(Vertx vertx, HubNode node, String id, String ns) {
    WsClient client = WsClient.connect(vertx, node.port, TestHub.TOKEN);
    client.hello(id);
    client.subscribe(ns, 0);
    return client;
  }

  /** What the SDK will do: reconnect to another node and resume from the version it has. */
  private static WsClient failover(Vertx vertx, WsClient old, HubNode to, String id, String ns) {
    WsClient fresh = WsClient.connect(vertx, to.port, TestHub.TOKEN);
    fresh.hello(id);
    fresh.versions.putAll(old.versions);
    old.state.forEach((k, v) -> fresh.state.put(k, v.copy()));
    fresh.send(new JsonObject().put("type", "subscribe").put("namespace", ns).put("since", old.versions.get(ns)));
    fresh.apply(fresh.next());
    return fresh;
  }

  @Test
  @Order(0)
  @DisplayName("a token revoked on one node closes its WebSocket on another within seconds")
  void revocationAcrossNodes(Vertx vertx) {
    io.vertx.core.buffer.Buffer created = apiA.post("/v1/tokens", new JsonObject().put("name", "cluster-client")
        .put("role", "client").put("namespaces", new io.vertx.core.json.JsonArray().add("cluster.*"))).body();
    JsonObject token = created.toJsonObject();
    WsClient onC = WsClient.connect(vertx, c.port, token.getString("token"));
    onC.hello("revoked-on-a");
    onC.subscribe("cluster.revoke", 0);
    assertEquals(200, apiA.send(io.vertx.core.http.HttpMethod.DELETE, "/v1/tokens/" + token.getString("id"), null,
        Map.of()).statusCode());
    assertEquals((short) 1008, onC.awaitClose());
    assertEquals("token revoked", onC.ws.closeReason());
    onC.close();
  }

  @Test
  @Order(1)
  @DisplayName("writes on one node reach the clients of every node in order; acks show on any node")
  void deliveryAcrossNodes(Vertx vertx) {
    String ns = "cluster.delivery";
    List<WsClient> clients = List.of(client(vertx, a, "on-a", ns), client(vertx, b, "on-b", ns), client(vertx, c, "on-c", ns));
    try {
      for (int i = 1; i <= 30; i++) {
        apiA.write(ns, "k" + (i % 7), i);
      }
      JsonObject head = apiC.json("/v1/namespaces/" + ns);
      for (WsClient cl : clients) {
        cl.applyUntil(ns, 30);
        assertEquals(head.getJsonObject("entries"), cl.state.get(ns));
        cl.ack(ns, 30);
      }
      JsonObject rollout = apiC.json("/v1/namespaces/" + ns + "/versions/30/acks?wait=20s");
      assertTrue(rollout.getBoolean("complete"), rollout.encode());
      assertEquals(3, rollout.getInteger("applied"));
      JsonObject clientsOnB = apiA.json("/v1/namespaces/" + ns + "/clients");
      assertEquals(List.of("node-a", "node-b", "node-c"), clientsOnB.getJsonArray("clients").stream()
          .map(o -> ((JsonObject) o).getString("node")).sorted().toList());
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @Order(2)
  @DisplayName("kill -9 of a node while writes continue: its clients fail over and lose or repeat nothing")
  void killNode(Vertx vertx) throws Exception {
    String ns = "cluster.kill";
    WsClient onA = client(vertx, a, "kill-on-a", ns);
    WsClient onB = client(vertx, b, "kill-on-b", ns);
    WsClient staysOnB = client(vertx, b, "kill-stays-on-b", ns);
    int writes = 60;
    AtomicReference<Throwable> writerFailed = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 1; i <= writes; i++) {
          apiA.write(ns, "k" + (i % 5), i);
          Thread.sleep(20); // pacing the writer so the kill lands mid-stream
        }
      } catch (Throwable t) {
        writerFailed.set(t);
      }
    });
    writer.start();
    onB.applyUntil(ns, 15);
    b.signal("KILL");
    assertTrue(onB.awaitClose() != 1000, "the killed node's connection dropped");
    WsClient movedToC = failover(vertx, onB, c, "kill-on-b", ns);
    writer.join(60_000);
    if (writerFailed.get() != null) {
      throw new AssertionError("writer failed", writerFailed.get());
    }
    JsonObject head = apiA.json("/v1/namespaces/" + ns);
    assertEquals(writes, head.getLong("version"));
    for (WsClient cl : List.of(onA, movedToC)) {
      cl.applyUntil(ns, writes); // apply() insists every delta starts at the client's version
      assertEquals(head.getJsonObject("entries"), cl.state.get(ns));
      assertEquals(null, cl.poll(300), "nothing after the head: no duplicate deliveries");
    }
    awaitTrue(30, () -> apiA.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream()
            .map(o -> (JsonObject) o).filter(o -> o.getString("client_id").equals("kill-stays-on-b"))
            .allMatch(o -> !o.getBoolean("connected")),
        () -> "the dead node's client is still shown connected: " + apiA.json("/v1/namespaces/" + ns + "/clients").encode());
    JsonObject moved = apiA.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream()
        .map(o -> (JsonObject) o).filter(o -> o.getString("client_id").equals("kill-on-b")).findFirst().orElseThrow();
    assertTrue(moved.getBoolean("connected"));
    assertEquals("node-c", moved.getString("node"));
    onA.close();
    movedToC.close();
    staysOnB.close();
  }

  @Test
  @Order(3)
  @DisplayName("a node frozen past the heartbeat timeout still brings its clients every version")
  void frozenNode(Vertx vertx) throws Exception {
    String ns = "cluster.frozen";
    WsClient onC = client(vertx, c, "frozen-on-c", ns);
    apiA.write(ns, "k", 0);
    onC.applyUntil(ns, 1);
    c.signal("STOP");
    try {
      for (int i = 1; i <= 10; i++) {
        apiA.write(ns, "k", i);
      }
      awaitTrue(HEARTBEAT_TIMEOUT_S + 30, () -> {
        String r = a.ready();
        return r != null && r.contains("\"cluster_members\":1");
      }, () -> "node-a never noticed node-c was gone: " + a.ready());
      for (int i = 11; i <= 15; i++) {
        apiA.write(ns, "k", i);
      }
    } finally {
      c.signal("CONT");
    }
    onC.applyUntil(ns, 16);
    assertEquals(apiA.json("/v1/namespaces/" + ns).getJsonObject("entries"), onC.state.get(ns));
    long v = apiA.write(ns, "after", true);
    onC.applyUntil(ns, v);
    assertFalse(onC.closed.isDone(), "the client stayed connected through the freeze");
    onC.close();
  }

  @Test
  @Order(4)
  @DisplayName("SIGTERM: the node closes its WebSockets with 1001 and its clients show as disconnected")
  void gracefulShutdown(Vertx vertx) throws Exception {
    String ns = "cluster.sigterm";
    WsClient onA = client(vertx, a, "sigterm-on-a", ns);
    onA.ack(ns, onA.versions.get(ns));
    awaitTrue(20, () -> apiC.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").size() == 1,
        () -> "the client's row never appeared");
    a.signal("TERM");
    assertEquals((short) 1001, onA.awaitClose());
    awaitTrue(30, () -> apiC.json("/v1/namespaces/" + ns + "/clients").getJsonArray("clients").stream()
            .map(o -> (JsonObject) o).noneMatch(o -> o.getBoolean("connected")),
        () -> "still connected after SIGTERM: " + apiC.json("/v1/namespaces/" + ns + "/clients").encode());
    onA.close();
  }
}
