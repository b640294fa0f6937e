package io.herald.load;

import io.herald.hub.HubNode;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One etcd member on loopback for a benchmark: free client and peer ports, a data directory of its
 * own (deleted on close) and a unique name. etcd keeps its defaults otherwise: every write is
 * fsynced to its WAL before it is acknowledged, as Herald's are committed in PostgreSQL.
 */
final class EtcdProcess implements AutoCloseable {

  static final Path BINARY = Path.of(System.getenv().getOrDefault("HERALD_BENCH_ETCD", "/usr/bin/etcd"));

  final int clientPort;
  private final Process process;
  private final Path dataDir;
  private final Path log;

  private EtcdProcess(int clientPort, Process process, Path dataDir, Path log) {
    this.clientPort = clientPort;
    this.process = process;
    this.dataDir = dataDir;
    this.log = log;
  }

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /** The etcd binary's version line, e.g. "etcd Version: 3.4.23". */
  static String version() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(BINARY.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(10, TimeUnit.SECONDS);
    return out.lines().findFirst().orElse("").trim();
  }

  /** Starts etcd and waits (up to 30 s) until its /health answers healthy. */
  static EtcdProcess start() throws Exception {
    if (!installed()) {
      throw new IllegalStateException(BINARY + " is missing: install Debian's etcd-server (scripts/ensure-etcd.sh)");
    }
    String name = "herald-bench-" + UUID.randomUUID().toString().substring(0, 8);
    Path dataDir = Files.createTempDirectory("herald-etcd-");
    Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    int client = HubNode.freePort();
    int peer = HubNode.freePort();
    String clientUrl = "http://127.0.0.1:" + client;
    String peerUrl = "http://127.0.0.1:" + peer;
    Process p = new ProcessBuilder(BINARY.toString(), "--name", name, "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", name + "=" + peerUrl, "--initial-cluster-token", name,
        "--initial-cluster-state", "new", "--log-outputs", "stderr")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    EtcdProcess etcd = new EtcdProcess(client, p, dataDir, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(clientUrl + "/health").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(2000);
        if (c.getResponseCode() == 200 && new String(c.getInputStream().readAllBytes()).contains("\"true\"")) {
          return etcd;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        String tail = Files.exists(log) ? String.join("\n", tail(Files.readAllLines(log), 20)) : "";
        etcd.close();
        throw new IllegalStateException("etcd did not become healthy within 30 s:\n" + tail);
      }
      Thread.sleep(100);
    }
  }

  private static List<String> tail(List<String> lines, int n) {
    return lines.subList(Math.max(0, lines.size() - n), lines.size());
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(log);
  }
}
