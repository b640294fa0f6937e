package io.herald.hub;

import io.herald.db.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.ServerWebSocket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The push side of one verticle instance: its WebSocket connections, one {@link Feed} per
 * namespace they subscribe to, and the consumer of committed revisions. Everything here runs on
 * the verticle's event loop; there is one Fanout per event loop.
 */
final class Fanout {

  final Vertx vertx;
  final ConfigStore store;
  final HubMetrics metrics;
  final ClientStateWriter clientState;
  final HubOptions options;
  final String nodeId;
  private final Map<String, Feed<Subscription>> feeds = new HashMap<>();
  private final Set<Connection> connections = new HashSet<>();
  private final List<RevisionListener> listeners = new ArrayList<>();
  /** Told of every revision; the connections' rollout watches register with it. */
  final RolloutTracker rollouts;
  /** Lets through only frames that are committed revisions, as committed. */
  private final FrameCheck check;
  private MessageConsumer<Object> consumer;
  /** What this node knows of rollouts: delivery gates on it ({@link Subscription#limit}). */
  RolloutRegistry rolloutRegistry = new RolloutRegistry();
  /** The node's rollouts, for HTTP clients' limits; null only in tests that build a Fanout alone. */
  RolloutControl rolloutControl;
  private MessageConsumer<io.vertx.core.json.JsonObject> rolloutConsumer;
  private long pingTimer = -1;
  private long headTimer = -1;
  private long presenceTimer = -1;
  /** Applied acks counted since the last report to the metrics ({@link #countAppliedAck}). */
  private long appliedAcks;

  final FailureLog failures;
  /** What every feed of this event loop keeps for resumes together. */
  static final long RECENT_BYTES = 16L * 1024 * 1024;
  private final Feed.RecentBudget recentBudget = new Feed.RecentBudget(RECENT_BYTES);

  /** Learns that a revision of a namespace is committed (long polls re-read then). */
  interface RevisionListener {
    void committed(String namespace, long version);
  }

  Fanout(Vertx vertx, ConfigStore store, HubMetrics metrics, ClientStateWriter clientState, HubOptions options,
         RolloutTracker rollouts, FailureLog failures, FrameCheck.Published published) {
    this.vertx = vertx;
    this.check = new FrameCheck(vertx, store::digests, published, metrics, failures, new FrameCheck.Outcome() {
      @Override
      public void verified(RevisionBus.Frame f) {
        deliver(f);
      }

      @Override
      public void refused(String namespace, long version, boolean committed) {
        readBack(namespace, version, committed);
      }
    });
    this.rollouts = rollouts;
    this.failures = failures;
    this.store = store;
    this.metrics = metrics;
    this.clientState = clientState;
    this.options = options;
    this.nodeId = options.nodeId();
  }

