package io.herald.hub;

import io.herald.db.TestDatabase;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
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

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three hub processes from the real jar whose event bus speaks mutual TLS with certificates made at
 * test time (scripts/cluster-certs.sh), and strangers that join their Hazelcast cluster: one with
 * no certificate, one with another CA's, one with a real certificate that publishes a forged
 * revision. All on loopback, on ports 5850-5855 (Hazelcast) and 18500-18515 (HTTP, event bus).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("A 3-node cluster whose event bus speaks mutual TLS")
class ClusterTlsIT {

  private static final HubNode.Ports PORTS = new HubNode.Ports(5850, 18500, 18510);
  /** Strangers: Hazelcast on 5853 + i, event bus on 18513 + i. */
  private static final int STRANGER_HAZELCAST = 5853;
  private static final int STRANGER_BUS = 18513;
  private static final String NS = "tls.forged";

  private static TestDatabase db;
  private static ClusterCerts certs;
  private static ClusterCerts otherCa;
  private static final List<HubNode> nodes = new ArrayList<>();
  private static Api apiA;
  /** A client of {@link #NS} on every node: strangers' frames must reach none of them. */
  private static final List<WsClient> targets = new ArrayList<>();

  @BeforeAll
  static void startCluster(Vertx vertx) throws Exception {
    certs = ClusterCerts.create(List.of("node-a", "node-b", "node-c", "member"));
    otherCa = ClusterCerts.create(List.of("stranger"));
    db = TestDatabase.create(ClusterTlsIT.class);
    Map<String, String> env = new HashMap<>();
    env.put("HERALD_DB_URL", db.url());
    env.put("HERALD_DB_POOL_SIZE", "4");
    env.put("HERALD_ADMIN_TOKEN", TestHub.TOKEN);
    env.put("HERALD_CATCH_UP_INTERVAL_MS", "1000");
    nodes.addAll(HubNode.startCluster(HubNode.jar("target/herald-hub.jar"), HubNode.TEST_JVM, "herald-tls-it",
        List.of("node-a", "node-b", "node-c"), env, PORTS, certs::env));
    for (HubNode n : nodes) {
      n.awaitMembers(3, Duration.ofSeconds(120));
    }
    apiA = new Api(vertx, nodes.get(0).port, TestHub.TOKEN);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    targets.forEach(WsClient::close);
    if (apiA != null) {
      apiA.close();
    }
    for (HubNode n : nodes) {
      n.close();
    }
    if (db != null) {
      db.close();
    }
    for (ClusterCerts c : new ClusterCerts[] {certs, otherCa}) {
      if (c != null) {
        c.delete();
      }
    }
  }

  private static HubNode node(int i) {
    return nodes.get(i);
  }

