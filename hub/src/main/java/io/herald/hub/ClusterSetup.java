package io.herald.hub;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.herald.db.ClientStateStore;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.logging.Logger;

/**
 * Hazelcast for the clustered event bus: TCP/IP join over the configured members only (no
 * multicast, no auto-detection, no phone-home), bound to one interface, with a heartbeat timeout
 * short enough that a frozen member is dropped in about ten seconds.
 */
final class ClusterSetup {

  private static final Logger LOG = Logger.getLogger(ClusterSetup.class.getName());
  static final String NODE_ATTRIBUTE = "herald.node";

  private ClusterSetup() {
  }

  static HazelcastClusterManager clusterManager(HubOptions o) {
    // Start from the cluster manager's default: it declares the maps Vert.x itself relies on.
    Config c = ConfigUtil.loadConfig();
    c.setClusterName(o.clusterName());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false"); // our own hook leaves the cluster last
    c.setProperty("hazelcast.logging.type", "jdk");
    c.setProperty("hazelcast.socket.bind.any", "false");
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    c.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(o.clusterHeartbeatTimeoutSeconds()));
    c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    NetworkConfig net = c.getNetworkConfig();
    net.setPort(o.clusterPort()).setPortAutoIncrement(false);
    net.setPublicAddress(o.clusterHost() + ":" + o.clusterPort());
    net.getInterfaces().setEnabled(true).addInterface(o.clusterHost());
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(o.clusterMembers());
    c.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, o.nodeId());
    return new HazelcastClusterManager(c);
  }

  static void eventBus(VertxOptions vertxOptions, HubOptions o) {
    vertxOptions.getEventBusOptions().setHost(o.clusterHost()).setClusterPublicHost(o.clusterHost()).setPort(0);
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
