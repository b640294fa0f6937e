package io.herald.hub;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.herald.db.ClientStateStore;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Hazelcast for the clustered event bus: TCP/IP join over the configured members only (no
 * multicast, no auto-detection, no phone-home), bound to one interface, with a heartbeat timeout
 * short enough that a frozen member is dropped in about ten seconds. The event bus speaks mutual
 * TLS when the cluster certificates are configured, and a node that would expose plain cluster
 * traffic beyond loopback refuses to start (docs/security.md, "Cluster traffic").
 */
final class ClusterSetup {

  private static final Logger LOG = Logger.getLogger(ClusterSetup.class.getName());
  /** Held so that the filter set on it lives as long as the process (JUL keeps loggers weakly). */
  private static final Logger HAZELCAST_SYSTEM = Logger.getLogger("com.hazelcast.system");
  static final String NODE_ATTRIBUTE = "herald.node";
  /** The cluster name is the only secret a Hazelcast member joins with: off loopback, at least this long. */
  static final int MIN_SECRET_NAME_LENGTH = 16;

  private ClusterSetup() {
  }

  /**
   * Refuses, before anything is joined or bound, a cluster configuration that would let strangers
   * read or forge cluster traffic: a non-loopback interface without the event-bus certificates or
   * with a guessable cluster name, unless HERALD_CLUSTER_INSECURE=true says so knowingly (then it
   * is logged as a warning at every start). Also refuses half-configured certificates.
   *
   * @throws IllegalArgumentException with the message the operator reads
   */
  static void checkSecurity(HubOptions o) {
    if (!o.cluster()) {
      return;
    }
    int tlsVars = (o.clusterTlsCert() == null ? 0 : 1) + (o.clusterTlsKey() == null ? 0 : 1)
        + (o.clusterTlsCa() == null ? 0 : 1);
    if (tlsVars != 0 && tlsVars != 3) {
      throw new IllegalArgumentException("HERALD_CLUSTER_TLS_CERT, HERALD_CLUSTER_TLS_KEY and HERALD_CLUSTER_TLS_CA go"
          + " together: set all three for event-bus TLS, or none");
    }
    if (o.clusterTls()) {
      for (String file : List.of(o.clusterTlsCert(), o.clusterTlsKey(), o.clusterTlsCa())) {
        if (!Files.isReadable(Path.of(file))) {
          throw new IllegalArgumentException("cluster TLS file " + file + " cannot be read");
        }
      }
    }
    if (wildcard(o.clusterHost()) && o.clusterPublicHost() == null) {
      throw new IllegalArgumentException("HERALD_CLUSTER_HOST=" + o.clusterHost() + " listens on every interface;"
          + " set HERALD_CLUSTER_PUBLIC_HOST to the address other nodes reach this one at");
    }
    if (loopback(o.clusterHost())) {
      return; // nothing off this machine can reach the cluster ports
    }
    List<String> exposed = new ArrayList<>();
    if (!o.clusterTls()) {
      exposed.add("the event bus is neither encrypted nor authenticated (HERALD_CLUSTER_TLS_CERT, _KEY and _CA are"
          + " not set): whoever reaches it reads every configuration value and can publish revisions");
    }
    if (o.clusterName().length() < MIN_SECRET_NAME_LENGTH) {
      exposed.add("HERALD_CLUSTER_NAME, the only secret Hazelcast members join with, is shorter than "
          + MIN_SECRET_NAME_LENGTH + " characters (e.g. `openssl rand -hex 16`)");
    }
    if (exposed.isEmpty()) {
      return;
    }
    String where = "HERALD_CLUSTER_HOST=" + o.clusterHost() + " is not a loopback address, and ";
    if (!o.clusterInsecure()) {
      throw new IllegalArgumentException(where + String.join("; ", exposed) + ". Configure that (docs/operations.md,"
          + " \"Cluster TLS\"), or set HERALD_CLUSTER_INSECURE=true to run this way knowingly");
    }
    LOG.warning("INSECURE CLUSTER (HERALD_CLUSTER_INSECURE=true): " + where + String.join("; ", exposed) + ".");
  }

