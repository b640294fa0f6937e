package io.herald.hub;

import io.herald.db.Revision;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One namespace's stream of revisions on one event loop. Events can arrive late, twice or out of
 * order (several committers, several nodes); the feed delivers them to its subscriptions strictly
 * in version order, buffering what comes early and reading from the revision table what does not
 * come at all. Confined to its verticle's event loop.
 */
final class Feed<S extends Feed.Subscriber> {

  /** What a feed delivers to: a {@link Subscription}. */
  interface Subscriber {
    /** Takes the frame if it is this subscriber's next version; true when written (the feed counts them). */
    boolean offer(RevisionBus.Frame f);
  }

  /** Reads committed revisions back, {@code fromExclusive+1 .. toInclusive}: {@code ConfigStore::revisions}. */
  interface RevisionReader {
    Future<List<Revision>> revisions(String namespace, long fromExclusive, long toInclusive);
  }

  /** How long an out-of-order event waits for its predecessor before we read the gap from the database. */
  static final long GAP_WAIT_MS = 25;
  static final int MAX_PENDING = 10_000;
  static final int RECENT_FRAMES = 256;
  static final long RECENT_BYTES = 4L * 1024 * 1024;

  final String namespace;
  final Set<S> subscriptions = new LinkedHashSet<>();
  private final Vertx vertx;
  private final RevisionReader store;
  private final HubMetrics metrics;

  /** Every version up to this one has been delivered; -1 until the first read of the head. */
  private long known = -1;
  private final TreeMap<Long, RevisionBus.Frame> pending = new TreeMap<>();
  private final ArrayDeque<RevisionBus.Frame> recent = new ArrayDeque<>();
  private long recentBytes;
  private boolean fillScheduled;
  private boolean filling;
  /** The content digest of {@link #known}, computed at most once per version however many clients sync. */
  private long digestVersion = -1;
  private Future<String> digest;
  /**
   * Catch-up answers by the version they start from, shared by every subscription of this feed
   * that resumes from the same version: after a hub restart thousands of clients resume from the
   * head at once, and one read answers them all. An answer stays correct forever (revisions never
   * change); it is dropped when the feed delivers a newer version, since it would then be a step
   * behind. Answers over {@link #SHARED_FRAME_BYTES} are shared only while they are read, and a
   * feed keeps at most {@link #SHARED_BYTES} of answers.
   */
  private final Map<Long, Future<CaughtUp>> caughtUp = new HashMap<>();
  private long caughtUpBytes;
  static final int MAX_SHARED = 64;
  static final long SHARED_BYTES = 1024 * 1024;
  static final int SHARED_FRAME_BYTES = 64 * 1024;

  /** A catch-up answer, encoded once: the version it brings a client to, and its frame (null: it cannot be encoded). */
  record CaughtUp(long version, String text, boolean snapshot) {
  }

  /** The highest head seen while a fill was running: read up to it when that fill is done. */
  private long fillAgainTo = -1;

  /** What every feed of one event loop keeps for resumes, together: past {@code max}, feeds keep less. */
  static final class RecentBudget {
    final long max;
    long used;

    RecentBudget(long max) {
      this.max = max;
    }
  }

  private final RecentBudget budget;
  private final FailureLog failures;

  Feed(String namespace, Vertx vertx, RevisionReader store, HubMetrics metrics, RecentBudget budget,
       FailureLog failures) {
    this.namespace = namespace;
    this.vertx = vertx;
    this.store = store;
    this.metrics = metrics;
    this.budget = budget;
    this.failures = failures;
  }

  long known() {
    return known;
  }

  void offer(RevisionBus.Frame f) {
    if (known >= 0 && f.version() <= known) {
      return; // a duplicate, or something a gap fill already delivered
    }
    if (known >= 0 && f.version() == known + 1) {
      deliver(f);
      drainPending();
      return;
    }
    if (pending.size() >= MAX_PENDING) {
      pending.pollLastEntry(); // the gap fill reads it back from the database
    }
    pending.put(f.version(), f);
    if (known >= 0) {
      scheduleGapFill();
    }
  }

  /** A subscription read the namespace at {@code version}; a feed that knew nothing starts there. */
  void establish(long version) {
    if (known < 0) {
      known = version;
      drainPending();
    }
  }

  /** The head moved past what we delivered without an event telling us: fetch the difference. */
  void headSeen(long head) {
    if (known < 0 || head <= known) {
      return;
    }
    if (filling) {
      fillAgainTo = Math.max(fillAgainTo, head);
    } else {
      fill(head);
    }
  }

  /**
   * The content digest of {@code version}, which must be {@link #known()}: computed with
   * {@code compute} the first time it is asked for, then shared (a failure is forgotten, so the
   * next caller computes again).
   */
  Future<String> headDigest(long version, java.util.function.Supplier<Future<String>> compute) {
    if (digest != null && digestVersion == version) {
      return digest;
    }
    Future<String> computing = compute.get();
    digestVersion = version;
    digest = computing;
    computing.onFailure(e -> {
      if (digest == computing) {
        digest = null;
      }
    });
    return computing;
  }

