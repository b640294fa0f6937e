package io.herald.hub;

import io.herald.db.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Single clustered hub processes that listen for cluster traffic on 0.0.0.0 (every interface). They
 * advertise 127.0.0.1 and their only member is themselves, so nothing is ever sent to this
 * machine's own network address. Hazelcast 5860-5862, HTTP 18520-18522, event bus 18530-18532.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("A clustered hub listening beyond loopback")
class ClusterExposureIT {

  private static final String SECRET_NAME = "herald-exposure-it-" + Long.toHexString(System.nanoTime());
  private static TestDatabase db;
  private static ClusterCerts certs;

  @BeforeAll
  static void setUp() throws Exception {
    db = TestDatabase.create(ClusterExposureIT.class);
    certs = ClusterCerts.create(List.of("exposed"));
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (db != null) {
      db.close();
    }
    if (certs != null) {
      certs.delete();
    }
  }

  /** The i-th hub: a cluster of itself, listening on 0.0.0.0, reachable (by itself) at 127.0.0.1. */
  private static HubNode start(int i, Map<String, String> more) throws Exception {
    int hazelcast = 5860 + i;
    Map<String, String> env = new HashMap<>(Map.of(
        "HERALD_DB_URL", db.url(),
        "HERALD_DB_POOL_SIZE", "2",
        "HERALD_ADMIN_TOKEN", TestHub.TOKEN,
        "HERALD_NODE_ID", "exposed-" + i,
        "HERALD_CLUSTER", "true",
        "HERALD_CLUSTER_NAME", SECRET_NAME,
        "HERALD_CLUSTER_HOST", "0.0.0.0",
        "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1",
        "HERALD_CLUSTER_PORT", Integer.toString(hazelcast),
        "HERALD_CLUSTER_MEMBERS", "127.0.0.1:" + hazelcast));
    env.put("HERALD_CLUSTER_BUS_PORT", Integer.toString(18530 + i));
    env.putAll(more);
    return HubNode.start(HubNode.jar("target/herald-hub.jar"), HubNode.TEST_JVM, 18520 + i, env);
  }

  @Test
  @DisplayName("without certificates it refuses to start, saying why, before Hazelcast starts")
  void refusesWithoutCertificates() throws Exception {
    try (HubNode hub = start(0, Map.of())) {
      assertNotEquals(0, hub.awaitExit(Duration.ofSeconds(60)));
      String log = Files.readString(hub.log);
      assertTrue(log.contains("Herald hub failed to start: HERALD_CLUSTER_HOST=0.0.0.0 is not a loopback address"), log);
      assertTrue(log.contains("HERALD_CLUSTER_TLS_CERT") && log.contains("HERALD_CLUSTER_INSECURE=true"), log);
      assertFalse(log.contains("com.hazelcast"), "Hazelcast never started: " + log);
    }
  }

  @Test
  @DisplayName("with HERALD_CLUSTER_INSECURE=true it starts, with a warning at every start")
  void insecureStartsWithAWarning() throws Exception {
    for (int start = 1; start <= 2; start++) {
      try (HubNode hub = start(1, Map.of("HERALD_CLUSTER_INSECURE", "true"))) {
        hub.awaitMembers(1, Duration.ofSeconds(90));
        String log = Files.readString(hub.log);
        assertTrue(log.contains("WARNING io.herald.hub.ClusterSetup: INSECURE CLUSTER (HERALD_CLUSTER_INSECURE=true):"
            + " HERALD_CLUSTER_HOST=0.0.0.0 is not a loopback address"), "start " + start + ": " + log);
        assertTrue(log.contains("(event bus: plain TCP)"), log);
        assertFalse(log.contains(SECRET_NAME), "the cluster name, a secret, stays out of the log: " + log);
      }
    }
  }

  @Test
  @DisplayName("with certificates and a secret-length cluster name it starts without a warning")
  void startsWithCertificates() throws Exception {
    try (HubNode hub = start(2, certs.env("exposed"))) {
      hub.awaitMembers(1, Duration.ofSeconds(90));
      String log = Files.readString(hub.log);
      assertFalse(log.contains("INSECURE"), log);
      assertTrue(log.contains("(event bus: mutual TLS)"), log);
      assertFalse(log.contains(SECRET_NAME), "the cluster name, a secret, stays out of the log: " + log);
    }
  }
}
