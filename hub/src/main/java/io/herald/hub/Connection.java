package io.herald.hub;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * One client WebSocket: the protocol of docs/protocol.md. Confined to its verticle's event loop.
 * Bad frames get error frames and change nothing; a client that keeps sending them is closed.
 */
final class Connection {

  static final int MAX_ERRORS = 100;
  static final short CLOSE_GOING_AWAY = 1001;
  static final short CLOSE_POLICY = 1008;

  final Fanout fanout;
  final ServerWebSocket ws;
  final Principal principal;
  final String session = UUID.randomUUID().toString();
  final long connectedAt = System.currentTimeMillis();
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  private final Map<String, RolloutWatch> rolloutWatches = new HashMap<>();
  private String clientId;
  private JsonObject labels = new JsonObject();
  private String labelsJson = "{}";
  /** The hello's labels as rollout selectors compare them. */
  private Map<String, String> labelMap = Map.of();
  private boolean paused;
  private boolean closed;
  private int errors;
  long lastHeard = System.currentTimeMillis();
  private final FrameRate frameRate;
  /** Bytes written since the write queue filled up: error frames only, bounded by the budget. */
  private long writtenWhilePaused;
  /** Characters of large frames handed to Vert.x and not yet written to the socket. */
  private long unwrittenChars;
  /** Frames this large are counted until written; smaller ones are bounded by Vert.x's frame count. */
  static final int TRACKED_FRAME_CHARS = 8 * 1024;
  /** Catch-up reads (snapshots, merged deltas) in flight, and those waiting for a slot. */
  private int readsInFlight;
  private final java.util.ArrayDeque<Runnable> waitingReads = new java.util.ArrayDeque<>();
  /** At most this many catch-up reads per connection at once: each may hold a large answer. */
  static final int MAX_READS_IN_FLIGHT = 4;
  static final short CLOSE_TOO_SLOW = 1008;

  /** Called once when the connection ends: gives back its place in the token's connection count. */
  private final Runnable released;

