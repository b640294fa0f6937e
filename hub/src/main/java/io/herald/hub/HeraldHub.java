package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.Database;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.sqlclient.Pool;

import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The hub process: migrates the database (once, on a worker), then serves HTTP and WebSocket on
 * one verticle instance per event loop. {@link #main} reads {@link HubOptions} from the
 * environment; tests call {@link #start} with their own options.
 */
public final class HeraldHub {

  private static final Logger LOG = Logger.getLogger(HeraldHub.class.getName());

  private final Vertx vertx;
  private final Pool pool;
  private final HubOptions options;
  private final int port;
  private final String deploymentId;
  /** The rollout engine's deployment: undeployed with the server verticles, before the pool closes. */
  private String engineDeploymentId;

  private HeraldHub(Vertx vertx, Pool pool, HubOptions options, int port, String deploymentId) {
    this.vertx = vertx;
    this.pool = pool;
    this.options = options;
    this.port = port;
    this.deploymentId = deploymentId;
  }

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }
    HubOptions options = HubOptions.fromEnv(System.getenv());
    start(options).onSuccess(hub -> {
      String scheme = options.tls() ? "https" : "http";
      String url = scheme + "://127.0.0.1:" + hub.port();
      System.out.println("Herald hub " + options.nodeId() + " listening on " + url + " (WebSocket: "
          + (options.tls() ? "wss" : "ws") + "://127.0.0.1:" + hub.port() + "/v1/ws)" + (options.cluster() ? ", clustered on " + options.clusterHost() + ":"
          + options.clusterPort() + (options.clusterTls() ? " (event bus: mutual TLS)" : " (event bus: plain TCP)") : ""));
      if (options.adminTokenGenerated()) {
        System.out.println("HERALD_ADMIN_TOKEN was not set; generated admin token (shown once): " + options.adminToken());
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          hub.stop().await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.warning("shutdown did not finish cleanly: " + e);
        }
      }, "herald-shutdown"));
    }).onFailure(e -> {
      System.err.println("Herald hub failed to start: " + e.getMessage());
      LOG.log(java.util.logging.Level.FINE, "start failure", e);
      System.exit(1);
    });
  }

  public static Future<HeraldHub> start(HubOptions options) {
    return start(options, System::nanoTime);
  }

  /** As {@link #start(HubOptions)}, with the clock of the per-token write rate (tests move it by hand). */
  static Future<HeraldHub> start(HubOptions options, LongSupplier nanoTime) {
    if ((options.tlsCertPath() == null) != (options.tlsKeyPath() == null)) {
      return Future.failedFuture("HERALD_TLS_CERT and HERALD_TLS_KEY go together: set both for TLS, or neither");
    }
    try {
      ClusterSetup.checkSecurity(options); // before anything is bound or joined
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e.getMessage());
    }
    if (options.httpPort() == 0) {
      options = options.withHttpPort(freePort()); // every verticle instance must bind the same port
    }
    HubMetrics.quietVertxGaugeReRegistration();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions vertxOptions = new VertxOptions()
        .setEventLoopPoolSize(options.eventLoops())
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
            .setRegistryName("herald-" + options.nodeId() + "-" + System.identityHashCode(registry)));
    HubMetrics metrics = new HubMetrics(registry);
    HubOptions opts = options;
    if (options.cluster()) {
      ClusterSetup.eventBus(vertxOptions, options);
    }
    var builder = Vertx.builder().with(vertxOptions).withMetrics(new MicrometerMetricsFactory(registry));
    HazelcastClusterManager manager = options.cluster() ? ClusterSetup.clusterManager(options) : null;
    Future<Vertx> built = manager == null
        ? Future.succeededFuture(builder.build())
        : builder.withClusterManager(manager).buildClustered();
    // The outcome is reported through a future of no Vert.x context: when start fails, this
    // Vert.x instance is closed, and callbacks bound to its event loops would never run.
    CompletableFuture<HeraldHub> result = new CompletableFuture<>();
    built.onComplete(ar -> {
      if (ar.failed()) {
        result.completeExceptionally(ar.cause());
        return;
      }
      startOn(ar.result(), opts, metrics, manager, nanoTime).onComplete(started -> {
        if (started.succeeded()) {
          result.complete(started.result());
        } else {
          result.completeExceptionally(started.cause());
          ForkJoinPool.commonPool().execute(() -> ar.result().close());
        }
      });
    });
    return Future.fromCompletionStage(result);
  }

  private static Future<HeraldHub> startOn(Vertx vertx, HubOptions opts, HubMetrics metrics,
                                           HazelcastClusterManager cluster, LongSupplier nanoTime) {
    ClusterStatus clusterStatus = cluster == null ? ClusterStatus.SINGLE : new ClusterStatus() {
      @Override
      public boolean joined() {
        return cluster.isActive() && cluster.getHazelcastInstance().getLifecycleService().isRunning();
      }

      @Override
      public int members() {
        return joined() ? cluster.getHazelcastInstance().getCluster().getMembers().size() : 0;
      }
    };
    return vertx.executeBlocking(() -> Database.migrate(opts.dbUrl()))
        .compose(applied -> {
          if (applied > 0) {
            LOG.info("applied " + applied + " database migration(s)");
          }
          Pool pool = Database.pool(vertx, opts.dbUrl(), opts.dbPoolSize());
          ClientStateStore clients = new ClientStateStore(pool);
          if (cluster != null) {
            ClusterSetup.watchMembers(cluster.getHazelcastInstance(), clients, opts.nodeId());
          }
          // Rows left "connected" by an earlier run of this node id are stale: that process is gone.
          return clients.disconnectNode(opts.nodeId())
              .compose(n -> deploy(vertx, pool, opts, metrics, clusterStatus, nanoTime))
              .onSuccess(hub -> pruneClientRows(vertx, clients, opts))
              .recover(e -> pool.close().transform(x -> Future.failedFuture(e)));
        });
  }

  private static Future<HeraldHub> deploy(Vertx vertx, Pool pool, HubOptions options, HubMetrics metrics,
                                          ClusterStatus cluster, LongSupplier nanoTime) {
    TokenLimits limits = new TokenLimits(options.writeRatePerToken(), options.maxConnectionsPerToken(), nanoTime);
    FailureLog failures = new FailureLog(options.failureLogIntervalMs());
    vertx.setPeriodic(options.failureLogIntervalMs(), t -> failures.flush());
    FrameCheck.Published published = new FrameCheck.Published(options.cluster());
    io.herald.db.ConfigStore config = new io.herald.db.ConfigStore(pool);
    SchemaGate.Owners owners = new SchemaGate.Owners();
    RolloutControl rollouts = new RolloutControl(vertx, new RolloutRegistry(), new io.herald.db.RolloutStore(pool), config,
        (r, text) -> HttpVerticle.publish(vertx, metrics, published, failures, r, text), owners::submit);
    // The rollouts are known before the first client is served: delivery gates on them.
    return vertx.deployVerticle(new RolloutEngine(rollouts, new ClientStateStore(pool), config,
            options::pullStaleCutoffMillis, failures))
        .compose(engine -> vertx.deployVerticle(() -> new HttpVerticle(options, pool, metrics, cluster, limits, failures,
                published, rollouts, owners), new DeploymentOptions().setInstances(options.eventLoops()))
            .map(id -> {
              HeraldHub hub = new HeraldHub(vertx, pool, options, options.httpPort(), id);
              hub.engineDeploymentId = engine;
              return hub;
            }));
  }

  /**
   * Forgets disconnected clients not seen for {@code HERALD_CLIENT_RETENTION_S}, at start and then
   * every tenth of that (at most hourly). Every node may do it: the delete is idempotent.
   */
  private static void pruneClientRows(Vertx vertx, ClientStateStore clients, HubOptions opts) {
    if (opts.clientRetentionSeconds() <= 0) {
      return;
    }
    Runnable prune = () -> clients.prune(opts.clientRetentionSeconds())
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("forgot " + n + " client rows disconnected for more than " + opts.clientRetentionSeconds() + " s");
          }
        })
        .onFailure(e -> LOG.warning("pruning client rows failed: " + FailureLog.summary(e)));
    prune.run();
    long every = Math.max(1_000, Math.min(3_600_000, opts.clientRetentionSeconds() * 100));
    vertx.setPeriodic(every, t -> prune.run());
  }

  private static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public HubOptions options() {
    return options;
  }

  /** Closes every WebSocket with 1001, writes pending client state, and releases everything. */
  public Future<Void> stop() {
    // Undeploy first: the verticles still need the pool to write the last client states. Vert.x is
    // closed from outside its own event loops, whose tasks stop running once it is closed.
    CompletableFuture<Void> released = new CompletableFuture<>();
    vertx.undeploy(deploymentId)
        .transform(ar -> engineDeploymentId == null ? Future.succeededFuture() : vertx.undeploy(engineDeploymentId))
        .transform(ar -> pool.close())
        .onComplete(ar -> released.complete(null));
    return Future.fromCompletionStage(released.thenComposeAsync(v -> vertx.close().toCompletionStage()));
  }
}
