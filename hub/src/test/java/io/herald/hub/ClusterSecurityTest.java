package io.herald.hub;

import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a clustered hub refuses before it binds or joins anything, and how its event bus is set up. No processes. */
@DisplayName("Cluster security settings")
class ClusterSecurityTest {

  private static final String SECRET_NAME = "c0ffee-7d1e-4a1b-9d0f-3e8b";

  @TempDir
  static Path certs;

  private static Map<String, String> clustered(String host, String... more) {
    Map<String, String> env = new HashMap<>(Map.of("HERALD_CLUSTER", "true", "HERALD_CLUSTER_HOST", host,
        "HERALD_CLUSTER_MEMBERS", "127.0.0.1:5850", "HERALD_NODE_ID", "n"));
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  private static Map<String, String> withTls(Map<String, String> env) throws IOException {
    for (String f : new String[] {"node.pem", "node.key", "ca.pem"}) {
      Path p = certs.resolve(f);
      if (!Files.exists(p)) {
        Files.writeString(p, "not read by this test");
      }
    }
    env.put("HERALD_CLUSTER_TLS_CERT", certs.resolve("node.pem").toString());
    env.put("HERALD_CLUSTER_TLS_KEY", certs.resolve("node.key").toString());
    env.put("HERALD_CLUSTER_TLS_CA", certs.resolve("ca.pem").toString());
    return env;
  }

  private static String refusal(Map<String, String> env) {
    return assertThrows(IllegalArgumentException.class, () -> ClusterSetup.checkSecurity(HubOptions.fromEnv(env)))
        .getMessage();
  }

  @Test
  @DisplayName("on loopback a cluster runs without certificates and with the default name, as before")
  void loopbackNeedsNothing() {
    ClusterSetup.checkSecurity(HubOptions.fromEnv(clustered("127.0.0.1")));
    ClusterSetup.checkSecurity(HubOptions.fromEnv(clustered("localhost")));
    ClusterSetup.checkSecurity(HubOptions.fromEnv(Map.of("HERALD_CLUSTER_HOST", "0.0.0.0"))); // not clustered
  }

  @Test
  @DisplayName("off loopback without certificates: refused, naming what is missing and how to override it knowingly")
  void exposedWithoutTlsIsRefused() {
    String why = refusal(clustered("0.0.0.0", "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1",
        "HERALD_CLUSTER_NAME", SECRET_NAME));
    assertTrue(why.contains("HERALD_CLUSTER_HOST=0.0.0.0 is not a loopback address"), why);
    assertTrue(why.contains("HERALD_CLUSTER_TLS_CERT"), why);
    assertTrue(why.contains("HERALD_CLUSTER_INSECURE=true"), why);
    assertFalse(why.contains("HERALD_CLUSTER_NAME"), "the name is long enough: " + why);
  }

  @Test
  @DisplayName("off loopback with certificates but a guessable cluster name: refused")
  void shortNameIsRefused() throws IOException {
    String why = refusal(withTls(clustered("0.0.0.0", "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1")));
    assertTrue(why.contains("HERALD_CLUSTER_NAME"), why);
    assertFalse(why.contains("neither encrypted"), why);
    ClusterSetup.checkSecurity(HubOptions.fromEnv(withTls(clustered("0.0.0.0", "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1",
        "HERALD_CLUSTER_NAME", SECRET_NAME))));
  }

  @Test
  @DisplayName("HERALD_CLUSTER_INSECURE=true starts anyway, with a warning at every start")
  void insecureWarns() {
    Logger log = Logger.getLogger(ClusterSetup.class.getName());
    StringBuilder warnings = new StringBuilder();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        warnings.append(r.getLevel()).append(' ').append(r.getMessage()).append('\n');
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    log.addHandler(capture);
    try {
      HubOptions o = HubOptions.fromEnv(clustered("0.0.0.0", "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1",
          "HERALD_CLUSTER_INSECURE", "true"));
      ClusterSetup.checkSecurity(o);
      ClusterSetup.checkSecurity(o);
    } finally {
      log.removeHandler(capture);
    }
    assertEquals(2, warnings.toString().split("WARNING INSECURE CLUSTER", -1).length - 1, warnings.toString());
    assertTrue(warnings.toString().contains("HERALD_CLUSTER_NAME"), warnings.toString());
  }

  @Test
  @DisplayName("certificates go in threes and must be readable; listening on every interface needs a public host")
  void misconfigurations() throws IOException {
    Map<String, String> two = withTls(clustered("127.0.0.1"));
    two.remove("HERALD_CLUSTER_TLS_CA");
    assertTrue(refusal(two).contains("go together"));
    Map<String, String> missing = withTls(clustered("127.0.0.1"));
    missing.put("HERALD_CLUSTER_TLS_KEY", certs.resolve("absent.key").toString());
    assertTrue(refusal(missing).contains("absent.key cannot be read"));
    assertTrue(refusal(withTls(clustered("0.0.0.0", "HERALD_CLUSTER_NAME", SECRET_NAME)))
        .contains("set HERALD_CLUSTER_PUBLIC_HOST"));
  }

  @Test
  @DisplayName("with certificates the event bus requires a client certificate and checks the server's: no trust-all")
  void eventBusTls() throws IOException {
    VertxOptions vertxOptions = new VertxOptions();
    HubOptions o = HubOptions.fromEnv(withTls(clustered("127.0.0.1", "HERALD_CLUSTER_BUS_PORT", "18590")));
    ClusterSetup.eventBus(vertxOptions, o);
    EventBusOptions bus = vertxOptions.getEventBusOptions();
    assertTrue(bus.isSsl());
    assertEquals(ClientAuth.REQUIRED, bus.getClientAuth());
    assertFalse(bus.isTrustAll(), "Vert.x's event bus trusts every server unless told otherwise");
    assertEquals(18590, bus.getPort());
    assertEquals("127.0.0.1", bus.getClusterPublicHost());

    VertxOptions plain = new VertxOptions();
    ClusterSetup.eventBus(plain, HubOptions.fromEnv(clustered("0.0.0.0", "HERALD_CLUSTER_PUBLIC_HOST", "127.0.0.1")));
    assertFalse(plain.getEventBusOptions().isSsl());
    assertEquals("0.0.0.0", plain.getEventBusOptions().getHost());
    assertEquals("127.0.0.1", plain.getEventBusOptions().getClusterPublicHost());
  }
}
