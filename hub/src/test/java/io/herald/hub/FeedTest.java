package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.Revision;
import io.herald.db.RevisionInfo;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The feed on a real event loop against a revision table in memory: no server, no database. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("A namespace's feed delivers in version order")
class FeedTest {

  private static final String NS = "feed.test";
  @RegisterExtension
  static final EventLoop loop = new EventLoop();

  private final Recorder client = new Recorder();
  private final FakeRevisions store = new FakeRevisions();
  private final HubMetrics metrics = new HubMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private Feed<Recorder> feed;

  /** A subscriber that takes every frame and remembers its version. */
  private static final class Recorder implements Feed.Subscriber {
    final List<Long> versions = new ArrayList<>();

    @Override
    public boolean offer(RevisionBus.Frame f) {
      versions.add(f.version());
      return true;
    }
  }

  /** The revision table in memory: every version exists; remembers each range read and when. */
  private static final class FakeRevisions implements Feed.RevisionReader {
    final List<String> reads = new ArrayList<>();
    final List<Long> readAt = new ArrayList<>();

    @Override
    public Future<List<Revision>> revisions(String namespace, long fromExclusive, long toInclusive) {
      reads.add(fromExclusive + ".." + toInclusive);
      readAt.add(System.currentTimeMillis());
      return Future.succeededFuture(LongStream.rangeClosed(fromExclusive + 1, toInclusive)
          .mapToObj(v -> new Revision(new RevisionInfo(namespace, v, v - 1, "write", null, "test", "", 1,
              OffsetDateTime.now()), List.of(Change.put("k", v))))
          .toList());
    }
  }

  private static RevisionBus.Frame frame(long version) {
    return frame(version, "{}");
  }

  private static RevisionBus.Frame frame(long version, String text) {
    return new RevisionBus.Frame(NS, version, text, text.length(), System.currentTimeMillis());
  }

  /** A feed with one subscriber that has delivered everything up to {@code known}. */
  private void start(long known) {
    loop.run(() -> {
      feed = new Feed<>(NS, loop.vertx, store, metrics, new Feed.RecentBudget(Long.MAX_VALUE), new FailureLog(60_000));
      feed.subscriptions.add(client);
      feed.establish(known);
    });
  }

  private void offer(long... versions) {
    loop.run(() -> LongStream.of(versions).forEach(v -> feed.offer(frame(v))));
  }

