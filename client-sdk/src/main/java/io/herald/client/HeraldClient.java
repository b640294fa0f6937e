package io.herald.client;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A Herald client: holds one WebSocket to one of the configured hubs, keeps every subscribed
 * namespace current, acks each version, and survives hubs coming and going.
 *
 * <pre>{@code
 * HeraldClient client = HeraldClient.builder()
 *     .endpoints("http://hub-a:8080", "http://hub-b:8080")
 *     .token(System.getenv("HERALD_TOKEN"))
 *     .cacheDir(Path.of("/var/cache/myservice/herald"))
 *     .build();
 * ConfigView config = client.subscribe("payments.prod");
 * config.awaitInitial(Duration.ofSeconds(5));
 * int poolSize = config.getInt("db/pool", 10);
 * config.addListener(change -> log.info("now at version " + change.toVersion()));
 * }</pre>
 *
 * <p>Threads: the client's network I/O runs on a Vert.x event loop (its own Vert.x instance unless
 * one is given to the builder); listeners run on one dispatch thread per client, in version order.
 * Every public method is thread-safe. {@link #close()} stops every thread the client started.
 */
public final class HeraldClient implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(HeraldClient.class.getName());

  private final List<URI> endpoints;
  private final String token;
  private final String clientId;
  private final Map<String, String> labels;
  private final Cache cache;
  private final Duration heartbeat;
  private final Backoff backoff;
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final WebSocketClient wsClient;
  private final ExecutorService dispatcher;
  private final Map<String, ConfigView> views = new ConcurrentHashMap<>();
  /** Namespaces waiting for the answer to a re-subscribe; deltas that do not fit are ignored meanwhile. */
  private final Map<String, Boolean> resyncing = new ConcurrentHashMap<>();

  // Connection state: touched only on the client's Vert.x context.
  private WebSocket current;
  private int generation;
  private int attempt;
  private int nextEndpoint;
  private long lastFrameAt;
  private long heartbeatTimer = -1;
  private int upgradeRejections;
  private URI pollingEndpoint;
  private final io.vertx.core.http.HttpClient http;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile Thread dispatchThread;

  private HeraldClient(Builder b) {
    this.endpoints = List.copyOf(b.endpoints);
    this.token = b.token;
    this.clientId = b.clientId != null ? b.clientId : defaultClientId();
    this.labels = Map.copyOf(b.labels);
    this.cache = b.cacheDir == null ? null : new Cache(b.cacheDir);
    this.heartbeat = b.heartbeat;
    this.backoff = new Backoff(b.backoffInitial, b.backoffMax);
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)) : b.vertx;
    this.context = vertx.getOrCreateContext();
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout((int) b.connectTimeout.toMillis())
        .setMaxMessageSize(256 * 1024 * 1024)
        .setMaxFrameSize(16 * 1024 * 1024));
    this.http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setConnectTimeout((int) b.connectTimeout.toMillis()));
    this.dispatcher = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "herald-client-dispatch-" + clientId);
      t.setDaemon(true);
      dispatchThread = t;
      return t;
    });
    context.runOnContext(v -> {
      heartbeatTimer = vertx.setPeriodic(heartbeat.toMillis(), t -> heartbeat());
      connect();
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  public String clientId() {
    return clientId;
  }

  /** True while a WebSocket to a hub is open and greeted. */
  public boolean connected() {
    return connected;
  }

  /**
   * Subscribes to a namespace (idempotent) and returns its live view. With a cache directory, the
   * last version applied before is available at once, marked {@link ConfigView#fromCache()}.
   */
  public ConfigView subscribe(String namespace) {
    Objects.requireNonNull(namespace);
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    ConfigView existing = views.get(namespace);
    if (existing != null) {
      return existing;
    }
    ConfigView view = new ConfigView(namespace);
    // Load the cache before the view is visible to the connection, so no hub answer can race it.
    Cache.Entry cached = cache == null ? null : cache.read(namespace);
    if (cached != null) {
      view.loadFromCache(cached);
    }
    if (views.putIfAbsent(namespace, view) != null) {
      return views.get(namespace);
    }
    if (cached != null) {
      LOG.info("herald: " + namespace + " starts from the local cache at version " + cached.version());
    }
    context.runOnContext(v -> {
      if (current != null) {
        sendSubscribe(current, view);
      } else if (pollingEndpoint != null) {
        poll(generation, pollingEndpoint, view);
      }
    });
    return view;
  }

  // ---- connection, on the client's context ----

  private void connect() {
    if (closed) {
      return;
    }
    URI ep = endpoints.get(Math.floorMod(nextEndpoint++, endpoints.size()));
    boolean tls = "https".equals(ep.getScheme()) || "wss".equals(ep.getScheme());
    int port = ep.getPort() > 0 ? ep.getPort() : tls ? 443 : 80;
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(ep.getHost()).setPort(port).setSsl(tls)
        .setURI("/v1/ws").putHeader("Authorization", "Bearer " + token);
    wsClient.connect(options).onComplete(ar -> {
      if (closed) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        LOG.fine("herald: cannot reach " + ep + ": " + ar.cause());
        if (ar.cause() instanceof io.vertx.core.http.UpgradeRejectedException && ++upgradeRejections >= 2) {
          startPolling(ep);
        } else {
          scheduleReconnect();
        }
        return;
      }
      WebSocket ws = ar.result();
      int gen = ++generation;
      pollingEndpoint = null;
      upgradeRejections = 0;
      current = ws;
      lastFrameAt = System.currentTimeMillis();
      ws.textMessageHandler(text -> {
        lastFrameAt = System.currentTimeMillis();
        dispatch(() -> handle(gen, text));
      });
      ws.pongHandler(b -> lastFrameAt = System.currentTimeMillis());
      ws.exceptionHandler(e -> LOG.fine("herald: connection to " + ep + ": " + e));
      ws.closeHandler(v -> {
        if (gen == generation) {
          current = null;
          connected = false;
          LOG.info("herald: connection to " + ep + " closed (" + ws.closeStatusCode() + "); reconnecting");
          scheduleReconnect();
        }
      });
      JsonObject hello = new JsonObject().put("type", "hello").put("client_id", clientId)
          .put("labels", new JsonObject(new LinkedHashMap<>(labels)));
      ws.writeTextMessage(hello.encode());
      for (ConfigView view : views.values()) {
        sendSubscribe(ws, view);
      }
    });
  }

  /**
   * The hub answers but something on the way refuses WebSocket upgrades: follow the namespaces by
   * long polling {@code /watch} on that endpoint, and try a WebSocket again every minute. A polling
   * client cannot ack (acks travel on the WebSocket only).
   */
  private void startPolling(URI ep) {
    LOG.warning("herald: WebSocket upgrade refused by " + ep + "; following by long poll");
    int gen = ++generation;
    pollingEndpoint = ep;
    for (ConfigView view : views.values()) {
      poll(gen, ep, view);
    }
    vertx.setTimer(POLL_RETRY_WEBSOCKET_MS, t -> {
      if (gen == generation && !closed) {
        upgradeRejections = 1; // one more refusal goes straight back to polling
        generation++;
        pollingEndpoint = null;
        connect();
      }
    });
  }

  private static final long POLL_RETRY_WEBSOCKET_MS = 60_000;

  private void poll(int gen, URI ep, ConfigView view) {
    if (closed || gen != generation) {
      return;
    }
    boolean tls = "https".equals(ep.getScheme());
    int port = ep.getPort() > 0 ? ep.getPort() : tls ? 443 : 80;
    String uri = "/v1/namespaces/" + view.namespace() + "/watch?timeout=30s&since=" + Math.max(view.hubVersion(), 0);
    http.request(new io.vertx.core.http.RequestOptions().setHost(ep.getHost()).setPort(port).setSsl(tls).setURI(uri)
            .putHeader("Authorization", "Bearer " + token).setIdleTimeout(45_000))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode() == 200 ? body.toString() : ""))
        .onComplete(ar -> {
          if (ar.succeeded() && !ar.result().isEmpty()) {
            String text = ar.result();
            dispatch(() -> {
              handle(gen, text);
              context.runOnContext(v -> poll(gen, ep, view));
            });
          } else if (ar.succeeded()) {
            poll(gen, ep, view); // 304: nothing new within the timeout
          } else {
            vertx.setTimer(Math.max(1, backoff.delayMs(3)), t -> poll(gen, ep, view));
          }
        });
  }

  private void sendSubscribe(WebSocket ws, ConfigView view) {
    long since = Math.max(view.hubVersion(), 0);
    JsonObject sub = new JsonObject().put("type", "subscribe").put("namespace", view.namespace());
    if (since > 0) {
      sub.put("since", since);
    }
    ws.writeTextMessage(sub.encode());
  }

  private void scheduleReconnect() {
    if (closed) {
      return;
    }
    long delay = backoff.delayMs(attempt++);
    vertx.setTimer(Math.max(1, delay), t -> connect());
  }

  /** Pings the hub; a connection silent for three intervals is dead even if TCP has not noticed. */
  private void heartbeat() {
    if (current == null) {
      return;
    }
    if (System.currentTimeMillis() - lastFrameAt > 3 * heartbeat.toMillis()) {
      LOG.info("herald: no frame from the hub for " + 3 * heartbeat.toMillis() + " ms; reconnecting");
      WebSocket dead = current;
      current = null;
      connected = false;
      generation++;
      dead.close((short) 1001, "heartbeat timeout");
      scheduleReconnect();
      return;
    }
    current.writeTextMessage("{\"type\":\"ping\"}");
  }

  /** Sends on the connection that delivered the frame being answered, if it is still the current one. */
  private void send(int gen, JsonObject frame) {
    String text = frame.encode();
    context.runOnContext(v -> {
      if (gen == generation && current != null) {
        current.writeTextMessage(text);
      }
    });
  }

  // ---- frames, on the dispatch thread, in arrival order ----

  private void dispatch(Runnable task) {
    try {
      dispatcher.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // close() is under way: frames still arriving are dropped
    }
  }

  private void handle(int gen, String text) {
    JsonObject f;
    try {
      f = new JsonObject(text);
    } catch (RuntimeException e) {
      return;
    }
    String type = f.getString("type", "");
    switch (type) {
      case "welcome" -> context.runOnContext(v -> {
        if (gen == generation) {
          attempt = 0;
          connected = true;
        }
      });
      case "snapshot" -> snapshot(gen, f);
      case "delta" -> delta(gen, f);
      case "error" -> LOG.warning("herald: hub error " + f.getString("code") + ": " + f.getString("message"));
      default -> { }
    }
  }

  private void snapshot(int gen, JsonObject f) {
    ConfigView view = views.get(f.getString("namespace"));
    if (view == null) {
      return;
    }
    resyncing.remove(view.namespace());
    Map<String, Object> entries = new LinkedHashMap<>();
    f.getJsonObject("entries").forEach(e -> entries.put(e.getKey(), e.getValue()));
    long version = f.getLong("version");
    finish(gen, view, version, view.receiveSnapshot(version, entries));
  }

  private void delta(int gen, JsonObject f) {
    ConfigView view = views.get(f.getString("namespace"));
    if (view == null) {
      return;
    }
    long base = f.getLong("base");
    long version = f.getLong("version");
    long have = view.hubVersion();
    if (version <= have && base != have) {
      return; // already have it (a replay racing a re-subscribe)
    }
    if (base != have) {
      // A gap: ask the hub to bring us from where we really are. Ignore deltas until it answers.
      if (resyncing.putIfAbsent(view.namespace(), Boolean.TRUE) == null) {
        send(gen, new JsonObject().put("type", "subscribe").put("namespace", view.namespace())
            .put("since", Math.max(have, 0)));
      }
      return;
    }
    resyncing.remove(view.namespace());
    // An empty delta (base == version) confirms a version; from the cache, it makes it live.
    finish(gen, view, version, view.receiveDelta(version, f.getJsonArray("changes", new JsonArray())));
  }

  private void finish(int gen, ConfigView view, long version, ConfigView.Outcome outcome) {
    if (outcome.applied() && cache != null) {
      cache.write(view.namespace(), version, view.entriesForCache());
    }
    ack(gen, view.namespace(), version, outcome.applied() ? null : outcome.error());
  }

  private void ack(int gen, String namespace, long version, String error) {
    JsonObject ack = new JsonObject().put("type", "ack").put("namespace", namespace).put("version", version);
    if (error == null) {
      ack.put("status", "applied");
    } else {
      ack.put("status", "rejected").put("error", error);
    }
    send(gen, ack);
  }

  /**
   * Closes the connection and stops every thread this client started. Called from a listener or
   * from the client's own Vert.x context it does not wait (it would wait on itself); the threads
   * stop right after.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    io.vertx.core.Promise<Void> socketClosed = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      vertx.cancelTimer(heartbeatTimer);
      WebSocket ws = current;
      current = null;
      connected = false;
      generation++;
      (ws == null ? io.vertx.core.Future.<Void>succeededFuture() : ws.close((short) 1000, "client closed"))
          .transform(x -> wsClient.close())
          .transform(x -> http.close())
          .onComplete(x -> socketClosed.complete());
    });
    Runnable finish = () -> {
      try {
        socketClosed.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        dispatcher.shutdown();
        dispatcher.awaitTermination(5, TimeUnit.SECONDS);
        if (ownsVertx) {
          // From outside Vert.x's own threads, whose tasks stop running as it closes.
          vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        LOG.warning("herald: close did not finish cleanly: " + e);
      }
    };
    if (Thread.currentThread() == dispatchThread || Vertx.currentContext() == context) {
      Thread closer = new Thread(finish, "herald-client-close-" + clientId);
      closer.setDaemon(true);
      closer.start();
    } else {
      finish.run();
    }
  }

  private static String defaultClientId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown";
    }
    return (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._:@/-]", "-");
  }

  /** Configures a {@link HeraldClient}. Only {@link #endpoints} and {@link #token} are required. */
  public static final class Builder {
    private final List<URI> endpoints = new ArrayList<>();
    private String token;
    private String clientId;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private Path cacheDir;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration heartbeat = Duration.ofSeconds(10);
    private Duration backoffInitial = Duration.ofMillis(200);
    private Duration backoffMax = Duration.ofSeconds(30);
    private Vertx vertx;

    private Builder() {
    }

    /** Hub base URLs such as {@code http://hub-a:8080}; tried in turn, one at a time. */
    public Builder endpoints(String... urls) {
      for (String u : urls) {
        endpoints.add(URI.create(u));
      }
      return this;
    }

    public Builder token(String token) {
      this.token = token;
      return this;
    }

    /** Defaults to host name and process id. */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    public Builder label(String name, String value) {
      labels.put(name, value);
      return this;
    }

    /** Where the last applied version of each namespace is kept; none by default. */
    public Builder cacheDir(Path dir) {
      this.cacheDir = dir;
      return this;
    }

    public Builder connectTimeout(Duration d) {
      this.connectTimeout = d;
      return this;
    }

    /** Ping interval; a connection silent for three intervals is replaced. Default 10 s. */
    public Builder heartbeat(Duration d) {
      this.heartbeat = d;
      return this;
    }

    /** Reconnect delays: attempt n waits a random time up to min(max, initial * 2^n). */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /** Use this Vert.x instance (a Vert.x application's own) instead of starting one. */
    public Builder vertx(Vertx vertx) {
      this.vertx = vertx;
      return this;
    }

    public HeraldClient build() {
      if (endpoints.isEmpty()) {
        throw new IllegalArgumentException("at least one endpoint is needed");
      }
      Objects.requireNonNull(token, "token");
      return new HeraldClient(this);
    }
  }
}
