package io.herald.hub;

import io.herald.db.ClientRow;
import io.herald.db.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * One connection's subscription to one namespace. {@code sent} is the version the client has been
 * brought to; a live subscription takes every next frame from the feed, otherwise it is catching
 * up from memory or the database and reconciles with the feed when that read returns.
 */
final class Subscription implements Feed.Subscriber {

  final Connection conn;
  final Feed<Subscription> feed;
  private final ConfigStore store;
  private final HubMetrics metrics;
  private final Vertx vertx;
  private final String nodeId;
  /** This client's key in the {@link ClientStateWriter}, made once (the client id is fixed at hello). */
  private final String stateKey;
  private long sent = -1;
  private boolean live;
  /** Bumped by every catch-up, so the answer of an outdated one is dropped. */
  private int generation;
  /** A catch-up asked for while the connection was paused: run when it drains. -1 when none. */
  private long pendingSince = -1;
  /** A catch-up read is under way; {@code queuedSince} is the newest one asked for meanwhile (-1: none). */
  private boolean reading;
  private long queuedSince = -1;
  /** A sync is being checked; further syncs meanwhile are dropped (a client syncs every few minutes). */
  private boolean syncing;

  // What the client reported through acks, as written to client_state.
  private long appliedVersion;
  private String status;
  private Long rejectedVersion;
  private String error;

  Subscription(Connection conn, Feed<Subscription> feed, ConfigStore store, HubMetrics metrics, Vertx vertx,
               String nodeId) {
    this.conn = conn;
    this.feed = feed;
    this.store = store;
    this.metrics = metrics;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.stateKey = ClientStateWriter.key(feed.namespace, conn.clientId());
  }

  long sent() {
    return sent;
  }

  /** This client's rollout bucket (RolloutPlans#bucket), computed the first time a rollout asks. */
  private int bucket = -1;

  /**
   * The highest version this client may be brought to: no limit without a rollout of the
   * namespace, else what {@link RolloutState#limit} says for its labels and bucket.
   */
  long limit() {
    RolloutState r = conn.fanout.rolloutRegistry.active(feed.namespace);
    if (r == null) {
      return Long.MAX_VALUE;
    }
    if (bucket < 0) {
      bucket = RolloutPlans.bucket(feed.namespace, conn.clientId());
    }
    return r.limit(conn.labelMap(), bucket);
  }

  /** Where this client is to be brought: the feed's head, or less while a rollout holds it back. */
  private long ceiling() {
    return Math.min(feed.known(), limit());
  }

  /** A rollout of the namespace moved: a client it released (or stopped holding) catches up. */
  void regate() {
    if (live && !conn.paused() && sent >= 0 && sent < ceiling()) {
      catchUp(sent, true);
    }
  }

  /** Writes the frame if it is this client's next version; true when written (the feed counts them). */
  @Override
  public boolean offer(RevisionBus.Frame f) {
    if (!live || conn.paused()) {
      return false; // it reconciles with the feed when its catch-up or the drain comes
    }
    if (f.version() > limit() || conn.fanout.rolloutRegistry.withdrawn(feed.namespace, f.version())) {
      return false; // held back by a rollout: regate() brings it on when its step is released
    }
    if (sent == f.version() - 1) {
      conn.write(f.text());
      sent = f.version();
      return true;
    }
    if (sent < f.version() - 1) {
      catchUp(sent, false);
    }
    return false;
  }

  /**
   * Brings the client from {@code since} to the feed's head. From memory when the missing
   * versions are still there and {@code fromMemory}; otherwise one read: a snapshot for 0, a
   * merged delta for anything else. Requests coalesce: while a read is under way, further ones
   * only remember the newest {@code since}, and one more read follows (a client repeating
   * {@code subscribe} thousands of times costs two reads, not thousands).
   */
  void catchUp(long since, boolean fromMemory) {
    live = false;
    ++generation;
    if (conn.paused()) {
      // Nothing more goes into a full write queue, however often the client asks.
      pendingSince = since;
      return;
    }
    if (fromMemory && since > 0) {
      List<RevisionBus.Frame> frames = gated(feed.framesAfter(since));
      // Several deltas carry the values of past revisions: history, which a client-role token may
      // not read. It gets one merged delta from the database instead.
      if (frames != null && (frames.size() == 1 || conn.principal.may(Principal.Permission.READ, feed.namespace))) {
        for (RevisionBus.Frame f : frames) {
          conn.send(f.text(), f.bytes());
          metrics.deltasSent.increment();
        }
        sent = frames.get(frames.size() - 1).version();
        live = true;
        return;
      }
    }
    if (reading) {
      queuedSince = since;
      return;
    }
    reading = true;
    int gen = generation;
    conn.startRead(() -> read(since, gen));
  }

