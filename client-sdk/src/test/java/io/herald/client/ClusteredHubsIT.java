package io.herald.client;

import io.herald.db.TestDatabase;
import io.herald.hub.HubNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SDK against two clustered hub processes from the real jar: live push across nodes, and kill -9. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("The client SDK against a clustered pair of hub processes")
class ClusteredHubsIT {

  private static TestDatabase db;
  private static final List<HubNode> nodes = new ArrayList<>();
  private static final int[] http = new int[2];

  @BeforeAll
  static void startCluster() throws Exception {
    db = TestDatabase.create(ClusteredHubsIT.class);
    nodes.addAll(HubNode.startCluster(HubNode.jar("../hub/target/herald-hub.jar"), HubNode.TEST_JVM, "sdk-it",
        List.of("sdk-it-0", "sdk-it-1"), Map.of("HERALD_DB_URL", db.url(), "HERALD_ADMIN_TOKEN", Hubs.TOKEN)));
    for (int i = 0; i < 2; i++) {
      nodes.get(i).awaitMembers(2, Duration.ofSeconds(90));
      http[i] = nodes.get(i).port;
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (HubNode n : nodes) {
      n.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  @DisplayName("writes on one node reach a client on the other; after kill -9 the client resumes on the survivor")
  void pushAndFailover() throws Exception {
    String ns = "sdk.cluster";
    Hubs.write(http[0], ns, "k", 0);
    try (HeraldClient c = HeraldClient.builder().endpoints(Hubs.url(http[1]), Hubs.url(http[0])).token(Hubs.TOKEN)
        .clientId("sdk-cluster").backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build()) {
      ConfigView view = c.subscribe(ns);
      assertTrue(view.awaitInitial(Duration.ofSeconds(10)));
      long v2 = Hubs.write(http[0], ns, "k", 1);
      Hubs.await(10_000, () -> view.version() == v2, "write on node 0 pushed to the client on node 1");

      nodes.get(1).crash();
      long last = 0;
      for (int i = 2; i <= 10; i++) {
        last = Hubs.write(http[0], ns, "k", i);
      }
      long head = last;
      Hubs.await(20_000, () -> view.version() == head, "resumed on node 0 at the head");
      assertEquals(10, view.getInt("k", -1));
      Hubs.await(10_000, () -> Hubs.get(http[0], "/v1/namespaces/" + ns + "/versions/" + head + "/acks")
          .getJsonObject("clients").getJsonArray("applied").contains("sdk-cluster"), "acked on the survivor");
    }
  }
}