  Connection(Fanout fanout, ServerWebSocket ws, Principal principal, Runnable released) {
    this.fanout = fanout;
    this.ws = ws;
    this.principal = principal;
    this.released = released;
    this.frameRate = new FrameRate(fanout.options.wsFrameRate(), fanout.options.wsFrameBurst(), System.nanoTime());
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> {
      lastHeard = System.currentTimeMillis();
      if (admit()) {
        protocolError("binary_not_supported", "send JSON text frames", null);
      }
    });
    ws.pongHandler(b -> lastHeard = System.currentTimeMillis());
    ws.drainHandler(v -> onDrain());
    ws.exceptionHandler(this::onException);
    ws.closeHandler(v -> onClose());
  }

  String clientId() {
    return clientId;
  }

  String labelsJson() {
    return labelsJson;
  }

  Map<String, String> labelMap() {
    return labelMap;
  }

  boolean paused() {
    return paused;
  }

  boolean closed() {
    return closed;
  }

  boolean isSubscribed(Subscription s) {
    return subscriptions.get(s.feed.namespace) == s;
  }

  void send(String text) {
    send(text, RevisionBus.utf8Length(text));
  }

  /** Writes one frame; {@code bytes} is its UTF-8 size, computed once per revision for fan-out. */
  void send(String text, int bytes) {
    if (write(text)) {
      fanout.metrics.bytesSent.increment(bytes);
    }
  }

  /** Writes without counting: the fan-out loop counts once per frame, not once per socket. */
  boolean write(String text) {
    if (closed) {
      return false;
    }
    if (paused) {
      // Only small answers (errors) are still written to a full queue; a client that makes them
      // add up past the budget is not reading at all.
      writtenWhilePaused += RevisionBus.utf8Length(text);
      if (writtenWhilePaused > fanout.options.wsMaxQueuedBytes()) {
        close(CLOSE_TOO_SLOW, "the client does not read: write budget of " + fanout.options.wsMaxQueuedBytes()
            + " bytes exceeded");
        return false;
      }
    }
    io.vertx.core.Future<Void> written = ws.writeTextMessage(text);
    if (text.length() >= TRACKED_FRAME_CHARS) {
      // Vert.x bounds its write queue by frames, not bytes: large frames are counted here until
      // the socket has taken them, so a client that stops reading holds at most the budget.
      int chars = text.length();
      unwrittenChars += chars;
      written.onComplete(ar -> {
        unwrittenChars -= chars;
        onDrain();
      });
    }
    if (!paused && (ws.writeQueueFull() || unwrittenChars > fanout.options.wsMaxQueuedBytes())) {
      // Stop queueing for this client: it gets one merged delta when its queue drains.
      paused = true;
      writtenWhilePaused = 0;
      fanout.metrics.slowConsumerEvents.increment();
    }
    return true;
  }

  /**
   * Runs {@code read} now when fewer than {@link #MAX_READS_IN_FLIGHT} catch-up reads of this
   * connection are under way, later otherwise; the read must call {@link #readDone()} once.
   */
  void startRead(Runnable read) {
    if (!paused && readsInFlight < MAX_READS_IN_FLIGHT) {
      readsInFlight++;
      read.run();
    } else {
      waitingReads.add(read);
    }
  }

  void readDone() {
    readsInFlight--;
    startWaitingReads();
  }

  /** Reads wait while the client does not read: their answers could not be written anyway. */
  private void startWaitingReads() {
    while (!closed && !paused && readsInFlight < MAX_READS_IN_FLIGHT && !waitingReads.isEmpty()) {
      readsInFlight++;
      waitingReads.poll().run();
    }
  }

  /** The frame rate limit: false when the frame is to be dropped (the client is told once a second). */
  private boolean admit() {
    switch (frameRate.onFrame(System.nanoTime())) {
      case ACCEPT -> {
        return true;
      }
      case WARN -> {
        fanout.metrics.framesDropped.increment();
        fanout.metrics.protocolErrors.increment();
        sendError("rate_limited", "more than " + fanout.options.wsFrameRate() + " frames per second (burst "
            + fanout.options.wsFrameBurst() + "): frames are dropped; keep sending and the connection is closed", null);
        return false;
      }
      case DROP -> {
        fanout.metrics.framesDropped.increment();
        return false;
      }
      default -> {
        close(CLOSE_POLICY, "frame rate limit exceeded");
        return false;
      }
    }
  }

  void sendError(String code, String message, String namespace) {
    JsonObject f = Payloads.error(code, message);
    if (namespace != null) {
      f.put("namespace", namespace);
    }
    send(f.encode());
  }

  /** Vert.x's drain handler, and every large frame the socket took: resume when both queues have room. */
  private void onDrain() {
    if (!paused || closed || ws.writeQueueFull() || unwrittenChars > fanout.options.wsMaxQueuedBytes() / 2) {
      return;
    }
    paused = false;
    for (Subscription s : subscriptions.values()) {
      s.resume();
    }
    startWaitingReads();
  }

  private void onText(String text) {
    lastHeard = System.currentTimeMillis();
    if (!admit()) {
      return;
    }
    FastAck.Applied fast = FastAck.read(text);
    if (fast != null && fastAck(fast)) {
      return;
    }
    Object parsed;
    try {
      parsed = fast != null ? fast.toJson() : StrictJson.parse(text);
    } catch (StrictJson.Invalid e) {
      protocolError("invalid_json", "a frame must be one JSON object: " + e.getMessage(), null);
      return;
    }
    if (!(parsed instanceof JsonObject frame)) {
      protocolError("invalid_json", "a frame must be one JSON object", null);
      return;
    }
    Object type = frame.getValue("type");
    if (!(type instanceof String)) {
      protocolError("invalid_frame", "a frame needs a string 'type'", null);
      return;
    }
    switch ((String) type) {
      case "hello" -> hello(frame);
      case "subscribe" -> subscribe(frame);
      case "unsubscribe" -> unsubscribe(frame);
      case "ack" -> ack(frame);
      case "sync" -> sync(frame);
      case "watch_rollout" -> watchRollout(frame);
      case "unwatch_rollout" -> unwatchRollout(frame);
      case "ping" -> {
        if (!paused) {
          send(new JsonObject().put("type", "pong").encode());
        }
      }
      default -> protocolError("unknown_type", "unknown frame type " + Limits.quoteShort((String) type), null);
    }
  }

  private void hello(JsonObject f) {
    if (clientId != null) {
      protocolError("duplicate_hello", "hello was already sent on this connection", null);
      return;
    }
    Object id = f.getValue("client_id");
    if (!Limits.clientId(id)) {
      protocolError("invalid_client_id", "client_id must match [A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}", null);
      return;
    }
    JsonObject labels = Limits.labels(f.getValue("labels"));
    if (labels == null) {
      protocolError("invalid_labels", Limits.LABELS_RULE, null);
      return;
    }
    this.clientId = (String) id;
    this.labels = labels;
    this.labelsJson = labels.encode();
    this.labelMap = RolloutPlans.labels(labels);
    send(new JsonObject().put("type", "welcome").put("node", fanout.nodeId).put("session", session)
        .put("ping_interval_ms", fanout.options.wsPingIntervalMs()).encode());
  }

  private void subscribe(JsonObject f) {
    if (clientId == null) {
      protocolError("hello_required", "send hello before subscribe", null);
      return;
    }
    String ns = namespaceOf(f);
    if (ns == null || !allowed(Principal.Permission.FOLLOW, ns)) {
      return;
    }
    Object since = f.getValue("since");
    long from = 0;
    if (since != null) {
      if (!(since instanceof Integer || since instanceof Long) || ((Number) since).longValue() < 0) {
        protocolError("invalid_since", "since must be a whole number >= 0", ns);
        return;
      }
      from = ((Number) since).longValue();
    }
    Subscription sub = subscriptions.get(ns);
    if (sub == null) {
      int max = fanout.options.maxSubscriptions();
      if (subscriptions.size() >= max) {
        protocolError("too_many_subscriptions", "a connection may hold at most " + max + " subscriptions", ns);
        return;
      }
      sub = fanout.subscribe(this, ns);
      subscriptions.put(ns, sub);
      sub.recordState(true);
    }
    sub.catchUp(from, true);
  }

  /** Ends a subscription the hub may not keep (see {@link Fanout#refused}); writes no row for it. */
  void refuseSubscription(String ns, String code, String message) {
    Subscription sub = subscriptions.remove(ns);
    if (sub != null) {
      fanout.unsubscribe(sub);
      fanout.metrics.protocolErrors.increment();
      sendError(code, message, ns);
    }
  }

  private void unsubscribe(JsonObject f) {
    String ns = namespaceOf(f);
    if (ns == null) {
      return;
    }
    Subscription sub = subscriptions.remove(ns);
    if (sub == null) {
      protocolError("not_subscribed", "not subscribed to '" + ns + "'", ns);
      return;
    }
    fanout.unsubscribe(sub);
    sub.recordState(false);
  }

  /**
   * The subscription a frame of {@code type} (ack, sync) is about; null after answering
   * hello_required, invalid_namespace or not_subscribed.
   */
  private Subscription subscriptionOf(JsonObject f, String type) {
    if (clientId == null) {
      protocolError("hello_required", "send hello before " + type, null);
      return null;
    }
    // A namespace this connection subscribed to was checked then: acks skip the pattern match.
    Subscription sub = f.getValue("namespace") instanceof String name ? subscriptions.get(name) : null;
    if (sub != null) {
      return sub;
    }
    String ns = namespaceOf(f);
    if (ns == null) {
      return null;
    }
    sub = subscriptions.get(ns);
    if (sub == null) {
      protocolError("not_subscribed", type + " for '" + ns + "', which this connection is not subscribed to", ns);
    }
    return sub;
  }

  /**
   * The common applied ack of a subscribed namespace, without a JSON tree; false when it needs
   * the full path (no hello, a namespace not subscribed, a version never sent: the errors).
   */
  private boolean fastAck(FastAck.Applied a) {
    Subscription sub = clientId == null ? null : subscriptions.get(a.namespace());
    if (sub == null || a.version() > sub.sent()) {
      return false;
    }
    applied(sub, a.version());
    return true;
  }

  /** A valid applied ack: the subscription's ack state, the metric, the client's row. */
  private void applied(Subscription sub, long version) {
    sub.applied(version);
    fanout.countAppliedAck();
    sub.recordState(true);
  }

  private void ack(JsonObject f) {
    Subscription sub = subscriptionOf(f, "ack");
    if (sub == null) {
      return;
    }
    String ns = sub.feed.namespace;
    Object v = f.getValue("version");
    if (!(v instanceof Integer || v instanceof Long)) {
      protocolError("invalid_version", "version must be a whole number", ns);
      return;
    }
    long version = ((Number) v).longValue();
    if (version < 0 || version > sub.sent()) {
      protocolError("invalid_version", "version " + version + " of '" + ns + "' was never sent on this connection (sent up to "
          + Math.max(sub.sent(), 0) + ")", ns);
      return;
    }
    Object status = f.getValue("status");
    if ("applied".equals(status)) {
      applied(sub, version);
      return;
    }
    if (!"rejected".equals(status)) {
      protocolError("invalid_status", "status must be \"applied\" or \"rejected\"", ns);
      return;
    }
    Object err = f.getValue("error");
    if (err != null && !(err instanceof String)) {
      protocolError("invalid_frame", "error must be a string", ns);
      return;
    }
    sub.rejected(version, Limits.rejectionText((String) err));
    fanout.metrics.acksRejected.increment();
    sub.recordState(true);
  }

  /** A client compares its version and content digest with the hub's (see {@link Subscription#sync}). */
  private void sync(JsonObject f) {
    Subscription sub = subscriptionOf(f, "sync");
    if (sub == null) {
      return;
    }
    String ns = sub.feed.namespace;
    Object v = f.getValue("version");
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
      protocolError("invalid_version", "version must be a whole number >= 0", ns);
      return;
    }
    Object digest = f.getValue("digest");
    if (!(digest instanceof String d) || !DIGEST.matcher(d).matches()) {
      protocolError("invalid_digest", "digest must be \"sha256:\" and 64 lowercase hex digits", ns);
      return;
    }
    sub.sync(((Number) v).longValue(), d);
  }

  static final java.util.regex.Pattern DIGEST = java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");

  /** Live rollout of a namespace's head, for operators; needs no hello (it is not a client of the namespace). */
  private void watchRollout(JsonObject f) {
    String ns = namespaceOf(f);
    if (ns == null || !allowed(Principal.Permission.ROLLOUT, ns)) {
      return;
    }
    RolloutWatch watch = rolloutWatches.get(ns);
    if (watch == null) {
      if (rolloutWatches.size() >= RolloutWatch.MAX_PER_CONNECTION) {
        protocolError("too_many_watches", "a connection may watch at most " + RolloutWatch.MAX_PER_CONNECTION
            + " rollouts", ns);
        return;
      }
      watch = fanout.rollouts.watch(this, ns);
      rolloutWatches.put(ns, watch);
    }
    watch.refresh();
  }

  private void unwatchRollout(JsonObject f) {
    String ns = namespaceOf(f);
    if (ns == null) {
      return;
    }
    RolloutWatch watch = rolloutWatches.remove(ns);
    if (watch == null) {
      protocolError("not_watching", "not watching the rollout of '" + ns + "'", ns);
      return;
    }
    fanout.rollouts.unwatch(watch);
  }

  /** Answers a {@code forbidden} error frame when the connection's token may not do this. */
  private boolean allowed(Principal.Permission permission, String ns) {
    if (principal.may(permission, ns)) {
      return true;
    }
    protocolError("forbidden", "token '" + principal.name() + "' (role " + principal.role() + ") may not "
        + permission.name().toLowerCase() + " namespace '" + ns + "'", ns);
    return false;
  }

  private String namespaceOf(JsonObject f) {
    Object ns = f.getValue("namespace");
    if (!(ns instanceof String s) || !Limits.NAMESPACE.matcher(s).matches()) {
      protocolError("invalid_namespace", "namespace must match [a-z0-9][a-z0-9._-]{0,127}", null);
      return null;
    }
    return s;
  }

  private void protocolError(String code, String message, String namespace) {
    fanout.metrics.protocolErrors.increment();
    sendError(code, message, namespace);
    if (++errors >= MAX_ERRORS) {
      close(CLOSE_POLICY, "too many protocol errors");
    }
  }

  void close(short code, String reason) {
    if (!closed) {
      ws.close(code, reason);
    }
  }

  private void onException(Throwable e) {
    // An oversized frame (Netty) or message (Vert.x's aggregation) arrives here; say why before closing.
    if (e instanceof io.netty.handler.codec.TooLongFrameException
        || e instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException
        || e instanceof IllegalStateException) {
      close((short) 1009, "frame or message larger than " + fanout.options.maxFrameBytes() + " bytes");
    }
  }

  /** Called once, however the connection ended. */
  private void onClose() {
    if (closed) {
      return;
    }
    closed = true;
    waitingReads.clear();
    for (Subscription s : subscriptions.values()) {
      fanout.unsubscribe(s);
      s.recordState(false);
    }
    subscriptions.clear();
    rolloutWatches.values().forEach(fanout.rollouts::unwatch);
    rolloutWatches.clear();
    fanout.connectionClosed(this);
    released.run();
  }

  /** For shutdown: the rows that say this connection's subscriptions are gone. */
  void disconnectAll() {
    onClose();
  }
}
