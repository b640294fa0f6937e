package io.herald.load;

import io.herald.hub.ClusterCerts;
import io.herald.hub.HubNode;

import java.net.URI;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A hub for a benchmark: a {@link HubNode} process from the hub jar, on a database of its own that
 * {@link #close()} drops. JVM options for the hub come from {@code HERALD_BENCH_HUB_JVM_OPTS}
 * (e.g. {@code -XX:StartFlightRecording=...} to profile it).
 */
final class HubProcess implements AutoCloseable {

  private static final Duration READY = Duration.ofSeconds(60);

  final String url;
  final String token;
  final int port;
  final String database;
  private final String dbServer;
  private final HubNode node;
  private boolean dropDatabaseOnClose = true;

  private HubProcess(HubNode node, String token, String dbServer, String database) {
    this.node = node;
    this.port = node.port;
    this.url = node.url();
    this.token = token;
    this.dbServer = dbServer;
    this.database = database;
  }

  static HubProcess start(Path jar, String dbServer, Map<String, String> extraEnv) throws Exception {
    HubProcess hub = spawn(jar, dbServer, newDatabase(), "bench-" + UUID.randomUUID(), HubNode.freePort(), extraEnv);
    hub.node.awaitReady(READY);
    return hub;
  }

  /**
   * {@code size} clustered hubs on loopback sharing one fresh database, started in parallel (a
   * cluster of three takes 10-20 s to form on two cores). The first one drops the database on close.
   */
  static List<HubProcess> startCluster(Path jar, String dbServer, int size) throws Exception {
    return startCluster(jar, dbServer, size, null);
  }

  /** As {@link #startCluster(Path, String, int)}, the event bus over mutual TLS with {@code certs} (null: plain). */
  static List<HubProcess> startCluster(Path jar, String dbServer, int size, ClusterCerts certs) throws Exception {
    String database = newDatabase();
    String token = "bench-" + UUID.randomUUID();
    List<String> nodeIds = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      nodeIds.add("bench-node-" + i);
    }
    List<HubProcess> out = new ArrayList<>();
    for (HubNode node : HubNode.startCluster(jar, jvmOptions(), "herald-bench", nodeIds, env(dbServer, database, token),
        null, certs == null ? id -> Map.of() : certs::env)) {
      out.add(new HubProcess(node, token, dbServer, database));
    }
    for (HubProcess h : out) {
      h.node.awaitReady(READY);
    }
    for (HubProcess h : out) {
      h.node.awaitMembers(size, Duration.ofSeconds(90));
    }
    for (int i = 1; i < out.size(); i++) {
      out.get(i).dropDatabaseOnClose = false;
    }
    return out;
  }

  private static String newDatabase() {
    return "herald_bench_" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static List<String> jvmOptions() {
    List<String> options = new ArrayList<>(List.of("-Xmx2g"));
    String extra = System.getenv("HERALD_BENCH_HUB_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      options.addAll(List.of(extra.trim().split("\\s+")));
    }
    return options;
  }

  private static Map<String, String> env(String dbServer, String database, String token) {
    String base = dbServer.substring(0, dbServer.lastIndexOf('/') + 1);
    return Map.of("HERALD_DB_URL", base + database, "HERALD_ADMIN_TOKEN", token);
  }

  private static HubProcess spawn(Path jar, String dbServer, String database, String token, int port,
                                  Map<String, String> extraEnv) throws Exception {
    if (!jar.toFile().exists()) {
      throw new IllegalStateException(jar + " does not exist: build it with mvn -DskipTests package");
    }
    Map<String, String> env = new HashMap<>(env(dbServer, database, token));
    env.putAll(extraEnv);
    return new HubProcess(HubNode.start(jar, jvmOptions(), port, env), token, dbServer, database);
  }

  long pid() {
    return node.pid();
  }

  /** kill -9, as a crash. The database stays. */
  void crash() throws InterruptedException {
    node.crash();
  }

  /** A new hub process on the same port and database, after {@link #crash()}. */
  HubProcess restart(Path jar) throws Exception {
    HubProcess again = spawn(jar, dbServer, database, token, port, Map.of("HERALD_NODE_ID", "bench-storm"));
    again.node.awaitReady(READY);
    again.dropDatabaseOnClose = dropDatabaseOnClose;
    dropDatabaseOnClose = false;
    return again;
  }

  /** The PostgreSQL server processes serving this hub's database right now (from pg_stat_activity). */
  List<Long> databaseBackendPids() throws Exception {
    List<Long> pids = new ArrayList<>();
    try (var c = admin();
         var st = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
      st.setString(1, database);
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getLong(1));
        }
      }
    }
    return pids;
  }

  private java.sql.Connection admin() throws java.sql.SQLException {
    URI u = URI.create(dbServer);
    String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
    String jdbc = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/postgres";
    return DriverManager.getConnection(jdbc, user, "");
  }

  @Override
  public void close() throws Exception {
    node.close();
    if (!dropDatabaseOnClose) {
      return;
    }
    try (var c = admin();
         var st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }
}