  private List<Long> delivered() {
    return loop.call(() -> List.copyOf(client.versions));
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  @Test
  @DisplayName("frames arriving out of order are delivered in version order without reading the database")
  void outOfOrder() {
    start(0);
    offer(3, 2, 1);
    assertEquals(List.of(1L, 2L, 3L), delivered());
    loop.idle(2 * Feed.GAP_WAIT_MS);
    assertEquals(List.of(), loop.call(() -> List.copyOf(store.reads)));
  }

  @Test
  @DisplayName("duplicates and versions already delivered are dropped")
  void duplicates() {
    start(5);
    offer(6, 6, 3, 5, 7, 6, 7);
    assertEquals(List.of(6L, 7L), delivered());
    assertEquals(7, loop.call(feed::known));
  }

  @Test
  @DisplayName("frames that come before the feed knows where it starts wait for that, then follow it")
  void beforeEstablished() {
    loop.run(() -> {
      feed = new Feed<>(NS, loop.vertx, store, metrics, new Feed.RecentBudget(Long.MAX_VALUE), new FailureLog(60_000));
      feed.subscriptions.add(client);
      feed.offer(frame(4));
      feed.offer(frame(2));
      feed.offer(frame(3));
    });
    assertEquals(List.of(), delivered());
    loop.run(() -> feed.establish(2));
    assertEquals(List.of(3L, 4L), delivered());
    loop.run(() -> feed.establish(1)); // a later subscription's read changes nothing
    assertEquals(4, loop.call(feed::known));
  }

  @Test
  @DisplayName("a gap is read from the revision table after GAP_WAIT_MS, and the frames behind it follow")
  void gapFill() {
    start(0);
    long offeredAt = loop.call(() -> {
      feed.offer(frame(1));
      feed.offer(frame(4));
      return System.currentTimeMillis();
    });
    assertEquals(List.of(1L), delivered());
    assertEquals(List.of(), loop.call(() -> List.copyOf(store.reads)), "the missing frames may still come");
    loop.await(() -> client.versions.size() == 4, "versions 2 and 3 read from the table");
    assertEquals(range(1, 4), delivered());
    assertEquals(List.of("1..3"), loop.call(() -> List.copyOf(store.reads)));
    long waited = loop.call(() -> store.readAt.get(0)) - offeredAt;
    assertTrue(waited >= Feed.GAP_WAIT_MS - 1, "read after " + waited + " ms");
    assertEquals(2.0, metrics.gapFills.count());
  }

  @Test
  @DisplayName("a head seen past what was delivered is read at once")
  void headSeen() {
    start(0);
    offer(1);
    loop.run(() -> feed.headSeen(3));
    assertEquals(range(1, 3), delivered());
    assertEquals(List.of("1..3"), loop.call(() -> List.copyOf(store.reads)));
    loop.run(() -> feed.headSeen(2));
    assertEquals(1, loop.call(() -> store.reads.size()), "a head it already has reads nothing");
  }

  @Test
  @DisplayName("the recent window holds the newest RECENT_FRAMES frames for catch-up from memory")
  void recentByCount() {
    start(0);
    long head = Feed.RECENT_FRAMES + 10;
    offer(LongStream.rangeClosed(1, head).toArray());
    assertEquals(Feed.RECENT_FRAMES, loop.call(() -> feed.framesAfter(head - Feed.RECENT_FRAMES)).size());
    assertEquals(range(head - 1, head), loop.call(() -> feed.framesAfter(head - 2)).stream()
        .map(RevisionBus.Frame::version).toList());
    assertNull(loop.call(() -> feed.framesAfter(head - Feed.RECENT_FRAMES - 1)), "older frames were evicted");
    assertNull(loop.call(() -> feed.framesAfter(head)), "nothing after the head");
  }

  @Test
  @DisplayName("the recent window also stays within RECENT_BYTES, but always keeps the newest frame")
  void recentByBytes() {
    start(0);
    String third = "x".repeat((int) (Feed.RECENT_BYTES / 3) + 1);
    loop.run(() -> LongStream.rangeClosed(1, 5).forEach(v -> feed.offer(frame(v, third))));
    assertEquals(List.of(4L, 5L), loop.call(() -> feed.framesAfter(3)).stream().map(RevisionBus.Frame::version).toList());
    assertNull(loop.call(() -> feed.framesAfter(2)), "three such frames are over the byte budget");
    String huge = "x".repeat((int) Feed.RECENT_BYTES + 1);
    loop.run(() -> feed.offer(frame(6, huge)));
    assertEquals(List.of(6L), loop.call(() -> feed.framesAfter(5)).stream().map(RevisionBus.Frame::version).toList());
    assertNull(loop.call(() -> feed.framesAfter(4)));
  }

  @Test
  @DisplayName("a full pending buffer gives up its newest frame, which a later gap fill reads back")
  void maxPending() {
    start(0);
    long last = Feed.MAX_PENDING + 2;
    offer(LongStream.rangeClosed(2, last).toArray()); // version 1 never comes
    loop.await(() -> client.versions.size() == last, "every version delivered");
    assertEquals(range(1, last), delivered());
    assertEquals(List.of("0..1", Feed.MAX_PENDING + ".." + (Feed.MAX_PENDING + 1)),
        loop.call(() -> List.copyOf(store.reads)));
  }

  @Test
  @DisplayName("the head's digest is computed once per version however many clients ask, and again after a failure")
  void headDigestOnce() {
    start(3);
    List<Long> computed = new ArrayList<>();
    String first = loop.call(() -> {
      Future<String> a = feed.headDigest(3, () -> {
        computed.add(3L);
        return Future.succeededFuture("sha256:three");
      });
      for (int i = 0; i < 100; i++) {
        feed.headDigest(3, () -> {
          computed.add(3L);
          return Future.succeededFuture("sha256:again");
        });
      }
      return a.result();
    });
    assertEquals("sha256:three", first);
    assertEquals(List.of(3L), computed);
    loop.run(() -> {
      feed.offer(frame(4));
      feed.headDigest(4, () -> {
        computed.add(4L);
        return Future.failedFuture(new RuntimeException("database gone"));
      });
      feed.headDigest(4, () -> {
        computed.add(4L);
        return Future.succeededFuture("sha256:four");
      });
    });
    assertEquals(List.of(3L, 4L, 4L), loop.call(() -> List.copyOf(computed)));
  }

  @Test
  @DisplayName("resumes from the same version share one read until the feed moves on; large answers only while read")
  void sharedCatchUps() {
    start(3);
    List<String> reads = new ArrayList<>();
    io.vertx.core.Promise<Feed.CaughtUp> inFlight = loop.call(io.vertx.core.Promise::promise);
    // Three resumes from 2 while the read is under way, then two more after it answered: one read.
    List<Future<Feed.CaughtUp>> answers = loop.call(() -> {
      List<Future<Feed.CaughtUp>> out = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        out.add(feed.catchUp(2, () -> {
          reads.add("2");
          return inFlight.future();
        }));
      }
      inFlight.complete(new Feed.CaughtUp(3, "{\"delta\":\"2..3\"}", false));
      for (int i = 0; i < 2; i++) {
        out.add(feed.catchUp(2, () -> {
          reads.add("2 again");
          return Future.succeededFuture(new Feed.CaughtUp(3, "{}", false));
        }));
      }
      return out;
    });
    assertEquals(List.of("2"), reads);
    answers.forEach(a -> assertEquals(3, a.result().version()));
    // Version 4 arrives: the shared answer would be a step behind, so the next resume reads again.
    loop.run(() -> {
      feed.offer(frame(4));
      feed.catchUp(2, () -> {
        reads.add("2 after 4");
        return Future.succeededFuture(new Feed.CaughtUp(4, "{}", false));
      });
    });
    assertEquals(List.of("2", "2 after 4"), loop.call(() -> List.copyOf(reads)));
    // A failed read is not kept; an answer over 64 KiB is not kept either.
    String large = "x".repeat(Feed.SHARED_FRAME_BYTES + 1);
    loop.run(() -> {
      feed.catchUp(0, () -> {
        reads.add("0 fails");
        return Future.failedFuture(new RuntimeException("database gone"));
      });
      feed.catchUp(0, () -> {
        reads.add("0 large");
        return Future.succeededFuture(new Feed.CaughtUp(4, large, true));
      });
      feed.catchUp(0, () -> {
        reads.add("0 again");
        return Future.succeededFuture(new Feed.CaughtUp(4, large, true));
      });
    });
    assertEquals(List.of("2", "2 after 4", "0 fails", "0 large", "0 again"), loop.call(() -> List.copyOf(reads)));
    assertEquals(4.0, loop.call(() -> metrics.catchUpsShared.count()), "2 joined the read in flight, 2 its answer");
  }
}