  /** herald_forged_frames_total of one hub. */
  private static double forged(HubNode n) {
    for (String line : n.get("/metrics").split("\n")) {
      if (line.startsWith("herald_forged_frames_total ")) {
        return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no herald_forged_frames_total in /metrics of " + n.nodeId);
  }

  /**
   * A {@link ClusterForger} process (the i-th stranger), joining the hubs' Hazelcast cluster with
   * {@code tls} as its event-bus certificates (empty: none), forging {@link #NS} at {@code version}.
   */
  private static HubNode stranger(int i, String name, Map<String, String> tls, long version) throws Exception {
    Map<String, String> env = new HashMap<>(tls);
    HubNode a = node(0);
    String members = a.env.get("HERALD_CLUSTER_MEMBERS") + ",127.0.0.1:" + (STRANGER_HAZELCAST + i);
    env.put("HERALD_NODE_ID", name);
    env.put("HERALD_CLUSTER", "true");
    env.put("HERALD_CLUSTER_NAME", a.env.get("HERALD_CLUSTER_NAME"));
    env.put("HERALD_CLUSTER_HOST", "127.0.0.1");
    env.put("HERALD_CLUSTER_PORT", Integer.toString(STRANGER_HAZELCAST + i));
    env.put("HERALD_CLUSTER_BUS_PORT", Integer.toString(STRANGER_BUS + i));
    env.put("HERALD_CLUSTER_MEMBERS", members);
    Path testClasses = Path.of(ClusterForger.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> java = new ArrayList<>(HubNode.TEST_JVM);
    // What the hub jar's manifest gives Hazelcast; a class path launch has to say it.
    for (String open : List.of("java.base/java.lang", "java.base/sun.nio.ch", "java.management/sun.management",
        "jdk.management/com.sun.management.internal")) {
      java.addAll(List.of("--add-opens", open + "=ALL-UNNAMED"));
    }
    java.addAll(List.of("--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED"));
    java.addAll(List.of("-cp", HubNode.jar("target/herald-hub.jar") + File.pathSeparator + testClasses,
        ClusterForger.class.getName(), NS, Long.toString(version), "20"));
    return HubNode.launch(0, java, env);
  }

  /** Runs strangers to their end; each must have seen the hubs' consumers before it published. */
  private static void runToEnd(HubNode... strangers) throws Exception {
    for (HubNode s : strangers) {
      try {
        assertEquals(0, s.awaitExit(Duration.ofSeconds(150)), s.logTail());
        String log = Files.readString(s.log);
        assertTrue(log.contains("forger sees ") && !log.contains("forger sees 0 "),
            "the stranger saw the hubs' consumers, so it knew where to send: " + s.logTail());
        assertTrue(log.contains("forger published " + NS), s.logTail());
      } finally {
        s.close();
      }
    }
  }

  @Test
  @Order(1)
  @DisplayName("writes on one node reach the clients of the other nodes in order, over TLS")
  void deliveryOverTls(Vertx vertx) throws Exception {
    for (HubNode n : nodes) {
      assertTrue(Files.readString(n.log).contains("(event bus: mutual TLS)"), n.logTail());
    }
    String ns = "tls.delivery";
    List<WsClient> clients = List.of(ClusterIT.client(vertx, node(1), "tls-on-b", ns),
        ClusterIT.client(vertx, node(2), "tls-on-c", ns));
    try {
      for (int i = 1; i <= 20; i++) {
        apiA.write(ns, "k" + (i % 3), i);
      }
      JsonObject head = apiA.json("/v1/namespaces/" + ns);
      for (WsClient cl : clients) {
        cl.applyUntil(ns, 20); // apply() insists every delta starts at the client's version
        assertEquals(head.getJsonObject("entries"), cl.state.get(ns));
      }
      for (HubNode n : nodes) {
        assertEquals(0.0, forged(n), "every frame matched its committed revision on " + n.nodeId);
      }
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @Order(2)
  @DisplayName("a hub's event-bus port closes every connection without a certificate of the cluster's CA")
  void eventBusPortNeedsTheClusterCa(Vertx vertx) throws Exception {
    int bus = PORTS.bus() + 1;
    PemTrustOptions clusterCa = new PemTrustOptions().addCertPath(certs.ca().toString());
    assertTrue(refused(vertx, new NetClientOptions(), bus, true), "plain TCP");
    assertTrue(refused(vertx, tls(clusterCa), bus, false), "TLS without a client certificate");
    assertTrue(refused(vertx, tls(clusterCa).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(otherCa.cert("stranger").toString()).setKeyPath(otherCa.key("stranger").toString())), bus, false),
        "TLS with another CA's certificate");
    assertFalse(refused(vertx, tls(clusterCa).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(certs.cert("member").toString()).setKeyPath(certs.key("member").toString())), bus, false),
        "a certificate of the cluster's CA is accepted");
  }

  private static NetClientOptions tls(PemTrustOptions trust) {
    return new NetClientOptions().setSsl(true).setTrustOptions(trust).setHostnameVerificationAlgorithm("");
  }

  /** True when the hub fails the handshake or closes the connection within 3 s of it. */
  private static boolean refused(Vertx vertx, NetClientOptions options, int port, boolean sendBytes) throws Exception {
    NetClient client = vertx.createNetClient(options.setConnectTimeout(5_000));
    try {
      NetSocket socket = client.connect(port, "127.0.0.1").await();
      Promise<Void> closed = Promise.promise();
      socket.closeHandler(v -> closed.tryComplete());
      if (sendBytes) {
        socket.write("not a TLS record");
      }
      try {
        closed.future().await(3, TimeUnit.SECONDS);
        return true;
      } catch (TimeoutException e) {
        socket.close();
        return false;
      }
    } catch (RuntimeException e) {
      return true; // the handshake failed
    } finally {
      client.close().await();
    }
  }

  @Test
  @Order(3)
  @DisplayName("strangers with no certificate or another CA's join Hazelcast but cannot put a frame on the event bus")
  void strangersWithoutTheClusterCa(Vertx vertx) throws Exception {
    apiA.write(NS, "k", "v1");
    for (HubNode n : nodes) {
      WsClient client = ClusterIT.client(vertx, n, "tls-target-on-" + n.nodeId, NS);
      targets.add(client);
      assertEquals(1L, client.versions.get(NS));
    }
    Map<String, String> otherCaTrustingOurs = new HashMap<>(otherCa.env("stranger"));
    otherCaTrustingOurs.put("HERALD_CLUSTER_TLS_CA", certs.ca().toString());
    HubNode plain = stranger(0, "stranger-plain", Map.of(), 2);
    HubNode foreign = stranger(1, "stranger-other-ca", otherCaTrustingOurs, 2);
    runToEnd(plain, foreign);
    for (HubNode n : nodes) {
      assertEquals(0.0, forged(n), "no frame of theirs reached " + n.nodeId + "'s consumers at all");
    }
    for (WsClient client : targets) {
      assertNull(client.poll(300), "the client got nothing");
    }
  }

  @Test
  @Order(4)
  @DisplayName("a forged frame from a member with a valid certificate never reaches a client; the real next version does")
  void forgedFrameFromAMember() throws Exception {
    runToEnd(stranger(2, "stranger-member", certs.env("member"), 2));
    for (HubNode n : nodes) {
      assertTrue(forged(n) >= 1, "the frames reached " + n.nodeId + " and were dropped there");
      assertTrue(Files.readString(n.log).contains("did not come from a hub"), n.logTail());
    }
    for (WsClient client : targets) {
      assertNull(client.poll(300), "the client got nothing");
    }
    assertEquals(2, apiA.write(NS, "k", "v2"));
    for (WsClient client : targets) {
      JsonObject delta = client.apply(client.next("delta"));
      assertEquals(2L, delta.getLong("version"));
      assertEquals(new JsonObject().put("k", "v2"), client.state.get(NS), "the real revision, not the forged one");
    }
  }
}