  /** True when every address the name resolves to is a loopback address; unresolvable names are not. */
  static boolean loopback(String host) {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean wildcard(String host) {
    try {
      return InetAddress.getByName(host).isAnyLocalAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  static HazelcastClusterManager clusterManager(HubOptions o) {
    // Start from the cluster manager's default: it declares the maps Vert.x itself relies on.
    Config c = ConfigUtil.loadConfig();
    c.setClusterName(o.clusterName());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false"); // our own hook leaves the cluster last
    c.setProperty("hazelcast.logging.type", "jdk");
    keepClusterNameOutOfLogs(c);
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    c.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(o.clusterHeartbeatTimeoutSeconds()));
    c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    NetworkConfig net = c.getNetworkConfig();
    net.setPort(o.clusterPort()).setPortAutoIncrement(false);
    net.setPublicAddress(o.clusterAdvertisedHost() + ":" + o.clusterPort());
    if (wildcard(o.clusterHost())) {
      c.setProperty("hazelcast.socket.bind.any", "true"); // what HERALD_CLUSTER_HOST=0.0.0.0 asks for
    } else {
      net.getInterfaces().setEnabled(true).addInterface(o.clusterHost());
    }
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(o.clusterMembers());
    c.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, o.nodeId());
    return new HazelcastClusterManager(c);
  }

  /**
   * The event bus listens on HERALD_CLUSTER_HOST. With the cluster certificates it accepts and
   * opens connections only with certificates signed by the cluster's CA, both ways: a hub checks
   * the certificate of every node it sends to (Vert.x trusts every server by default), and
   * requires one from every node that connects. Host names are not checked: a certificate from
   * the cluster's CA is what makes a node a member.
   */
  static void eventBus(VertxOptions vertxOptions, HubOptions o) {
    EventBusOptions bus = vertxOptions.getEventBusOptions().setHost(o.clusterHost())
        .setClusterPublicHost(o.clusterAdvertisedHost()).setPort(o.clusterBusPort());
    if (o.clusterTls()) {
      bus.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(o.clusterTlsCert()).setKeyPath(o.clusterTlsKey()))
          .setTrustOptions(new PemTrustOptions().addCertPath(o.clusterTlsCa()))
          .setTrustAll(false)
          .setClientAuth(ClientAuth.REQUIRED);
    }
  }

  /**
   * The cluster name is the secret Hazelcast members join with, and Hazelcast would write it into
   * every log line (its "[address] [cluster name] [version]" prefix) and print it at start.
   */
  private static void keepClusterNameOutOfLogs(Config c) {
    c.setProperty("hazelcast.logging.details.enabled", "false");
    synchronized (HAZELCAST_SYSTEM) {
      if (HAZELCAST_SYSTEM.getFilter() == null) {
        HAZELCAST_SYSTEM.setFilter(r -> r.getMessage() == null || !r.getMessage().startsWith("Cluster name: "));
      }
    }
  }

  /** When a member leaves or dies, every survivor marks its clients disconnected (idempotent). */
  static void watchMembers(HazelcastInstance hz, ClientStateStore clients, String self) {
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        LOG.info("cluster member joined: " + e.getMember().getAttribute(NODE_ATTRIBUTE) + " " + e.getMember().getAddress());
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        String node = e.getMember().getAttribute(NODE_ATTRIBUTE);
        LOG.info("cluster member left: " + node + " " + e.getMember().getAddress());
        if (node != null && !node.equals(self)) {
          clients.disconnectNode(node)
              .onSuccess(n -> LOG.info("marked " + n + " client rows of " + node + " disconnected"))
              .onFailure(err -> LOG.warning("could not mark clients of " + node + " disconnected: " + err));
        }
      }
    });
  }
}
