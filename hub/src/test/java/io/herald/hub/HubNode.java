package io.herald.hub;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A hub running as its own process from the real jar, for cluster and failover tests. */
final class HubNode implements AutoCloseable {

  final String nodeId;
  final int port;
  final Path log;
  private final Process process;

  private HubNode(String nodeId, int port, Path log, Process process) {
    this.nodeId = nodeId;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("herald.hub.jar", "target/herald-hub.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: these tests run after `mvn package`");
    }
    return jar;
  }

  static HubNode start(String nodeId, Map<String, String> env) throws IOException {
    int port = freePort();
    Path log = Files.createTempFile("herald-" + nodeId + "-", ".log");
    ProcessBuilder pb = new ProcessBuilder("java", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar", jar().toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    pb.environment().put("HERALD_NODE_ID", nodeId);
    pb.environment().put("HERALD_HTTP_PORT", Integer.toString(port));
    pb.environment().put("HERALD_HTTP_HOST", "127.0.0.1");
    pb.environment().put("HERALD_ADMIN_TOKEN", TestHub.TOKEN);
    return new HubNode(nodeId, port, log, pb.start());
  }

  /** /ready's body, or null when the node does not answer. */
  String ready() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/ready").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try (var in = c.getResponseCode() == 200 ? c.getInputStream() : c.getErrorStream()) {
        return new String(in.readAllBytes());
      }
    } catch (IOException e) {
      return null;
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  void signal(String sig) throws Exception {
    new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  String logTail() {
    try {
      String all = Files.readString(log);
      return all.length() > 4000 ? all.substring(all.length() - 4000) : all;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      signal("CONT");
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