  /**
   * The catch-up from {@code since}: the answer another subscription of this feed already has or is
   * reading, else a new read from {@code read}, which later callers join.
   */
  Future<CaughtUp> catchUp(long since, java.util.function.Supplier<Future<CaughtUp>> read) {
    Future<CaughtUp> shared = caughtUp.get(since);
    if (shared != null) {
      metrics.catchUpsShared.increment();
      return shared;
    }
    if (caughtUp.size() >= MAX_SHARED) {
      forgetCatchUps();
    }
    Future<CaughtUp> reading = read.get();
    caughtUp.put(since, reading);
    reading.onComplete(ar -> {
      if (caughtUp.get(since) != reading) {
        return; // forgotten meanwhile
      }
      if (ar.failed() || ar.result().text() == null || ar.result().text().length() > SHARED_FRAME_BYTES) {
        // Failures are read again; large answers were shared while in flight but are not kept:
        // slow readers already hold their copies, and memory per feed stays small.
        caughtUp.remove(since);
      } else {
        caughtUpBytes += ar.result().text().length();
        if (caughtUpBytes > SHARED_BYTES) {
          forgetCatchUps();
        }
      }
    });
    return reading;
  }

  /** Drops the shared catch-up answers: the feed moved, or a rollout of its namespace did. */
  void forgetCatchUps() {
    caughtUp.clear();
    caughtUpBytes = 0;
  }

  /** Frames {@code since+1 .. known} when all are still in memory, else null. */
  List<RevisionBus.Frame> framesAfter(long since) {
    if (since >= known || recent.isEmpty() || recent.peekFirst().version() > since + 1) {
      return null;
    }
    List<RevisionBus.Frame> out = new ArrayList<>();
    for (RevisionBus.Frame f : recent) {
      if (f.version() > since) {
        out.add(f);
      }
    }
    return out;
  }

  private void drainPending() {
    Iterator<Map.Entry<Long, RevisionBus.Frame>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, RevisionBus.Frame> e = it.next();
      if (e.getKey() <= known) {
        it.remove();
      } else if (e.getKey() == known + 1) {
        it.remove();
        deliver(e.getValue());
      } else {
        break;
      }
    }
    if (!pending.isEmpty()) {
      scheduleGapFill();
    }
  }

  private void deliver(RevisionBus.Frame f) {
    known = f.version();
    if (!caughtUp.isEmpty()) {
      forgetCatchUps();
    }
    recent.addLast(f);
    recentBytes += f.text().length();
    budget.used += f.text().length();
    while (recent.size() > RECENT_FRAMES || (recentBytes > RECENT_BYTES && recent.size() > 1)
        || (budget.used > budget.max && !recent.isEmpty())) {
      // Past the event loop's budget too, this feed's resumes come from the database instead.
      int n = recent.pollFirst().text().length();
      recentBytes -= n;
      budget.used -= n;
    }
    int written = 0;
    for (S s : List.copyOf(subscriptions)) {
      if (s.offer(f)) {
        written++;
      }
    }
    if (written > 0) {
      // Metrics once per frame and event loop: per socket they would cost as much as the writes.
      metrics.deltasSent.increment(written);
      metrics.bytesSent.increment((double) written * f.bytes());
      metrics.pushed(f.committedAt());
    }
  }

  private void scheduleGapFill() {
    if (fillScheduled || filling) {
      return;
    }
    fillScheduled = true;
    vertx.setTimer(GAP_WAIT_MS, t -> {
      fillScheduled = false;
      if (!pending.isEmpty() && pending.firstKey() > known + 1) {
        fill(pending.firstKey() - 1);
      }
    });
  }

  /**
   * The delta frame of a revision read back. Values are checked before commit, so a revision that
   * cannot be encoded predates those checks: its subscribers get an error frame in its place and
   * later versions still flow, rather than the feed stopping at it.
   */
  private RevisionBus.Frame frameOf(Revision r) {
    try {
      return RevisionBus.Frame.of(r);
    } catch (RuntimeException e) {
      failures.report("unencodable revision", e);
      String text = Payloads.error("undeliverable_version", "version " + r.version() + " of '" + namespace
          + "' cannot be encoded as JSON; it is skipped").put("namespace", namespace).put("version", r.version()).encode();
      return new RevisionBus.Frame(namespace, r.version(), text, RevisionBus.utf8Length(text), System.currentTimeMillis());
    }
  }

  /** Forgets the frames kept for resumes: the feed is going away. */
  void release() {
    forgetCatchUps();
    budget.used -= recentBytes;
    recentBytes = 0;
    recent.clear();
  }

  private void fill(long upTo) {
    filling = true;
    long from = known;
    store.revisions(namespace, from, upTo).onComplete(ar -> {
      filling = false;
      if (ar.failed()) {
        failures.report("reading missed revisions failed, retrying", ar.cause());
        vertx.setTimer(500, t -> scheduleGapFill());
        return;
      }
      for (Revision r : ar.result()) {
        metrics.gapFills.increment();
        offer(frameOf(r));
      }
      drainPending();
      long again = fillAgainTo;
      fillAgainTo = -1;
      if (again > known && !filling) {
        fill(again);
      }
    });
  }
}
