package io.herald.hub;

import io.herald.db.Revision;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
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
final class Feed {

  /** How long an out-of-order event waits for its predecessor before we read the gap from the database. */
  static final long GAP_WAIT_MS = 25;
  private static final int MAX_PENDING = 10_000;
  private static final int RECENT_FRAMES = 256;
  private static final long RECENT_BYTES = 4L * 1024 * 1024;

  final String namespace;
  final Set<Subscription> subscriptions = new LinkedHashSet<>();
  private final Fanout fanout;
  private final Vertx vertx;

  /** Every version up to this one has been delivered; -1 until the first read of the head. */
  private long known = -1;
  private final TreeMap<Long, RevisionBus.Frame> pending = new TreeMap<>();
  private final ArrayDeque<RevisionBus.Frame> recent = new ArrayDeque<>();
  private long recentBytes;
  private boolean fillScheduled;
  private boolean filling;

  Feed(Fanout fanout, String namespace) {
    this.fanout = fanout;
    this.vertx = fanout.vertx;
    this.namespace = namespace;
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
    if (known >= 0 && head > known && !filling) {
      fill(head);
    }
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
    recent.addLast(f);
    recentBytes += f.text().length();
    fanout.recentBytes += f.text().length();
    while (recent.size() > RECENT_FRAMES || (recentBytes > RECENT_BYTES && recent.size() > 1)
        || (fanout.recentBytes > Fanout.RECENT_BYTES && !recent.isEmpty())) {
      // Past the event loop's budget too, this feed's resumes come from the database instead.
      int n = recent.pollFirst().text().length();
      recentBytes -= n;
      fanout.recentBytes -= n;
    }
    int written = 0;
    for (Subscription s : List.copyOf(subscriptions)) {
      if (s.offer(f)) {
        written++;
      }
    }
    if (written > 0) {
      // Metrics once per frame and event loop: per socket they would cost as much as the writes.
      fanout.metrics.deltasSent.increment(written);
      fanout.metrics.bytesSent.increment((double) written * f.bytes());
      fanout.metrics.pushed(f.committedAt());
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
      fanout.failures.report("unencodable revision", e);
      String text = Payloads.error("undeliverable_version", "version " + r.version() + " of '" + namespace
          + "' cannot be encoded as JSON; it is skipped").put("namespace", namespace).put("version", r.version()).encode();
      return new RevisionBus.Frame(namespace, r.version(), text, RevisionBus.utf8Length(text), System.currentTimeMillis());
    }
  }

  /** Forgets the frames kept for resumes: the feed is going away. */
  void release() {
    fanout.recentBytes -= recentBytes;
    recentBytes = 0;
    recent.clear();
  }

  private void fill(long upTo) {
    filling = true;
    long from = known;
    fanout.store.revisions(namespace, from, upTo).onComplete(ar -> {
      filling = false;
      if (ar.failed()) {
        fanout.failures.report("reading missed revisions failed, retrying", ar.cause());
        vertx.setTimer(500, t -> scheduleGapFill());
        return;
      }
      for (Revision r : ar.result()) {
        fanout.metrics.gapFills.increment();
        offer(frameOf(r));
      }
      drainPending();
    });
  }
}
