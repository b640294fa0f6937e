package io.herald.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.herald.client.ClientStatus;
import io.herald.client.ConfigChange;
import io.herald.client.ConfigView;
import io.herald.client.HeraldClient;

import org.apache.commons.logging.Log;

/**
 * The application's one {@link HeraldClient} and the property sources of the namespaces it
 * imported. Created while Spring Boot loads its configuration (before the application context
 * exists), then registered in the context as the bean {@code heraldRuntime}.
 *
 * <p>A version that arrives while the configuration is still being loaded is simply shown. One that
 * arrives while the context is being built waits until it is built (its beans still hold the
 * version they were created with), then goes through the {@link Refresher} like every later one.
 */
public final class HeraldRuntime implements AutoCloseable {

  /** Applies a proposed version to the application, or throws to reject it (see {@code HeraldRefresher}). */
  interface Refresher {
    void apply(HeraldPropertySource source, ConfigChange change, Map<String, Object> next) throws Exception;
  }

  private final HeraldProperties properties;
  private final HeraldClient client;
  private final MeterBridge meters;
  private final Map<String, HeraldPropertySource> sources = new ConcurrentHashMap<>();
  private final Map<String, ConfigView> views = new ConcurrentHashMap<>();
  /** Namespaces that started from the cache or without Herald, with the reason. */
  private final Map<String, String> degradedStart = new ConcurrentHashMap<>();
  private final CountDownLatch attached = new CountDownLatch(1);
  private volatile Refresher refresher;
  private volatile boolean contextStarting;
  private volatile boolean waitingForContext;
  private volatile boolean closed;

  private HeraldRuntime(HeraldProperties properties, HeraldClient client, MeterBridge meters) {
    this.properties = properties;
    this.client = client;
    this.meters = meters;
  }

  static HeraldRuntime start(HeraldProperties p) {
    if (p.getEndpoints() == null || p.getEndpoints().isEmpty()) {
      throw new HeraldStartupException("herald.endpoints is not set: give the hub URLs, e.g. "
          + "herald.endpoints=http://hub-a:8080,http://hub-b:8080", null);
    }
    if (p.getToken() == null || p.getToken().isBlank()) {
      throw new HeraldStartupException("herald.token is not set: give a token with the client role for the imported namespaces",
          null);
    }
    HeraldClient.Builder b = HeraldClient.builder().endpoints(p.getEndpoints().toArray(String[]::new))
        .token(p.getToken()).transport(p.getTransport()).syncInterval(p.getSyncInterval())
        .pollInterval(p.getPollInterval());
    if (p.getClientId() != null && !p.getClientId().isBlank()) {
      b.clientId(p.getClientId());
    }
    if (p.getCacheDir() != null) {
      b.cacheDir(p.getCacheDir());
    }
    p.getLabels().forEach(b::label);
    MeterBridge meters = MeterBridge.create();
    if (meters != null) {
      b.meterRegistry(meters.registry());
    } else {
      b.metrics(false);
    }
    return new HeraldRuntime(p, b.build(), meters);
  }

  public HeraldClient client() {
    return client;
  }

  public HeraldProperties properties() {
    return properties;
  }

  /** The property source of each imported namespace. */
  public Map<String, HeraldPropertySource> propertySources() {
    return Map.copyOf(sources);
  }

  /** Namespaces that started from the local cache or without Herald because no hub answered in time, with why. */
  public Map<String, String> degradedStart() {
    return Map.copyOf(degradedStart);
  }

  MeterBridge meters() {
    return meters;
  }

  /**
   * Subscribes to {@code namespaces} and waits up to {@code herald.initial-timeout} for a hub's
   * version of each. Without one: {@code fail-fast} throws; otherwise the namespace starts from the
   * local cache, or empty, and says so in the log.
   */
  List<HeraldPropertySource> open(List<String> namespaces, Log log) {
    List<ConfigView> opened = new ArrayList<>();
    for (String ns : namespaces) {
      sources.computeIfAbsent(ns, n -> new HeraldPropertySource(n, -1, Map.of()));
      opened.add(views.computeIfAbsent(ns, n -> client.subscribe(n, change -> onChange(n, change))));
    }
    Duration timeout = properties.getInitialTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      for (ConfigView view : opened) {
        while (!live(view) && System.nanoTime() < deadline) {
          if (view.version() < 0) {
            view.awaitInitial(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
          } else {
            TimeUnit.MILLISECONDS.sleep(20); // from the cache: poll until a hub confirms it
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HeraldStartupException("interrupted while waiting for Herald", e);
    }
    List<HeraldPropertySource> result = new ArrayList<>();
    for (ConfigView view : opened) {
      HeraldPropertySource source = sources.get(view.namespace());
      if (!live(view)) {
        String why = whyNot(view, timeout);
        if (properties.isFailFast()) {
          throw new HeraldStartupException("Herald namespace '" + view.namespace() + "' is unavailable: " + why
              + ". herald.fail-fast=true, so the application does not start (set it to false to start from the "
              + "local cache, or without Herald)", null);
        }
        String how = view.version() >= 0
            ? "starting from the local cache at version " + view.version()
            : "starting WITHOUT it (no local cache): its properties are missing until a hub delivers them";
        degradedStart.put(view.namespace(), why + "; " + how);
        log.warn("herald: namespace '" + view.namespace() + "': " + why + "; " + how
            + "; the application follows the hub as soon as one answers");
      } else {
        log.info("herald: namespace '" + view.namespace() + "' at version " + view.version() + " from "
            + client.status().endpoint());
      }
      source.show(view.version(), HeraldPropertySource.properties(view.asMap()));
      result.add(source);
    }
    return result;
  }

  private static boolean live(ConfigView view) {
    return view.version() >= 0 && !view.fromCache();
  }

  private String whyNot(ConfigView view, Duration timeout) {
    ClientStatus status = client.status();
    ClientStatus.Problem problem = status.lastError();
    String detail = problem == null ? "" : " (" + problem.kind() + ": " + problem.message() + ")";
    return "no hub of " + properties.getEndpoints() + " delivered it within " + timeout.toMillis() + " ms" + detail;
  }

  /** On the client's dispatch thread, in version order: show, or apply through the refresher, or throw to reject. */
  private void onChange(String namespace, ConfigChange change) throws Exception {
    HeraldPropertySource source = sources.get(namespace);
    Map<String, Object> next = HeraldPropertySource.properties(change.next().asMap());
    Refresher r = awaitRefresher();
    if (r == null) {
      source.show(change.toVersion(), next);
    } else {
      r.apply(source, change, next);
    }
  }

  private Refresher awaitRefresher() throws InterruptedException {
    if (!contextStarting) {
      return null;
    }
    waitingForContext = true;
    try {
      while (!closed) {
        if (attached.await(1, TimeUnit.SECONDS)) {
          return refresher;
        }
      }
    } finally {
      waitingForContext = false;
    }
    throw new IllegalStateException("the application is shutting down");
  }

  /** True while a new version waits for the application context to be built. */
  boolean waitingForContext() {
    return waitingForContext;
  }

  /** The configuration is loaded; the application context is being built. */
  void contextStarting() {
    contextStarting = true;
  }

  /** The context is built: from now on every version goes through {@code r}. */
  void attach(Refresher r) {
    this.refresher = r;
    attached.countDown();
  }

  /** Copy of the view per namespace, for the health indicator. */
  Map<String, ConfigView> views() {
    return new LinkedHashMap<>(views);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.close();
    if (meters != null) {
      meters.close();
    }
  }
}
