package io.herald.hub;

import io.herald.db.RevisionDigest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lets an event loop push a revision frame from the event bus only when it is a committed
 * revision, as committed: its namespace and version name a row of the revision table, and its
 * changes hash to the digest the writing hub stored with that row (V7). So a cluster member that
 * can send on the event bus still cannot invent or alter a revision.
 *
 * <p>Frames this process published itself are recognised in memory ({@link Published}); the
 * others are checked against the database in batches: one query in flight per event loop, and
 * whatever arrives meanwhile goes into the next one. A frame that does not match is dropped,
 * counted ({@code herald_forged_frames_total}) and logged once per interval; a committed revision
 * whose frame cannot be checked (a rollback has no digest) is read from the table instead, which is
 * trusted, like every gap fill. Without a cluster nothing else can publish, and nothing is checked.
 * Confined to its verticle's event loop.
 */
final class FrameCheck {

  /** Reads what frames are checked against: {@code ConfigStore::digests}. */
  interface DigestReader {
    Future<List<RevisionDigest>> digests(List<String> namespaces, List<Long> versions);
  }

  /** Where checked frames go. */
  interface Outcome {
    /** A committed revision, as committed: push it. */
    void verified(RevisionBus.Frame f);

    /**
     * Not pushed: {@code committed} when the revision exists but its frame could not be checked
     * (read it from the table), false when the frame matched no committed revision.
     */
    void refused(String namespace, long version, boolean committed);
  }

  static final int MAX_BATCH = 1_000;
  /** Frames waiting for a check; past this (a long database outage) the oldest are left to the head checks. */
  static final int MAX_WAITING = 10_000;
  static final long RETRY_MS = 500;

  private final Vertx vertx;
  private final DigestReader reader;
  private final Published published;
  private final HubMetrics metrics;
  private final FailureLog failures;
  private final Outcome outcome;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** A query is in flight, or a retry is scheduled: arrivals wait for it. */
  private boolean busy;

  private record Waiting(RevisionBus.Frame frame, byte[] sha256) {
  }

  private record Key(String namespace, long version) {
  }

  FrameCheck(Vertx vertx, DigestReader reader, Published published, HubMetrics metrics, FailureLog failures,
             Outcome outcome) {
    this.vertx = vertx;
    this.reader = reader;
    this.published = published;
    this.metrics = metrics;
    this.failures = failures;
    this.outcome = outcome;
  }

  /** A frame as it came off the event bus. */
  void offer(RevisionBus.Frame f) {
    if (!published.checking) {
      outcome.verified(f);
      return;
    }
    RevisionBus.Frame mine = published.get(f.namespace(), f.version());
    if (mine != null && mine.text().equals(f.text())) {
      outcome.verified(mine);
      return;
    }
    byte[] sha = RevisionBus.changesSha256(f);
    if (sha == null) {
      forged(f.namespace(), f.version(), "it is not the delta frame of its namespace and version");
      return;
    }
    if (waiting.size() >= MAX_WAITING) {
      waiting.pollFirst(); // the feeds' head checks read it from the table
    }
    waiting.addLast(new Waiting(f, sha));
    if (!busy) {
      query();
    }
  }

  /** A message on the revisions address that no hub sends (headers or body of the wrong kind). */
  void malformed(Throwable why) {
    forged("?", 0, "malformed message (" + FailureLog.summary(why) + ")");
  }

  private void query() {
    if (waiting.isEmpty()) {
      busy = false;
      return;
    }
    busy = true;
    List<Waiting> batch = new ArrayList<>(Math.min(waiting.size(), MAX_BATCH));
    while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
      batch.add(waiting.pollFirst());
    }
    List<String> namespaces = new ArrayList<>(batch.size());
    List<Long> versions = new ArrayList<>(batch.size());
    for (Waiting w : batch) {
      namespaces.add(w.frame.namespace());
      versions.add(w.frame.version());
    }
    reader.digests(namespaces, versions).onComplete(ar -> {
      if (ar.failed()) {
        failures.report("checking revision frames against the database failed, retrying", ar.cause());
        for (int i = batch.size() - 1; i >= 0; i--) {
          waiting.addFirst(batch.get(i));
        }
        while (waiting.size() > MAX_WAITING) {
          waiting.pollFirst();
        }
        vertx.setTimer(RETRY_MS, t -> query());
        return;
      }
      Map<Key, RevisionDigest> committed = new HashMap<>();
      for (RevisionDigest d : ar.result()) {
        committed.put(new Key(d.namespace(), d.version()), d);
      }
      for (Waiting w : batch) {
        decide(w, committed.get(new Key(w.frame.namespace(), w.frame.version())));
      }
      query();
    });
  }

  private void decide(Waiting w, RevisionDigest d) {
    RevisionBus.Frame f = w.frame;
    if (d == null) {
      forged(f.namespace(), f.version(), "no such revision is committed");
    } else if (d.changesSha256() == null) {
      outcome.refused(f.namespace(), f.version(), true);
    } else if (!MessageDigest.isEqual(d.changesSha256(), w.sha256)) {
      forged(f.namespace(), f.version(), "its changes differ from the committed revision's");
    } else {
      outcome.verified(f.committedAt(d.createdAt().toInstant().toEpochMilli()));
    }
  }

  private void forged(String namespace, long version, String why) {
    metrics.forgedFrames.increment();
    failures.report("revision frame dropped", new ForgedFrame("a frame for '" + namespace + "' version " + version
        + " did not come from a hub: " + why));
    if (version > 0) {
      outcome.refused(namespace, version, false);
    }
  }

  /** Why a frame was dropped, for the failure log (no stack trace: nothing failed here). */
  static final class ForgedFrame extends RuntimeException {
    ForgedFrame(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The frames this process published lately, shared by its event loops (thread-safe): they need
   * no database check. Bounded by count and by bytes; a frame pushed out of it is checked against
   * the database like any other.
   */
  static final class Published {

    static final int MAX_FRAMES = 4_096;
    static final long MAX_CHARS = 8L * 1024 * 1024;

    /** False without a cluster: nothing but this process can publish, so there is nothing to check. */
    final boolean checking;
    private final Map<Key, RevisionBus.Frame> frames = new LinkedHashMap<>();
    private long chars;

    Published(boolean checking) {
      this.checking = checking;
    }

    /** Called just before this process publishes {@code f}. */
    void record(RevisionBus.Frame f) {
      if (!checking) {
        return;
      }
      synchronized (frames) {
        RevisionBus.Frame old = frames.put(new Key(f.namespace(), f.version()), f);
        chars += f.text().length() - (old == null ? 0 : old.text().length());
        var it = frames.values().iterator();
        while (it.hasNext() && (frames.size() > MAX_FRAMES || chars > MAX_CHARS)) {
          chars -= it.next().text().length();
          it.remove();
        }
      }
    }

    RevisionBus.Frame get(String namespace, long version) {
      synchronized (frames) {
        return frames.get(new Key(namespace, version));
      }
    }
  }
}
