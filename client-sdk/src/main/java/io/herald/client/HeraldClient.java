package io.herald.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A Herald client: follows each subscribed namespace from one of the configured hubs, acks each
 * version, reconciles with the hub now and then, and survives hubs coming and going.
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
 * <p>With {@link Transport#WEBSOCKET} (the default) it holds one WebSocket and every
 * {@code syncInterval} compares each namespace's version and content digest with the hub, which
 * repairs a client that silently drifted and offers a rejected version again. With
 * {@link Transport#PULL} it pulls every {@code pollInterval} and acks over HTTP.
 *
 * <p>Threads: the client's network I/O runs on a Vert.x event loop (its own Vert.x instance unless
 * one is given to the builder); listeners run on one dispatch thread per client, in version order.
 * Every public method is thread-safe. {@link #close()} stops every thread the client started.
 * It logs through {@code java.util.logging}, logger {@code io.herald.client.HeraldClient}.
 */
public final class HeraldClient implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(HeraldClient.class.getName());
  /** While following by long poll because upgrades were refused, a WebSocket is tried again this often. */
  private static final long POLL_RETRY_WEBSOCKET_MS = 60_000;
  /** How long a long poll waits at the hub. */
  private static final long LONG_POLL_SECONDS = 30;

  private final List<URI> endpoints;
  private final String token;
  private final String clientId;
  private final Map<String, String> labels;
  private final Cache cache;
  private final Duration heartbeat;
  private final Duration syncInterval;
  private final Duration pollInterval;
  private final Transport transport;
  private final Backoff backoff;
  private final long backoffMaxMs;
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Context context;
  private final WebSocketClient wsClient;
  private final HttpClient http;
  private final ExecutorService dispatcher;
  private final ClientMeters meters;
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
  private long syncTimer = -1;
  private int upgradeRejections;
  private boolean wsOpenedBefore;
  /** Following over HTTP (long-poll fallback or pull mode): the endpoint asked; null on a WebSocket. */
  private URI httpEndpoint;
  /** The generation each namespace's poll loop runs for: one loop per namespace. */
  private final Map<String, Integer> pollLoops = new HashMap<>();
  /** Failed polls in a row per namespace, for their backoff. */
  private final Map<String, Integer> pollFailures = new HashMap<>();
  /** HTTP acks that failed, per namespace: sent again after the next answered poll. */
  private final Map<String, PendingAck> unsentAcks = new HashMap<>();
  /** When each kind of problem was last logged loudly: SEVERE or WARNING once, then once per longest backoff. */
  private final Map<ClientStatus.Problem.Kind, Long> loudAt = new HashMap<>();

  private volatile boolean closed;
  private volatile boolean connected;
  /** A hub answered at least once (welcome, or a poll answered): "unreachable" no longer applies. */
  private volatile boolean reachedHub;
  private volatile ClientStatus.Mode mode;
  private volatile URI endpointInUse;
  private volatile ClientStatus.Problem lastError;
  private final AtomicLong reconnects = new AtomicLong();
  private volatile Thread dispatchThread;

  private record PendingAck(long version, String error) {
  }

  private record Answer(int status, String body) {
  }

  private HeraldClient(Builder b) {
    this.endpoints = List.copyOf(b.endpoints);
    this.token = b.token;
    this.clientId = b.clientId != null ? b.clientId : defaultClientId();
    this.labels = Map.copyOf(b.labels);
    this.cache = b.cacheDir == null ? null : new Cache(b.cacheDir);
    this.heartbeat = b.heartbeat;
    this.syncInterval = b.syncInterval;
    this.pollInterval = b.pollInterval;
    this.transport = b.transport;
    this.backoff = new Backoff(b.backoffInitial, b.backoffMax);
    this.backoffMaxMs = Math.max(1, b.backoffMax.toMillis());
    this.mode = transport == Transport.PULL ? ClientStatus.Mode.PULL : ClientStatus.Mode.WEBSOCKET;
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)) : b.vertx;
    this.context = vertx.getOrCreateContext();
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout((int) b.connectTimeout.toMillis())
        .setMaxMessageSize(256 * 1024 * 1024)
        .setMaxFrameSize(16 * 1024 * 1024));
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) b.connectTimeout.toMillis()));
    this.dispatcher = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "herald-client-dispatch-" + clientId);
      t.setDaemon(true);
      dispatchThread = t;
      return t;
    });
    this.meters = ClientMeters.create(this, b.meterRegistry, b.metrics);
    context.runOnContext(v -> {
      if (transport == Transport.PULL) {
        followOverHttp(++generation, nextEndpoint());
      } else {
        heartbeatTimer = vertx.setPeriodic(heartbeat.toMillis(), t -> heartbeat());
        connect();
      }
      scheduleSync();
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  public String clientId() {
    return clientId;
  }

  /**
   * True while the client follows a hub: a WebSocket is open and greeted, or (long poll, pull mode)
   * the last request to the hub was answered.
   */
  public boolean connected() {
    return connected;
  }

  /** What the client knows about itself now: connection, versions, last error, last rejection, last sync. */
  public ClientStatus status() {
    Map<String, ClientStatus.NamespaceStatus> namespaces = new TreeMap<>();
    views.forEach((ns, view) -> namespaces.put(ns, view.status()));
    URI ep = endpointInUse;
    return new ClientStatus(clientId, mode, connected, ep == null ? null : ep.toString(), lastError, reconnects.get(),
        Collections.unmodifiableMap(namespaces));
  }

  /**
   * Subscribes to a namespace (idempotent) and returns its live view. With a cache directory, the
   * last version applied before is available at once, marked {@link ConfigView#fromCache()}.
   */
  public ConfigView subscribe(String namespace) {
    return subscribe(namespace, null);
  }

  /**
   * Subscribes with a listener that is in place before any version arrives, so it also validates
   * the first version from the hub (a listener added after {@link #subscribe(String)} may miss it).
   * If the namespace is subscribed already, the listener is added to its view.
   */
  public ConfigView subscribe(String namespace, ChangeListener listener) {
    Objects.requireNonNull(namespace);
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    ConfigView existing = views.get(namespace);
    if (existing != null) {
      if (listener != null) {
        existing.addListener(listener);
      }
      return existing;
    }
    ConfigView view = new ConfigView(namespace, this::whyNotReady);
    if (listener != null) {
      view.addListener(listener);
    }
    // Load the cache before the view is visible to the connection, so no hub answer can race it.
    Cache.Entry cached = cache == null ? null : cache.read(namespace);
    if (cached != null) {
      view.loadFromCache(cached);
    }
    if (views.putIfAbsent(namespace, view) != null) {
      return subscribe(namespace, listener);
    }
    if (cached != null) {
      LOG.info("herald: " + namespace + " starts from the local cache at version " + cached.version());
    }
    meters.view(view);
    context.runOnContext(v -> {
      if (current != null) {
        sendSubscribe(current, view);
      } else if (httpEndpoint != null) {
        startPoll(generation, view);
      }
    });
    return view;
  }

  private ConfigView.Initial whyNotReady() {
    ClientStatus.Problem p = lastError;
    if (!connected && p != null && p.kind() == ClientStatus.Problem.Kind.AUTHENTICATION) {
      return ConfigView.Initial.AUTHENTICATION_FAILED;
    }
    return reachedHub ? ConfigView.Initial.WAITING : ConfigView.Initial.UNREACHABLE;
  }

  // ---- connection, on the client's context ----

  private URI nextEndpoint() {
    URI ep = endpoints.get(Math.floorMod(nextEndpoint++, endpoints.size()));
    endpointInUse = ep;
    return ep;
  }

  private static boolean tls(URI ep) {
    return "https".equals(ep.getScheme()) || "wss".equals(ep.getScheme());
  }

  private static int port(URI ep) {
    return ep.getPort() > 0 ? ep.getPort() : tls(ep) ? 443 : 80;
  }

  private void connect() {
    if (closed) {
      return;
    }
    URI ep = nextEndpoint();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(ep.getHost()).setPort(port(ep))
        .setSsl(tls(ep)).setURI("/v1/ws").putHeader("Authorization", "Bearer " + token);
    wsClient.connect(options).onComplete(ar -> {
      if (closed) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        connectFailed(ep, ar.cause());
        return;
      }
      WebSocket ws = ar.result();
      int gen = ++generation;
      httpEndpoint = null;
      mode = ClientStatus.Mode.WEBSOCKET;
      upgradeRejections = 0;
      current = ws;
      if (wsOpenedBefore) {
        reconnects.incrementAndGet();
        meters.reconnected();
      }
      wsOpenedBefore = true;
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
   * A refused token is an authentication error, not a missing WebSocket; so are overload and
   * server errors. Only other refusals of the upgrade, twice, mean that something on the way does
   * not speak WebSocket: then the client follows by long poll.
   */
  private void connectFailed(URI ep, Throwable cause) {
    if (cause instanceof UpgradeRejectedException r) {
      int status = r.getStatus();
      if (status == 401 || status == 403) {
        authFailed(ep, status, r.getBody());
        scheduleReconnect();
        return;
      }
      if (status == 429 || status >= 500) {
        problem(ClientStatus.Problem.Kind.REFUSED, "WebSocket upgrade at " + ep + " answered " + status + body(r.getBody()),
            Level.WARNING);
        scheduleReconnect();
        return;
      }
      problem(ClientStatus.Problem.Kind.REFUSED, "WebSocket upgrade at " + ep + " refused with " + status, Level.FINE);
      if (++upgradeRejections >= 2) {
        startLongPoll(ep);
      } else {
        scheduleReconnect();
      }
      return;
    }
    problem(ClientStatus.Problem.Kind.UNREACHABLE, "cannot reach " + ep + ": " + cause, Level.FINE);
    scheduleReconnect();
  }

  private static String body(Buffer body) {
    String text = body == null ? "" : body.toString().trim();
    return text.isEmpty() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
  }

  private void authFailed(URI ep, int status, Buffer body) {
    problem(ClientStatus.Problem.Kind.AUTHENTICATION, "the hub at " + ep + " refused the token (" + status + body(body)
        + "); check the token; retrying with backoff", Level.SEVERE);
  }

  /**
   * Records a problem and logs it at {@code level} the first time, then at most once per longest
   * backoff while problems of that kind go on (FINE in between), so a client that cannot succeed
   * says so clearly without flooding the log.
   */
  private void problem(ClientStatus.Problem.Kind kind, String message, Level level) {
    lastError = new ClientStatus.Problem(kind, message, Instant.now());
    long now = System.currentTimeMillis();
    Long last = loudAt.get(kind);
    if (level.intValue() > Level.FINE.intValue() && (last == null || now - last >= backoffMaxMs)) {
      loudAt.put(kind, now);
      LOG.log(level, "herald: " + message);
    } else {
      LOG.fine("herald: " + message);
    }
  }

  /** A hub answered: problems logged from now on are news again. */
  private void answered(URI ep) {
    connected = true;
    reachedHub = true;
    endpointInUse = ep;
    loudAt.clear();
  }

  /**
   * The hub answers but something on the way refuses WebSocket upgrades: follow the namespaces by
   * long polling {@code /watch} on that endpoint, ack over HTTP, and try a WebSocket again every
   * minute.
   */
  private void startLongPoll(URI ep) {
    LOG.warning("herald: WebSocket upgrade refused by " + ep + "; following by long poll and acking over HTTP");
    int gen = ++generation;
    mode = ClientStatus.Mode.LONG_POLL;
    followOverHttp(gen, ep);
    vertx.setTimer(POLL_RETRY_WEBSOCKET_MS, t -> {
      if (gen == generation && !closed) {
        upgradeRejections = 1; // one more refusal goes straight back to polling
        generation++;
        httpEndpoint = null;
        connect();
      }
    });
  }

  private void followOverHttp(int gen, URI ep) {
    httpEndpoint = ep;
    endpointInUse = ep;
    for (ConfigView view : views.values()) {
      startPoll(gen, view);
    }
  }

  private void startPoll(int gen, ConfigView view) {
    if (!Objects.equals(pollLoops.put(view.namespace(), gen), gen)) {
      poll(gen, view);
    }
  }

  /**
   * One request of a namespace's poll loop: {@code /watch} from the version the hub last brought
   * us to, as a long poll or (pull mode with a poll interval) a plain pull. 200 and 304 go on;
   * anything else backs off.
   */
  private void poll(int gen, ConfigView view) {
    if (closed || gen != generation || httpEndpoint == null) {
      return;
    }
    URI ep = httpEndpoint;
    String ns = view.namespace();
    boolean plainPull = mode == ClientStatus.Mode.PULL && !pollInterval.isZero();
    request(ep, HttpMethod.GET, watchUri(view, plainPull), null, (LONG_POLL_SECONDS + 15) * 1000).onComplete(ar -> {
      if (closed || gen != generation) {
        return;
      }
      if (ar.succeeded() && (ar.result().status() == 200 || ar.result().status() == 304)) {
        answered(ep);
        pollFailures.remove(ns);
        Answer a = ar.result();
        dispatch(() -> {
          if (a.status() == 200) {
            handle(gen, a.body());
          }
          view.synced(ClientStatus.SyncResult.PULLED);
          context.runOnContext(v -> {
            resendAck(gen, ns);
            if (plainPull) {
              vertx.setTimer(jittered(pollInterval), t -> poll(gen, view));
            } else {
              poll(gen, view);
            }
          });
        });
        return;
      }
      connected = false;
      if (ar.failed()) {
        problem(ClientStatus.Problem.Kind.UNREACHABLE, "cannot reach " + ep + ": " + ar.cause(), Level.FINE);
        if (mode == ClientStatus.Mode.PULL && endpoints.size() > 1 && ep.equals(httpEndpoint)) {
          httpEndpoint = nextEndpoint(); // pull mode fails over like a WebSocket would
        }
      } else if (ar.result().status() == 401 || ar.result().status() == 403) {
        authFailed(ep, ar.result().status(), Buffer.buffer(ar.result().body()));
      } else {
        problem(ClientStatus.Problem.Kind.REFUSED, ep + " answered " + ar.result().status() + " to a poll of " + ns
            + body(Buffer.buffer(ar.result().body())), Level.WARNING);
      }
      int failures = pollFailures.merge(ns, 1, Integer::sum);
      vertx.setTimer(Math.max(1, backoff.delayMs(failures - 1)), t -> poll(gen, view));
    });
  }

  private String watchUri(ConfigView view, boolean plainPull) {
    return "/v1/namespaces/" + view.namespace() + "/watch?timeout=" + (plainPull ? "0" : LONG_POLL_SECONDS + "s")
        + "&since=" + Math.max(view.hubVersion(), 0) + "&client_id=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8);
  }

  /**
   * One plain pull besides the namespace's poll loop, whose long poll may wait half a minute:
   * after a reconciliation rewound the namespace, what it rejected is offered again at once.
   */
  private void pullOnce(int gen, ConfigView view) {
    URI ep = httpEndpoint;
    if (closed || gen != generation || ep == null) {
      return;
    }
    request(ep, HttpMethod.GET, watchUri(view, true), null, 30_000).onSuccess(a -> {
      if (a.status() == 200 && gen == generation) {
        dispatch(() -> handle(gen, a.body()));
      }
    });
  }

  private Future<Answer> request(URI ep, HttpMethod method, String uri, String body, long idleTimeoutMs) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost(ep.getHost()).setPort(port(ep))
        .setSsl(tls(ep)).setURI(uri).putHeader("Authorization", "Bearer " + token).setIdleTimeout(idleTimeoutMs);
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return http.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.toString())));
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

  /** A random time within a quarter of {@code d} either way, so a fleet does not act in lock step. */
  private static long jittered(Duration d) {
    long ms = Math.max(1, d.toMillis());
    return Math.max(1, ms * 3 / 4 + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
  }

  private void scheduleSync() {
    if (syncInterval.isZero() || closed) {
      return;
    }
    syncTimer = vertx.setTimer(jittered(syncInterval), t -> {
      reconcile();
      scheduleSync();
    });
  }

  /**
   * Reconciliation. On a WebSocket: a {@code sync} frame per namespace with the version and the
   * content digest the application runs; the hub confirms or repairs. Over HTTP: the next poll
   * starts from the version the application runs. Either way a version a listener rejected is
   * offered again, so a fixed listener or a transient failure recovers without a restart.
   */
  private void reconcile() {
    int gen = generation;
    if (current != null && connected) {
      for (ConfigView view : views.values()) {
        dispatch(() -> sendSync(gen, view));
      }
    } else if (httpEndpoint != null) {
      for (ConfigView view : views.values()) {
        dispatch(() -> {
          if (view.rewindToAccepted()) {
            LOG.info("herald: " + view.namespace() + ": offering what a listener rejected again, from version "
                + view.version());
            context.runOnContext(v -> pullOnce(gen, view));
          }
        });
      }
    }
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
          answered(endpointInUse);
        }
      });
      case "snapshot" -> snapshot(gen, f);
      case "delta" -> delta(gen, f);
      case "in_sync" -> {
        ConfigView view = views.get(f.getString("namespace"));
        if (view != null) {
          view.synced(ClientStatus.SyncResult.IN_SYNC);
        }
      }
      case "out_of_sync" -> outOfSync(f);
      case "error" -> hubError(f);
      default -> { }
    }
  }

  private void hubError(JsonObject f) {
    String code = f.getString("code", "");
    String message = "hub error " + code + (f.getString("namespace") == null ? "" : " for " + f.getString("namespace"))
        + ": " + f.getString("message");
    ClientStatus.Problem.Kind kind = switch (code) {
      case "forbidden" -> ClientStatus.Problem.Kind.AUTHENTICATION;
      case "client_id_taken", "too_many_clients" -> ClientStatus.Problem.Kind.CLIENT_ID;
      default -> null;
    };
    if (kind != null) {
      context.runOnContext(v -> problem(kind, message, Level.SEVERE));
    } else {
      LOG.warning("herald: " + message);
    }
  }

  /** Reconciliation found a difference; the frames that repair it follow. */
  private void outOfSync(JsonObject f) {
    ConfigView view = views.get(f.getString("namespace"));
    if (view == null) {
      return;
    }
    long version = f.getLong("version", -1L);
    String reason = f.getString("reason", "");
    ClientStatus.SyncResult result = switch (reason) {
      case "digest_mismatch" -> ClientStatus.SyncResult.DIGEST_MISMATCH;
      case "unknown_version" -> ClientStatus.SyncResult.UNKNOWN_VERSION;
      default -> ClientStatus.SyncResult.BEHIND;
    };
    view.synced(result);
    if (result != ClientStatus.SyncResult.BEHIND) {
      LOG.warning("herald: " + view.namespace() + " at version " + version + " does not match the hub (" + reason
          + "); replacing it with the hub's snapshot");
      meters.drifted(view.namespace());
    } else if (view.syncedVersion() == version && view.syncedWithRejection()) {
      LOG.info("herald: " + view.namespace() + ": offering what a listener rejected after version " + version + " again");
    } else if (view.hubVersion() <= version) {
      LOG.warning("herald: " + view.namespace() + " was behind the hub at version " + version
          + " (deltas lost on the way); catching up");
      meters.drifted(view.namespace());
    } else {
      LOG.fine("herald: " + view.namespace() + " moved past version " + version + " while its sync was answered");
    }
  }

  /** On the dispatch thread: claims the version and digest the application runs (see {@link #reconcile}). */
  private void sendSync(int gen, ConfigView view) {
    boolean rejected = view.rewindToAccepted();
    long version = view.version();
    if (version < 0) {
      if (rejected) { // the first version was rejected: ask for the head again
        send(gen, new JsonObject().put("type", "subscribe").put("namespace", view.namespace()));
      }
      return;
    }
    view.syncSent(version, rejected);
    send(gen, new JsonObject().put("type", "sync").put("namespace", view.namespace()).put("version", version)
        .put("digest", ContentDigest.of(view.asMap())));
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
      // (Over HTTP the next poll does, from the same version.)
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
    if (!outcome.applied()) {
      LOG.warning("herald: " + view.namespace() + " version " + version + " rejected by a listener (" + outcome.error()
          + "); the application keeps version " + view.version());
      meters.rejected(view.namespace());
    }
    ack(gen, view.namespace(), version, outcome.applied() ? null : outcome.error());
  }

  /** On the WebSocket the version came on, or over HTTP when following by poll. */
  private void ack(int gen, String namespace, long version, String error) {
    JsonObject ack = new JsonObject().put("type", "ack").put("namespace", namespace).put("version", version);
    if (error == null) {
      ack.put("status", "applied");
    } else {
      ack.put("status", "rejected").put("error", error);
    }
    String text = ack.encode();
    context.runOnContext(v -> {
      if (gen != generation) {
        return;
      }
      if (current != null) {
        current.writeTextMessage(text);
      } else if (httpEndpoint != null) {
        postAck(gen, namespace, new PendingAck(version, error));
      }
    });
  }

  /**
   * {@code POST .../versions/{v}/acks}. The hub answers once the ack is durable. A refused
   * client_id (409, 429) is a configuration error: logged, not retried. Any other failure is
   * retried after the next answered poll.
   */
  private void postAck(int gen, String namespace, PendingAck ack) {
    if (ack.version() <= 0) {
      return; // a namespace without revisions: the poll's client_id already shows the client
    }
    JsonObject body = new JsonObject().put("client_id", clientId).put("status", ack.error() == null ? "applied" : "rejected")
        .put("labels", new JsonObject(new LinkedHashMap<>(labels)));
    if (ack.error() != null) {
      body.put("error", ack.error());
    }
    URI ep = httpEndpoint;
    request(ep, HttpMethod.POST, "/v1/namespaces/" + namespace + "/versions/" + ack.version() + "/acks", body.encode(),
        30_000).onComplete(ar -> {
          if (closed || gen != generation) {
            return;
          }
          int status = ar.succeeded() ? ar.result().status() : 0;
          if (status == 200) {
            return;
          }
          if (status == 409 || status == 429) {
            problem(ClientStatus.Problem.Kind.CLIENT_ID, "the hub will not record client '" + clientId + "' of "
                + namespace + " (" + status + body(Buffer.buffer(ar.result().body())) + "); use another client id",
                Level.SEVERE);
            return;
          }
          if (status == 401 || status == 403) {
            authFailed(ep, status, Buffer.buffer(ar.result().body()));
          } else {
            problem(ar.failed() ? ClientStatus.Problem.Kind.UNREACHABLE : ClientStatus.Problem.Kind.REFUSED,
                "ack of " + namespace + " version " + ack.version() + " failed ("
                    + (ar.failed() ? ar.cause() : status + body(Buffer.buffer(ar.result().body()))) + "); sent again later",
                Level.WARNING);
          }
          unsentAcks.merge(namespace, ack, (old, next) -> next.version() >= old.version() ? next : old);
        });
  }

  private void resendAck(int gen, String namespace) {
    PendingAck ack = unsentAcks.remove(namespace);
    if (ack != null) {
      postAck(gen, namespace, ack);
    }
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
    meters.close();
    Promise<Void> socketClosed = Promise.promise();
    context.runOnContext(v -> {
      vertx.cancelTimer(heartbeatTimer);
      vertx.cancelTimer(syncTimer);
      WebSocket ws = current;
      current = null;
      httpEndpoint = null;
      connected = false;
      generation++;
      (ws == null ? Future.<Void>succeededFuture() : ws.close((short) 1000, "client closed"))
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
    private Transport transport = Transport.WEBSOCKET;
    private Duration syncInterval = Duration.ofMinutes(5);
    private Duration pollInterval = Duration.ofSeconds(60);
    private Object meterRegistry;
    private boolean metrics = true;
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

    /** How the client is known in the rollout API; defaults to host name and process id. Keep it stable across restarts. */
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

    /** Reconnect and retry delays: attempt n waits a random time up to min(max, initial * 2^n). Default 200 ms, 30 s. */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /** {@link Transport#WEBSOCKET} (default) or {@link Transport#PULL}. */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport);
      return this;
    }

    /**
     * How often the client reconciles each namespace with the hub (version and content digest on a
     * WebSocket; over HTTP the next pull starts from the version the application runs), and so how
     * soon a rejected version is offered again. Jittered by a quarter either way. Default 5 min;
     * {@code Duration.ZERO} turns it off.
     */
    public Builder syncInterval(Duration d) {
      this.syncInterval = d;
      return this;
    }

    /**
     * Pull mode: the time between pulls (jittered by a quarter either way). Default 60 s;
     * {@code Duration.ZERO} long-polls instead: a change arrives within milliseconds, one request
     * open per namespace.
     */
    public Builder pollInterval(Duration d) {
      this.pollInterval = d;
      return this;
    }

    /**
     * The Micrometer registry for the client's meters (default: Micrometer's global registry, when
     * Micrometer is on the class path). Typed {@code Object} so that the SDK does not need
     * Micrometer: pass an {@code io.micrometer.core.instrument.MeterRegistry}.
     */
    public Builder meterRegistry(Object registry) {
      this.meterRegistry = registry;
      return this;
    }

    /** Whether to register meters at all when Micrometer is on the class path. Default true. */
    public Builder metrics(boolean enabled) {
      this.metrics = enabled;
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
      for (Duration d : List.of(connectTimeout, heartbeat, backoffInitial, backoffMax, syncInterval, pollInterval)) {
        if (d.isNegative()) {
          throw new IllegalArgumentException("durations must not be negative: " + d);
        }
      }
      if (heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive");
      }
      return new HeraldClient(this);
    }
  }
}
