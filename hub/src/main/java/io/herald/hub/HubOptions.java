package io.herald.hub;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Everything the hub is configured with, read once from the environment at start and passed down.
 * See docs/operations.md for each variable.
 */
public record HubOptions(
    String host,
    int httpPort,
    String dbUrl,
    int dbPoolSize,
    String adminToken,
    boolean adminTokenGenerated,
    boolean cluster,
    String clusterName,
    String clusterHost,
    int clusterPort,
    List<String> clusterMembers,
    String nodeId,
    int eventLoops,
    long wsPingIntervalMs,
    long ackFlushIntervalMs,
    long catchUpIntervalMs,
    long presenceIntervalMs,
    long clusterHeartbeatTimeoutSeconds,
    String tlsCertPath,
    String tlsKeyPath,
    int writeRatePerToken,
    int maxConnectionsPerToken,
    int maxSubscriptions,
    int maxFrameBytes,
    int httpIdleTimeoutSeconds,
    int wsFrameRate,
    int wsFrameBurst,
    int wsMaxQueuedBytes,
    int httpHeaderTimeoutMs,
    int maxClientRowsPerToken,
    long clientRetentionSeconds,
    long failureLogIntervalMs,
    long pullStaleAfterSeconds,
    String clusterPublicHost,
    int clusterBusPort,
    String clusterTlsCert,
    String clusterTlsKey,
    String clusterTlsCa,
    boolean clusterInsecure) {

  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final String DEFAULT_DB_URL = "postgresql://postgres@127.0.0.1:5432/herald";

  public static HubOptions fromEnv(Map<String, String> env) {
    String token = env.get("HERALD_ADMIN_TOKEN");
    boolean generated = token == null || token.isBlank();
    if (generated) {
      byte[] bytes = new byte[24];
      new SecureRandom().nextBytes(bytes);
      token = "hrld_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
    List<String> members = new ArrayList<>();
    for (String m : env.getOrDefault("HERALD_CLUSTER_MEMBERS", "").split(",")) {
      if (!m.isBlank()) {
        members.add(m.trim());
      }
    }
    return new HubOptions(
        env.getOrDefault("HERALD_HTTP_HOST", "0.0.0.0"),
        intVar(env, "HERALD_HTTP_PORT", DEFAULT_HTTP_PORT),
        env.getOrDefault("HERALD_DB_URL", DEFAULT_DB_URL),
        intVar(env, "HERALD_DB_POOL_SIZE", 16),
        token,
        generated,
        Boolean.parseBoolean(env.getOrDefault("HERALD_CLUSTER", "false")),
        env.getOrDefault("HERALD_CLUSTER_NAME", "herald"),
        env.getOrDefault("HERALD_CLUSTER_HOST", "127.0.0.1"),
        intVar(env, "HERALD_CLUSTER_PORT", 5701),
        List.copyOf(members),
        env.getOrDefault("HERALD_NODE_ID", defaultNodeId(env)),
        intVar(env, "HERALD_EVENT_LOOPS", Runtime.getRuntime().availableProcessors()),
        intVar(env, "HERALD_WS_PING_INTERVAL_MS", 20_000),
        intVar(env, "HERALD_ACK_FLUSH_INTERVAL_MS", 5),
        intVar(env, "HERALD_CATCH_UP_INTERVAL_MS", 3_000),
        intVar(env, "HERALD_PRESENCE_INTERVAL_MS", 15_000),
        intVar(env, "HERALD_CLUSTER_HEARTBEAT_TIMEOUT_S", 10),
        blankToNull(env.get("HERALD_TLS_CERT")),
        blankToNull(env.get("HERALD_TLS_KEY")),
        intVar(env, "HERALD_WRITE_RATE_PER_TOKEN", 200),
        // Well below the 20,000 open files a process may hold here: one token cannot take them all.
        intVar(env, "HERALD_MAX_CONNECTIONS_PER_TOKEN", 5_000),
        intVar(env, "HERALD_MAX_SUBSCRIPTIONS", 256),
        intVar(env, "HERALD_MAX_FRAME_BYTES", 1024 * 1024),
        intVar(env, "HERALD_HTTP_IDLE_TIMEOUT_S", 300),
        intVar(env, "HERALD_WS_FRAME_RATE", 200),
        intVar(env, "HERALD_WS_FRAME_BURST", 1_000),
        intVar(env, "HERALD_WS_MAX_QUEUED_BYTES", 1024 * 1024),
        intVar(env, "HERALD_HTTP_HEADER_TIMEOUT_MS", 10_000),
        intVar(env, "HERALD_MAX_CLIENT_ROWS_PER_TOKEN", 10_000),
        intVar(env, "HERALD_CLIENT_RETENTION_S", 7 * 24 * 3600),
        intVar(env, "HERALD_FAILURE_LOG_INTERVAL_MS", 10_000),
        intVar(env, "HERALD_PULL_STALE_AFTER_S", 300),
        blankToNull(env.get("HERALD_CLUSTER_PUBLIC_HOST")),
        intVar(env, "HERALD_CLUSTER_BUS_PORT", 0),
        blankToNull(env.get("HERALD_CLUSTER_TLS_CERT")),
        blankToNull(env.get("HERALD_CLUSTER_TLS_KEY")),
        blankToNull(env.get("HERALD_CLUSTER_TLS_CA")),
        Boolean.parseBoolean(env.getOrDefault("HERALD_CLUSTER_INSECURE", "false").trim()));
  }

  /**
   * Host name and HTTP port: stable across restarts of the same hub, so a hub that crashed marks
   * its stale client rows disconnected when it starts again.
   */
  private static String defaultNodeId(Map<String, String> env) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "hub-" + UUID.randomUUID().toString().substring(0, 8);
    }
    return host + ":" + env.getOrDefault("HERALD_HTTP_PORT", Integer.toString(DEFAULT_HTTP_PORT));
  }

  /** The same options with another HTTP port: tests pick free ports. */
  public HubOptions withHttpPort(int port) {
    return new HubOptions(host, port, dbUrl, dbPoolSize, adminToken, adminTokenGenerated, cluster, clusterName,
        clusterHost, clusterPort, clusterMembers, nodeId, eventLoops, wsPingIntervalMs, ackFlushIntervalMs,
        catchUpIntervalMs, presenceIntervalMs, clusterHeartbeatTimeoutSeconds, tlsCertPath, tlsKeyPath,
        writeRatePerToken, maxConnectionsPerToken, maxSubscriptions, maxFrameBytes, httpIdleTimeoutSeconds,
        wsFrameRate, wsFrameBurst, wsMaxQueuedBytes, httpHeaderTimeoutMs, maxClientRowsPerToken, clientRetentionSeconds,
        failureLogIntervalMs, pullStaleAfterSeconds, clusterPublicHost, clusterBusPort, clusterTlsCert, clusterTlsKey, clusterTlsCa,
        clusterInsecure);
  }

  /** The event bus speaks mutual TLS when the node's certificate, its key and the cluster's CA are all configured. */
  public boolean clusterTls() {
    return clusterTlsCert != null && clusterTlsKey != null && clusterTlsCa != null;
  }

  /** The address other nodes reach this one at: HERALD_CLUSTER_PUBLIC_HOST, else HERALD_CLUSTER_HOST. */
  public String clusterAdvertisedHost() {
    return clusterPublicHost != null ? clusterPublicHost : clusterHost;
  }

  /**
   * HTTP clients (pull, HTTP acks) seen before this instant are stale: no longer pending in a
   * rollout. By this hub's clock, like the last_seen it writes.
   */
  public long pullStaleCutoffMillis() {
    return System.currentTimeMillis() - pullStaleAfterSeconds * 1000;
  }

  /** HTTPS and WSS when both a PEM certificate (chain) and its PEM private key are configured. */
  public boolean tls() {
    return tlsCertPath != null && tlsKeyPath != null;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static int intVar(Map<String, String> env, String name, int def) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'");
    }
  }
}
