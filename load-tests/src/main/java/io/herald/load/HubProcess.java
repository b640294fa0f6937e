package io.herald.load;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** A hub started from its jar as a separate process, on a database of its own. */
final class HubProcess implements AutoCloseable {

  final String url;
  final String token;
  final int port;
  final String database;
  private final String dbServer;
  private final Process process;

  private HubProcess(Process process, int port, String token, String dbServer, String database) {
    this.process = process;
    this.port = port;
    this.url = "http://127.0.0.1:" + port;
    this.token = token;
    this.dbServer = dbServer;
    this.database = database;
  }

  static HubProcess start(Path jar, String dbServer, Map<String, String> extraEnv) throws Exception {
    return start(jar, dbServer, "herald_bench_" + UUID.randomUUID().toString().substring(0, 8),
        "bench-" + UUID.randomUUID(), extraEnv);
  }

  /**
   * {@code size} clustered hubs on loopback sharing one fresh database, started in parallel (a
   * cluster of three takes 10-20 s to form on two cores). The first one drops the database on close.
   */
  static java.util.List<HubProcess> startCluster(Path jar, String dbServer, int size) throws Exception {
    String database = "herald_bench_" + UUID.randomUUID().toString().substring(0, 8);
    String token = "bench-" + UUID.randomUUID();
    int[] hz = new int[size];
    StringBuilder members = new StringBuilder();
    for (int i = 0; i < size; i++) {
      hz[i] = freePort();
      members.append(i == 0 ? "" : ",").append("127.0.0.1:").append(hz[i]);
    }
    java.util.List<java.util.concurrent.CompletableFuture<HubProcess>> starting = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      Map<String, String> env = Map.of("HERALD_CLUSTER", "true", "HERALD_CLUSTER_HOST", "127.0.0.1",
          "HERALD_CLUSTER_PORT", Integer.toString(hz[i]), "HERALD_CLUSTER_MEMBERS", members.toString(),
          "HERALD_CLUSTER_NAME", "herald-bench-" + hz[0], "HERALD_NODE_ID", "bench-node-" + (i + 1));
      starting.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return start(jar, dbServer, database, token, env);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    java.util.List<HubProcess> out = new java.util.ArrayList<>();
    for (var f : starting) {
      out.add(f.get());
    }
    for (HubProcess h : out) {
      h.awaitMembers(size, Duration.ofSeconds(90));
    }
    for (int i = 1; i < out.size(); i++) {
      out.get(i).dropDatabaseOnClose = false;
    }
    return out;
  }

  private boolean dropDatabaseOnClose = true;

  private void awaitMembers(int size, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      HttpURLConnection c = (HttpURLConnection) URI.create(url + "/ready").toURL().openConnection();
      try (var in = c.getResponseCode() == 200 ? c.getInputStream() : c.getErrorStream()) {
        if (new String(in.readAllBytes()).contains("\"cluster_members\":" + size)) {
          return;
        }
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("cluster of " + size + " did not form within " + timeout);
  }

  private static HubProcess start(Path jar, String dbServer, String database, String token,
                                  Map<String, String> extraEnv) throws Exception {
    return startOn(jar, dbServer, database, token, freePort(), extraEnv);
  }

  private static HubProcess startOn(Path jar, String dbServer, String database, String token, int port,
                                    Map<String, String> extraEnv) throws Exception {
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " does not exist: build it with mvn -DskipTests package");
    }
    String base = dbServer.substring(0, dbServer.lastIndexOf('/') + 1);
    Path log = Files.createTempFile("herald-hub-" + port + "-", ".log");
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("java", "-Xmx2g"));
    // Extra JVM options for spawned hubs, e.g. -XX:StartFlightRecording=... to profile them.
    String extra = System.getenv("HERALD_BENCH_HUB_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(java.util.List.of(extra.trim().split("\\s+")));
    }
    command.addAll(java.util.List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("HERALD_HTTP_PORT", Integer.toString(port));
    pb.environment().put("HERALD_HTTP_HOST", "127.0.0.1");
    pb.environment().put("HERALD_DB_URL", base + database);
    pb.environment().put("HERALD_ADMIN_TOKEN", token);
    pb.environment().putAll(extraEnv);
    HubProcess hub = new HubProcess(pb.start(), port, token, dbServer, database);
    hub.awaitReady(Duration.ofSeconds(60), log);
    return hub;
  }

  private void awaitReady(Duration timeout, Path log) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("hub exited early:\n" + Files.readString(log));
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url + "/ready").toURL().openConnection();
        c.setConnectTimeout(500);
        if (c.getResponseCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("hub not ready within " + timeout + ", log: " + log);
  }

  long pid() {
    return process.pid();
  }

  /** kill -9, as a crash. The database stays. */
  void crash() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** A new hub process on the same port and database, after {@link #crash()}. */
  HubProcess restart(Path jar) throws Exception {
    HubProcess again = startOn(jar, dbServer, database, token, port, Map.of("HERALD_NODE_ID", "bench-storm"));
    again.dropDatabaseOnClose = dropDatabaseOnClose;
    dropDatabaseOnClose = false;
    return again;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    if (!dropDatabaseOnClose) {
      return;
    }
    URI u = URI.create(dbServer);
    String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
    String jdbc = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/postgres";
    try (var c = DriverManager.getConnection(jdbc, user, "");
         var st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