  /**
   * The frames of a catch-up from memory that this client may get: up to its rollout limit; null
   * (read the database instead) when none is left or one of them was withdrawn by a rollback.
   */
  private List<RevisionBus.Frame> gated(List<RevisionBus.Frame> frames) {
    if (frames == null) {
      return null;
    }
    if (conn.fanout.rolloutRegistry.active(feed.namespace) == null
        && frames.stream().noneMatch(f -> conn.fanout.rolloutRegistry.withdrawn(feed.namespace, f.version()))) {
      return frames; // a withdrawn version may sit anywhere in the list, not only first
    }
    long limit = limit();
    List<RevisionBus.Frame> out = new java.util.ArrayList<>();
    for (RevisionBus.Frame f : frames) {
      if (conn.fanout.rolloutRegistry.withdrawn(feed.namespace, f.version())) {
        return null;
      }
      if (f.version() <= limit) {
        out.add(f);
      }
    }
    return out.isEmpty() ? null : out;
  }

  /**
   * One database read from {@code since} up to {@code limit} (a rollout's; Long.MAX_VALUE: the
   * head), encoded once for every subscription of the feed that shares it.
   */
  private Future<Feed.CaughtUp> readCatchUp(long since, long limit) {
    metrics.catchUpReads.increment();
    return store.catchUp(feed.namespace, since, limit).map(c -> {
      try {
        String text = c.snapshot() != null
            ? Payloads.snapshotFrame(c.snapshot()).encode()
            : Payloads.deltaFrame(feed.namespace, since, c.version(), c.delta().asChanges()).encode();
        return new Feed.CaughtUp(c.version(), text, c.snapshot() != null);
      } catch (RuntimeException e) {
        // Values are checked before commit, so this is data from before that check: say so, never stall.
        conn.fanout.failures.report("unencodable namespace state", e);
        return new Feed.CaughtUp(c.version(), null, c.snapshot() != null);
      }
    });
  }

  private void read(long since, int gen) {
    if (conn.closed() || !conn.isSubscribed(this) || conn.paused()) {
      // It waited for a slot, and meanwhile the client went away or stopped reading: no read.
      // What is still wanted (unless a newer catch-up answered from memory) runs on the drain.
      reading = false;
      long wanted = queuedSince >= 0 ? queuedSince : gen == generation ? since : -1;
      queuedSince = -1;
      if (wanted >= 0) {
        pendingSince = wanted;
      }
      conn.readDone();
      return;
    }
    // Reads are shared by their `since`. A client a rollout holds back reads alone (its answer stops
    // short of the head), and so does one on the stable side of a rolled-back version (a shared
    // answer from before the rollback could carry the withdrawn version).
    long limit = limit();
    boolean own = limit != Long.MAX_VALUE || conn.fanout.rolloutRegistry.withdrawn(feed.namespace, since + 1)
        || conn.fanout.rolloutRegistry.withdrawn(feed.namespace, feed.known());
    (own ? readCatchUp(since, limit) : feed.catchUp(since, () -> readCatchUp(since, limit)))
        .onComplete(ar -> {
      reading = false;
      conn.readDone();
      if (conn.closed() || !conn.isSubscribed(this)) {
        return;
      }
      if (queuedSince >= 0) {
        long next = queuedSince;
        queuedSince = -1;
        catchUp(next, true);
        return;
      }
      if (gen != generation) {
        return; // answered meanwhile from memory
      }
      if (conn.paused()) {
        // The queue filled while we read: this answer waits for the drain (read again then).
        pendingSince = since;
        return;
      }
      if (ar.failed()) {
        conn.sendError("unavailable", "could not read namespace '" + feed.namespace + "'; retrying", feed.namespace);
        vertx.setTimer(1_000, t -> {
          if (gen == generation && !conn.closed()) {
            catchUp(since, false);
          }
        });
        return;
      }
      Feed.CaughtUp c = ar.result();
      if (c.text() == null) {
        conn.sendError("unencodable", "namespace '" + feed.namespace + "' at version " + c.version()
            + " cannot be encoded as JSON", feed.namespace);
        return;
      }
      String text = c.text();
      conn.send(text);
      if (c.snapshot()) {
        metrics.snapshotsSent.increment();
      } else {
        metrics.deltasSent.increment();
      }
      sent = c.version();
      feed.establish(sent);
      if (ceiling() > sent) {
        catchUp(sent, true);
      } else {
        live = true;
      }
    });
  }

