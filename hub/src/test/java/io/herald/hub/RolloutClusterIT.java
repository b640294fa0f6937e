package io.herald.hub;

import io.herald.db.TestDatabase;
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

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Progressive rollouts across two clustered hub processes from the real jar, sharing one database:
 * the clients of one plan sit on different nodes, both nodes' engines watch the same gates, and
 * exactly one transition happens per gate.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("Progressive rollouts on a 2-node cluster of real hub processes")
class RolloutClusterIT {

  private static TestDatabase db;
  private static final List<HubNode> nodes = new ArrayList<>();
  private static Api apiA;
  private static Api apiB;

  @BeforeAll
  static void startCluster(Vertx vertx) throws Exception {
    db = TestDatabase.create(RolloutClusterIT.class);
    Map<String, String> env = new HashMap<>();
    env.put("HERALD_DB_URL", db.url());
    env.put("HERALD_DB_POOL_SIZE", "4");
    env.put("HERALD_ADMIN_TOKEN", TestHub.TOKEN);
    env.put("HERALD_CATCH_UP_INTERVAL_MS", "1000");
    int base = 20_000 + ThreadLocalRandom.current().nextInt(400) * 10;
    nodes.addAll(HubNode.startCluster(HubNode.jar("target/herald-hub.jar"), HubNode.TEST_JVM, "herald-rollout-it",
        List.of("node-a", "node-b"), env, new HubNode.Ports(base, base + 3, base + 6), id -> Map.of()));
    for (HubNode n : nodes) {
      n.awaitMembers(2, Duration.ofSeconds(120));
    }
    apiA = new Api(vertx, nodes.get(0).port, TestHub.TOKEN);
    apiB = new Api(vertx, nodes.get(1).port, TestHub.TOKEN);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (apiA != null) {
      apiA.close();
      apiB.close();
    }
    for (HubNode n : nodes) {
      n.close();
    }
    if (db != null) {
      db.close();
    }
  }

  private static List<String> kinds(JsonObject rollout) {
    List<String> kinds = new ArrayList<>();
    rollout.getJsonArray("transitions").forEach(t -> kinds.add(((JsonObject) t).getString("kind")));
    return kinds;
  }

  @Test
  @DisplayName("canaries on node A gate clients on node B; the write and the ack land on different nodes; one transition per gate")
  void acrossNodes(Vertx vertx) throws Exception {
    String ns = "cl.rollout";
    int a = nodes.get(0).port;
    int b = nodes.get(1).port;
    long stable = apiB.write(ns, "k", 1);
    try (WsClient canary = RolloutTest.client(vertx, a, "c-1", "canary", ns, 0);
         WsClient mainA = RolloutTest.client(vertx, a, "m-a", "main", ns, 0);
         WsClient mainB = RolloutTest.client(vertx, b, "m-b", "main", ns, 0)) {
      long v = RolloutTest.staged(apiB, ns, RolloutTest.canaryThenAll(), "k", 2);
      assertEquals(v, canary.apply(canary.next("delta")).getLong("version"));
      RolloutTest.quiet(mainA);
      RolloutTest.quiet(mainB);
      assertEquals(stable, apiB.json("/v1/namespaces/" + ns + "?client_id=pull-b").getLong("version"));
      canary.ack(ns, v);
      assertEquals(v, mainB.apply(mainB.next("delta")).getLong("version"));
      assertEquals(v, mainA.apply(mainA.next("delta")).getLong("version"));
      mainA.ack(ns, v);
      mainB.ack(ns, v);
      // The pull client (no labels: last step) is live until it acks too.
      assertEquals(v, apiA.json("/v1/namespaces/" + ns + "?client_id=pull-b").getLong("version"));
      assertEquals(200, apiA.post("/v1/namespaces/" + ns + "/versions/" + v + "/acks", new JsonObject()
          .put("client_id", "pull-b").put("status", "applied")).statusCode());
      RolloutTest.awaitState(apiA, ns, v, "completed");
      // Both nodes' engines saw every gate; the transitions table let exactly one of them act on each.
      assertEquals(List.of("started", "advanced", "completed"), kinds(RolloutTest.rollout(apiB, ns, v)));
    }
  }

  @Test
  @DisplayName("a rejection on node A halts and rolls back clients on both nodes; the held client on B never sees the version")
  void rejectionAcrossNodes(Vertx vertx) throws Exception {
    String ns = "cl.reject";
    int a = nodes.get(0).port;
    int b = nodes.get(1).port;
    long stable = apiA.write(ns, "mode", "safe");
    try (WsClient canaryA = RolloutTest.client(vertx, a, "c-a", "canary", ns, 0);
         WsClient canaryB = RolloutTest.client(vertx, b, "c-b", "canary", ns, 0);
         WsClient mainB = RolloutTest.client(vertx, b, "m-b", "main", ns, 0)) {
      long v = RolloutTest.staged(apiA, ns, RolloutTest.canaryThenAll().put("on_reject", "rollback"), "mode", "bad");
      canaryA.apply(canaryA.next("delta"));
      canaryB.apply(canaryB.next("delta"));
      canaryB.ack(ns, v);
      canaryA.reject(ns, v, "bad mode");
      assertEquals(v + 1, canaryB.apply(canaryB.next("delta")).getLong("version"));
      assertEquals("safe", canaryB.state.get(ns).getString("mode"));
      assertEquals(v + 1, canaryA.apply(canaryA.next("delta")).getLong("version"));
      JsonObject back = mainB.apply(mainB.next("delta"));
      assertEquals(stable, back.getLong("base"));
      assertEquals(new JsonArray(), back.getJsonArray("changes"));
      RolloutTest.awaitState(apiB, ns, v, "rolled_back");
      assertEquals(List.of("started", "halted", "rolled_back"), kinds(RolloutTest.rollout(apiA, ns, v)));
    }
  }
}
