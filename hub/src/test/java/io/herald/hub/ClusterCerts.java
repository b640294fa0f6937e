package io.herald.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Event-bus certificates for a test or benchmark cluster, made at run time by
 * {@code scripts/cluster-certs.sh} (openssl) in a directory of their own: a CA and one certificate
 * per node, valid for 127.0.0.1. Nothing is committed. Needs only the JDK, like {@link HubNode}.
 */
public final class ClusterCerts {

  public final Path dir;

  private ClusterCerts(Path dir) {
    this.dir = dir;
  }

  /** A new CA in {@code dir} (created when missing) and a certificate for each of {@code nodes}. */
  public static ClusterCerts create(Path dir, List<String> nodes) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script().toString(), dir.toString()));
    command.addAll(nodes);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("scripts/cluster-certs.sh failed: " + out);
    }
    return new ClusterCerts(dir);
  }

  /** A CA and certificates in a new temporary directory. */
  public static ClusterCerts create(List<String> nodes) throws IOException, InterruptedException {
    return create(Files.createTempDirectory("herald-certs-"), nodes);
  }

  /** scripts/cluster-certs.sh of this checkout: from the working directory or one of its parents. */
  private static Path script() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path s = d.resolve("scripts/cluster-certs.sh");
      if (Files.isRegularFile(s)) {
        return s;
      }
    }
    throw new IllegalStateException("scripts/cluster-certs.sh not found above " + Path.of("").toAbsolutePath());
  }

  public Path ca() {
    return dir.resolve("ca.pem");
  }

  public Path cert(String node) {
    return dir.resolve(node + ".pem");
  }

  public Path key(String node) {
    return dir.resolve(node + ".key");
  }

  /** HERALD_CLUSTER_TLS_CERT, _KEY and _CA for {@code node}. */
  public Map<String, String> env(String node) {
    return Map.of("HERALD_CLUSTER_TLS_CERT", cert(node).toString(), "HERALD_CLUSTER_TLS_KEY", key(node).toString(),
        "HERALD_CLUSTER_TLS_CA", ca().toString());
  }

  /** Removes the keys and certificates. */
  public void delete() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }
}
