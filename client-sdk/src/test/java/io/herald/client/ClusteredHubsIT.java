package io.herald.client;

import io.herald.db.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SDK against two clustered hub processes from the real jar: live push across nodes, and kill -9. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("The client SDK against a clustered pair of hub processes")
class ClusteredHubsIT {

  private static TestDatabase db;
  private static final List<Process> processes = new ArrayList<>();
  private static final int[] http = new int[2];

  @BeforeAll
  static void startCluster() throws Exception {
    db = TestDatabase.create(ClusteredHubsIT.class);
    Path jar = Path.of(System.getProperty("herald.hub.jar", "../hub/target/herald-hub.jar"));
    assertTrue(Files.exists(jar), jar + " must be built first");
    int[] hz = {Hubs.freePort(), Hubs.freePort()};
    for (int i = 0; i < 2; i++) {
      http[i] = Hubs.freePort();
      ProcessBuilder pb = new ProcessBuilder("java", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString())
          .redirectErrorStream(true).redirectOutput(Files.createTempFile("herald-sdk-it-", ".log").toFile());
      pb.environment().put("HERALD_HTTP_PORT", Integer.toString(http[i]));
      pb.environment().put("HERALD_HTTP_HOST", "127.0.0.1");
      pb.environment().put("HERALD_DB_URL", db.url());
      pb.environment().put("HERALD_ADMIN_TOKEN", Hubs.TOKEN);
      pb.environment().put("HERALD_NODE_ID", "sdk-it-" + i);
      pb.environment().put("HERALD_CLUSTER", "true");
      pb.environment().put("HERALD_CLUSTER_NAME", "sdk-it-" + hz[0]);
      pb.environment().put("HERALD_CLUSTER_PORT", Integer.toString(hz[i]));
      pb.environment().put("HERALD_CLUSTER_MEMBERS", "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1]);
      processes.add(pb.start());
    }
    for (int port : http) {
      Hubs.await(90_000, () -> {
        try {
          return Hubs.get(port, "/ready").getInteger("cluster_members") == 2;
        } catch (RuntimeException | AssertionError notYet) {
          return false;
        }
      }, "hub on " + port + " joined a cluster of two");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
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

      processes.get(1).destroyForcibly().waitFor();
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
