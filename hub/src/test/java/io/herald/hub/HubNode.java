package io.herald.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A hub running as its own process from the real jar, on 127.0.0.1, its output in a log file: the
 * one launcher of the cluster and failover tests (hub, client SDK) and of the benchmarks. It needs
 * nothing but the JDK, so load-tests can ship it in its own jar.
 */
public final class HubNode implements AutoCloseable {

  /** JVM options for hubs in tests: a small heap and a quick start, as several JVMs share two cores. */
  public static final List<String> TEST_JVM = List.of("-Xmx384m", "-XX:TieredStopAtLevel=1");
  private static final long POLL_MS = 100;

  public final String nodeId;
  public final int port;
  public final Path log;
  /** What the process was configured with (beyond the inherited environment). */
  public final Map<String, String> env;
  private final Process process;

  private HubNode(String nodeId, int port, Path log, Map<String, String> env, Process process) {
    this.nodeId = nodeId;
    this.port = port;
    this.log = log;
    this.env = Map.copyOf(env);
    this.process = process;
  }

  /**
   * The ports of a cluster's first node; node i gets each plus i. A bus port of 0 lets each node's
   * event bus take any free port. {@code null} where a method takes Ports: free ports for all.
   */
  public record Ports(int hazelcast, int http, int bus) {
  }

  /** The hub jar: the system property {@code herald.hub.jar} (set by failsafe), else {@code fallback}. */
  public static Path jar(String fallback) {
    Path jar = Path.of(System.getProperty("herald.hub.jar", fallback));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: build it first (mvn -DskipTests package)");
    }
    return jar;
  }

  /**
   * Starts a hub listening on {@code port} of 127.0.0.1 and returns at once; it is ready seconds
   * later ({@link #awaitReady}). {@code env} is its configuration (database, token, node id, ...).
   */
  public static HubNode start(Path jar, List<String> jvmOptions, int port, Map<String, String> env) throws IOException {
    List<String> java = new ArrayList<>(jvmOptions);
    java.addAll(List.of("-jar", jar.toString()));
    return launch(port, java, env);
  }

  /**
   * Starts {@code java} with {@code javaArguments} (JVM options, then a jar or a class path and a
   * main class, then arguments) as a hub would be started: its output in a log file, HTTP on
   * {@code port} of 127.0.0.1, configured by {@code env}.
   */
  public static HubNode launch(int port, List<String> javaArguments, Map<String, String> env) throws IOException {
    String nodeId = env.getOrDefault("HERALD_NODE_ID", "hub-" + port);
    Path log = Files.createTempFile("herald-" + nodeId + "-", ".log");
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(javaArguments);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("HERALD_HTTP_PORT", Integer.toString(port));
    pb.environment().put("HERALD_HTTP_HOST", "127.0.0.1");
    pb.environment().putAll(env);
    return new HubNode(nodeId, port, log, env, pb.start());
  }

  /**
   * One hub per node id, clustered over Hazelcast on loopback, all started at once (three JVMs take
   * 10-20 s to form a cluster on two cores) and returned at once: see {@link #awaitMembers}. Each gets
   * {@code env} plus its node id and cluster settings; the cluster's name starts with {@code name}.
   */
  public static List<HubNode> startCluster(Path jar, List<String> jvmOptions, String name, List<String> nodeIds,
                                           Map<String, String> env) throws IOException {
    return startCluster(jar, jvmOptions, name, nodeIds, env, null, id -> Map.of());
  }

  /**
   * As {@link #startCluster(Path, List, String, List, Map)}, on {@code ports} (null: free ones),
   * each node also getting {@code nodeEnv} of its node id (its certificate, for example).
   */
  public static List<HubNode> startCluster(Path jar, List<String> jvmOptions, String name, List<String> nodeIds,
                                           Map<String, String> env, Ports ports,
                                           Function<String, Map<String, String>> nodeEnv) throws IOException {
    int[] hz = new int[nodeIds.size()];
    List<String> members = new ArrayList<>();
    for (int i = 0; i < hz.length; i++) {
      hz[i] = ports == null ? freePort() : ports.hazelcast() + i;
      members.add("127.0.0.1:" + hz[i]);
    }
    List<HubNode> nodes = new ArrayList<>();
    for (int i = 0; i < hz.length; i++) {
      Map<String, String> own = new HashMap<>(env);
      own.put("HERALD_NODE_ID", nodeIds.get(i));
      own.put("HERALD_CLUSTER", "true");
      own.put("HERALD_CLUSTER_NAME", name + "-" + hz[0]);
      own.put("HERALD_CLUSTER_HOST", "127.0.0.1");
      own.put("HERALD_CLUSTER_PORT", Integer.toString(hz[i]));
      own.put("HERALD_CLUSTER_MEMBERS", String.join(",", members));
      if (ports != null && ports.bus() > 0) {
        own.put("HERALD_CLUSTER_BUS_PORT", Integer.toString(ports.bus() + i));
      }
      own.putAll(nodeEnv.apply(nodeIds.get(i)));
      nodes.add(start(jar, jvmOptions, ports == null ? freePort() : ports.http() + i, own));
    }
    return nodes;
  }

  /** A port nothing listens on right now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** /ready's body, or null when the node does not answer. */
  public String ready() {
    return readyBody().body;
  }

  /** The body of a GET of {@code path} (no token), or null when the node does not answer. */
  public String get(String path) {
    return fetch(path, 10_000).body;
  }

  private record Ready(int status, String body) {
  }

  private Ready readyBody() {
    return fetch("/ready", 2000);
  }

  private Ready fetch(String path, int readTimeoutMs) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url() + path).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(readTimeoutMs);
      int status = c.getResponseCode();
      try (var in = status == 200 ? c.getInputStream() : c.getErrorStream()) {
        return new Ready(status, new String(in.readAllBytes()));
      }
    } catch (IOException e) {
      return new Ready(0, null);
    }
  }

  /** Waits until /ready answers 200 (its database, and its cluster when clustered, are up). */
  public void awaitReady(Duration timeout) {
    await(timeout, r -> r.status == 200, "ready");
  }

  /** Waits until /ready counts {@code members} members in the node's cluster. */
  public void awaitMembers(int members, Duration timeout) {
    await(timeout, r -> r.body != null && r.body.contains("\"cluster_members\":" + members), "in a cluster of " + members);
  }

  private void await(Duration timeout, Predicate<Ready> done, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(nodeId + " exited before it was " + what + ":\n" + logTail());
      }
      Ready r = readyBody();
      if (done.test(r)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(nodeId + " not " + what + " within " + timeout + " (last /ready: " + r.body
            + "), log " + log + ":\n" + logTail());
      }
      try {
        Thread.sleep(POLL_MS); // polling /ready with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Waits for the process to end by itself and returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(nodeId + " still running after " + timeout + ", log " + log + ":\n" + logTail());
    }
    return process.exitValue();
  }

  public long pid() {
    return process.pid();
  }

  /** Sends a signal by name (KILL, STOP, CONT, TERM) to the process. */
  public void signal(String sig) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  /** kill -9, as a crash, and wait for the process to be gone. */
  public void crash() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  public String logTail() {
    try {
      String all = Files.readString(log);
      return all.length() > 4000 ? all.substring(all.length() - 4000) : all;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Stops the process (SIGTERM, a frozen one woken first), killing it when it takes over 20 s. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process.isAlive()) {
      signal("CONT");
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
