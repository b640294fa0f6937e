package io.herald.hub;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A stranger in the cluster, for ClusterTlsIT: a process that joins the hubs' Hazelcast cluster
 * (it knows the cluster name) and publishes a forged revision frame on {@link Addresses#REVISIONS}
 * exactly as {@link RevisionBus} would, with whatever event-bus certificates its environment gives
 * it (none, another CA's, or a real one). It configures itself like a hub
 * ({@link HubOptions#fromEnv}, {@link ClusterSetup}), minus the hub's refusal to run insecurely.
 *
 * <p>{@code java ... io.herald.hub.ClusterForger NAMESPACE VERSION TIMES}: waits until it sees
 * the hubs' consumers of the address, publishes the frame TIMES times, 100 ms apart, and exits 0;
 * its output says how many consumers it saw and what it published.
 */
public final class ClusterForger {

  private ClusterForger() {
  }

  public static void main(String[] args) throws Exception {
    String namespace = args[0];
    long version = Long.parseLong(args[1]);
    int times = Integer.parseInt(args[2]);
    HubOptions o = HubOptions.fromEnv(System.getenv());
    VertxOptions vertxOptions = new VertxOptions().setEventLoopPoolSize(1);
    ClusterSetup.eventBus(vertxOptions, o);
    HazelcastClusterManager manager = ClusterSetup.clusterManager(o);
    Vertx vertx = Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered()
        .await(90, TimeUnit.SECONDS);
    try {
      long deadline = System.currentTimeMillis() + 60_000;
      int consumers = 0;
      while (consumers == 0 && System.currentTimeMillis() < deadline) {
        Promise<List<RegistrationInfo>> found = Promise.promise();
        manager.getRegistrations(Addresses.REVISIONS, (list, err) -> {
          if (err != null) {
            found.fail(err);
          } else {
            found.complete(list);
          }
        });
        consumers = found.future().await(10, TimeUnit.SECONDS).size();
        if (consumers == 0) {
          Thread.sleep(200); // polling the registry with a deadline
        }
      }
      System.out.println("forger sees " + consumers + " consumers of " + Addresses.REVISIONS + " in a cluster of "
          + manager.getNodes().size());
      String text = RevisionBus.prefix(namespace, version) + new JsonArray().add(new JsonObject().put("key", "forged")
          .put("op", "put").put("value", "by a stranger")).encode() + "}";
      DeliveryOptions headers = new DeliveryOptions()
          .addHeader(RevisionBus.H_NAMESPACE, namespace)
          .addHeader(RevisionBus.H_VERSION, Long.toString(version))
          .addHeader(RevisionBus.H_COMMITTED_AT, Long.toString(System.currentTimeMillis()));
      for (int i = 1; i <= times; i++) {
        vertx.eventBus().publish(Addresses.REVISIONS, text, headers);
        System.out.println("forger published " + namespace + " version " + version + " (" + i + ")");
        Thread.sleep(100); // spacing the publications
      }
      Thread.sleep(500); // let the last frames leave before the event bus closes
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    System.out.println("forger done");
    System.exit(0);
  }
}