  /**
   * A client's reconciliation (docs/protocol.md, "sync"): it holds {@code version} with content
   * {@code digest}. When that is what the hub last brought it to and the head this event loop
   * knows, it gets {@code in_sync}; otherwise {@code out_of_sync} and then, like a new subscribe,
   * the deltas from its version when the content matches ({@code behind}), or a snapshot of the
   * head when it does not ({@code digest_mismatch}) or the version never existed
   * ({@code unknown_version}).
   */
  void sync(long version, String digest) {
    if (syncing) {
      return;
    }
    syncing = true;
    digestOf(version).onComplete(ar -> {
      syncing = false;
      if (conn.closed() || !conn.isSubscribed(this)) {
        return;
      }
      boolean unknown = ar.failed() && (ar.cause() instanceof io.herald.db.StoreException.VersionNotFound
          || ar.cause() instanceof io.herald.db.StoreException.NamespaceNotFound);
      if (ar.failed() && !unknown) {
        conn.sendError("unavailable", "could not check the content of '" + feed.namespace + "' at version " + version
            + "; sync again later", feed.namespace);
        return;
      }
      boolean same = !unknown && ar.result().equals(digest);
      String result = unknown ? "unknown_version" : !same ? "digest_mismatch"
          : live && version == sent && version == feed.known() ? "in_sync" : "behind";
      metrics.synced(result);
      if (!conn.paused()) {
        io.vertx.core.json.JsonObject answer = new io.vertx.core.json.JsonObject()
            .put("type", result.equals("in_sync") ? "in_sync" : "out_of_sync")
            .put("namespace", feed.namespace).put("version", version);
        conn.send((result.equals("in_sync") ? answer.put("digest", digest) : answer.put("reason", result)).encode());
      }
      if (result.equals("behind")) {
        catchUp(version, true);
      } else if (!result.equals("in_sync")) {
        catchUp(0, false);
      }
    });
  }

  /** The digest of the namespace at {@code version}: the feed's shared one for its head, else one read. */
  private io.vertx.core.Future<String> digestOf(long version) {
    if (version == 0) {
      return io.vertx.core.Future.succeededFuture(ContentDigest.of(java.util.Map.of()));
    }
    if (version == feed.known()) {
      return feed.headDigest(version, () -> readDigest(version));
    }
    // An old version costs a read of its own; a connection runs at most a few reads at once.
    io.vertx.core.Promise<String> digest = io.vertx.core.Promise.promise();
    conn.startRead(() -> readDigest(version).onComplete(ar -> {
      conn.readDone();
      digest.handle(ar);
    }));
    return digest.future();
  }

  private io.vertx.core.Future<String> readDigest(long version) {
    return store.snapshot(feed.namespace, version).map(s -> ContentDigest.of(s.entries()));
  }

  /** After the connection's write queue drained: one merged delta to wherever the feed is now. */
  void resume() {
    if (pendingSince >= 0) {
      long since = pendingSince;
      pendingSince = -1;
      catchUp(since, false);
    } else if (live && sent < ceiling()) {
      catchUp(sent, false);
    }
  }

  /** The client applied {@code version}, and so every version before it. */
  void applied(long version) {
    if (version > appliedVersion) {
      appliedVersion = version;
    }
    // Applying an older version than one rejected does not undo that rejection.
    if (rejectedVersion == null || version >= rejectedVersion) {
      status = "applied";
      rejectedVersion = null;
      error = null;
    }
  }

  /** The client refused {@code version} for the reason {@code error}. */
  void rejected(long version, String error) {
    status = "rejected";
    rejectedVersion = version;
    this.error = error;
  }

  /** This client's row as of now, to the event loop's {@link ClientStateWriter}. */
  void recordState(boolean connected) {
    conn.fanout.clientState.record(stateKey, row(connected));
  }

  ClientRow row(boolean connected) {
    return new ClientRow(feed.namespace, conn.clientId(), nodeId, conn.session, conn.labelsJson(),
        connected, conn.connectedAt, System.currentTimeMillis(), appliedVersion, status, rejectedVersion, error,
        conn.principal.owner(), ClientRow.WEBSOCKET);
  }
}