  /** Registers the revision consumer; completes once it is registered (cluster-wide when clustered). */
  Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.REVISIONS, this::onRevision);
    rolloutConsumer = vertx.eventBus().consumer(Addresses.ROLLOUTS, msg -> rolloutMoved(msg.body()));
    pingTimer = vertx.setPeriodic(options.wsPingIntervalMs(), t -> keepAlive());
    headTimer = vertx.setPeriodic(options.catchUpIntervalMs(), t -> checkHeads());
    presenceTimer = vertx.setPeriodic(options.presenceIntervalMs(), t -> refreshPresence());
    return Future.all(consumer.completion(), rolloutConsumer.completion()).mapEmpty();
  }

  /** Closes every connection with 1001 so clients reconnect elsewhere and resume. */
  Future<Void> stop() {
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(headTimer);
    vertx.cancelTimer(presenceTimer);
    for (Connection c : List.copyOf(connections)) {
      c.close(Connection.CLOSE_GOING_AWAY, "hub shutting down");
      c.disconnectAll();
    }
    return consumer == null ? Future.succeededFuture()
        : Future.all(consumer.unregister(), rolloutConsumer.unregister()).mapEmpty();
  }

  /**
   * A rollout moved (started, released a step, halted, finished): this node learns it, and the
   * subscriptions and long polls of its namespace on this event loop look again.
   */
  private void rolloutMoved(io.vertx.core.json.JsonObject body) {
    RolloutState s;
    try {
      s = RolloutState.fromJson(body);
    } catch (RuntimeException e) {
      failures.report("malformed rollout event", e);
      return;
    }
    rolloutRegistry.learn(s);
    Feed<Subscription> feed = feeds.get(s.namespace());
    if (feed != null) {
      // Shared catch-up answers were read under the rollout's previous state (one may end at a
      // version that is now withdrawn, or staged for clients it no longer releases): read afresh.
      feed.forgetCatchUps();
      for (Subscription sub : List.copyOf(feed.subscriptions)) {
        sub.regate();
      }
    }
    for (RevisionListener l : List.copyOf(listeners)) {
      l.committed(s.namespace(), s.version());
    }
  }

  void accept(ServerWebSocket ws, Principal principal, Runnable released) {
    connections.add(new Connection(this, ws, principal, released));
    metrics.connections.incrementAndGet();
  }

  /** The database would not write a subscription's row: that subscription ends with a clear error. */
  void refused(io.herald.db.ClientStateStore.Refusal r) {
    Feed<Subscription> feed = feeds.get(r.namespace());
    if (feed == null) {
      return;
    }
    for (Subscription s : List.copyOf(feed.subscriptions)) {
      if (r.clientId().equals(s.conn.clientId())) {
        s.conn.refuseSubscription(r.namespace(), refusalCode(r), refusalMessage(r, s.conn.principal, options));
      }
    }
  }

  /** The error code of a client row the database would not write, on the WebSocket and over HTTP. */
  static String refusalCode(io.herald.db.ClientStateStore.Refusal r) {
    return r.reason() == io.herald.db.ClientStateStore.Reason.TAKEN ? "client_id_taken" : "too_many_clients";
  }

  static String refusalMessage(io.herald.db.ClientStateStore.Refusal r, Principal who, HubOptions options) {
    if (r.reason() == io.herald.db.ClientStateStore.Reason.TAKEN) {
      return "client_id '" + r.clientId() + "' of namespace '" + r.namespace() + "' belongs to another token;"
          + " use an id of your own";
    }
    return "token '" + who.name() + "' holds its limit of " + options.maxClientRowsPerToken() + " client rows;"
        + " reuse client ids or ask an operator to raise HERALD_MAX_CLIENT_ROWS_PER_TOKEN";
  }

  /** A revoked token's connections on this event loop are closed with a clear reason. */
  void revoked(String tokenId) {
    for (Connection c : List.copyOf(connections)) {
      if (tokenId.equals(c.principal.tokenId())) {
        c.close(Connection.CLOSE_POLICY, "token revoked");
      }
    }
  }

  void connectionClosed(Connection c) {
    if (connections.remove(c)) {
      metrics.connections.decrementAndGet();
    }
  }

  Subscription subscribe(Connection conn, String namespace) {
    Feed<Subscription> feed = feeds.computeIfAbsent(namespace, ns -> new Feed<>(ns, vertx, store::revisions, metrics,
        recentBudget, failures));
    Subscription s = new Subscription(conn, feed, store, metrics, vertx, nodeId);
    feed.subscriptions.add(s);
    metrics.subscriptions.incrementAndGet();
    return s;
  }

  void unsubscribe(Subscription s) {
    if (s.feed.subscriptions.remove(s)) {
      metrics.subscriptions.decrementAndGet();
      if (s.feed.subscriptions.isEmpty()) {
        feeds.remove(s.feed.namespace);
        s.feed.release();
      }
    }
  }

  /**
   * Counts an applied ack in {@code herald_acks_received_total}: once per event-loop turn, not
   * once per frame (thousands arrive per version, and the counter is shared by every event loop).
   */
  void countAppliedAck() {
    if (appliedAcks++ == 0) {
      vertx.runOnContext(v -> {
        metrics.acksApplied.increment(appliedAcks);
        appliedAcks = 0;
      });
    }
  }

  /** Long-poll watchers hear every committed revision this event loop receives. */
  void addListener(RevisionListener listener) {
    listeners.add(listener);
  }

  void removeListener(RevisionListener listener) {
    listeners.remove(listener);
  }

  private void onRevision(Message<Object> msg) {
    RevisionBus.Frame frame;
    try {
      frame = RevisionBus.Frame.of(msg.headers(), msg.body());
    } catch (RuntimeException e) {
      check.malformed(e);
      return;
    }
    // Checking a frame may cost a database read: only frames someone here would hear of are worth it.
    if (feeds.containsKey(frame.namespace()) || !listeners.isEmpty() || rollouts.watching(frame.namespace())) {
      check.offer(frame);
    }
  }

  /** A frame {@link FrameCheck} found to be a committed revision, as committed. */
  private void deliver(RevisionBus.Frame frame) {
    Feed<Subscription> feed = feeds.get(frame.namespace());
    if (feed != null) {
      feed.offer(frame);
    }
    announce(frame.namespace(), frame.version());
  }

  /**
   * A frame that was not pushed: the feed reads the real revision from the table, as for a gap
   * (for a frame that matched nothing, that finds nothing new, or the revision since committed).
   */
  private void readBack(String namespace, long version, boolean committed) {
    Feed<Subscription> feed = feeds.get(namespace);
    if (feed != null) {
      feed.headSeen(version);
    }
    if (committed) {
      announce(namespace, version);
    }
  }

  private void announce(String namespace, long version) {
    for (RevisionListener l : List.copyOf(listeners)) {
      l.committed(namespace, version);
    }
    rollouts.newRevision(namespace);
  }

  /** Server pings keep idle connections open through proxies; a peer silent for two intervals is dead. */
  private void keepAlive() {
    long deadline = System.currentTimeMillis() - 2 * options.wsPingIntervalMs();
    for (Connection c : List.copyOf(connections)) {
      if (c.lastHeard < deadline) {
        c.close(Connection.CLOSE_GOING_AWAY, "no pong within " + 2 * options.wsPingIntervalMs() + " ms");
      } else if (!c.closed()) {
        c.ws.writePing(io.vertx.core.buffer.Buffer.buffer("herald"));
      }
    }
  }

  /**
   * Re-asserts this node's live clients (and their last_seen): after a partition or a freeze,
   * survivors may have marked them disconnected although they never left.
   */
  private void refreshPresence() {
    for (Feed<Subscription> feed : feeds.values()) {
      for (Subscription s : feed.subscriptions) {
        s.recordState(true);
      }
    }
  }

  /** Anti-entropy: a revision whose event never reached this node is still delivered. */
  private void checkHeads() {
    if (feeds.isEmpty()) {
      return;
    }
    List<String> names = new ArrayList<>(feeds.keySet());
    store.heads(names).onSuccess(heads -> heads.forEach((ns, head) -> {
      Feed<Subscription> f = feeds.get(ns);
      if (f != null) {
        f.headSeen(head);
      }
    })).onFailure(e -> failures.report("head check failed", e));
  }
}
