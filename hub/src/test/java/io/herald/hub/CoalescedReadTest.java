package io.herald.hub;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("One read in flight, one more when asked meanwhile")
class CoalescedReadTest {

  @RegisterExtension
  static final EventLoop loop = new EventLoop();

  /** Reads that the test completes by hand; results as the handler saw them. */
  private final List<Promise<Integer>> reads = new ArrayList<>();
  private final List<AsyncResult<Integer>> results = new ArrayList<>();
  private final List<Boolean> outdated = new ArrayList<>();
  private CoalescedRead<Integer> read;

  private CoalescedRead<Integer> coalesced() {
    read = new CoalescedRead<>(() -> {
      Promise<Integer> p = Promise.promise();
      reads.add(p);
      return p.future();
    }, ar -> {
      results.add(ar);
      outdated.add(read.rerunPending());
    });
    return read;
  }

  @Test
  @DisplayName("requests while a read is in flight run exactly one more read after it")
  void coalesces() {
    CoalescedRead<Integer> r = coalesced();
    r.request();
    r.request();
    r.request();
    assertEquals(1, reads.size(), "one read in flight at a time");
    reads.get(0).complete(1);
    assertEquals(2, reads.size(), "the requests made meanwhile ran one more read");
    reads.get(1).complete(2);
    assertEquals(2, reads.size(), "nothing was asked during the second read");
    assertEquals(List.of(1, 2), results.stream().map(AsyncResult::result).toList());
  }

  @Test
  @DisplayName("the handler knows when its result is already outdated by a read to follow")
  void outdatedResult() {
    CoalescedRead<Integer> r = coalesced();
    r.request();
    r.request();
    reads.get(0).complete(1);
    reads.get(1).complete(2);
    assertEquals(List.of(true, false), outdated);
  }

  @Test
  @DisplayName("with nothing in flight, every request reads")
  void sequential() {
    CoalescedRead<Integer> r = coalesced();
    for (int i = 0; i < 3; i++) {
      r.request();
      reads.get(i).complete(i);
    }
    assertEquals(3, reads.size());
    assertEquals(3, results.size());
  }

  @Test
  @DisplayName("a failed read reaches the handler, and a request made meanwhile still reads again")
  void failure() {
    CoalescedRead<Integer> r = coalesced();
    r.request();
    r.request();
    reads.get(0).fail("database down");
    assertTrue(results.get(0).failed());
    assertEquals(2, reads.size());
  }

  @Test
  @DisplayName("after stop nothing is read, and the result of a read in flight is dropped")
  void stop() {
    CoalescedRead<Integer> r = coalesced();
    r.request();
    r.request();
    r.stop();
    reads.get(0).complete(1);
    r.request();
    assertEquals(1, reads.size());
    assertTrue(results.isEmpty());
  }

  @Test
  @DisplayName("with a minimum interval the next read waits for it and covers every request made meanwhile")
  void minimumInterval() {
    long intervalMs = 50;
    List<Long> startedAt = new ArrayList<>();
    CoalescedRead<Integer> r = new CoalescedRead<>(loop.vertx, intervalMs, () -> {
      startedAt.add(System.currentTimeMillis());
      return Future.succeededFuture(startedAt.size());
    }, ar -> { });
    loop.run(() -> {
      r.request();
      r.request(); // within the interval: waits
      r.request();
      r.request();
    });
    assertEquals(1, loop.call(startedAt::size));
    loop.await(() -> startedAt.size() == 2, "the delayed read");
    loop.idle(2 * intervalMs);
    assertEquals(2, loop.call(startedAt::size), "the delayed read covered all three requests");
    long gap = loop.call(() -> startedAt.get(1) - startedAt.get(0));
    assertTrue(gap >= intervalMs - 1, "second read " + gap + " ms after the first");
    assertFalse(gap > 10 * intervalMs, "second read " + gap + " ms after the first");
  }
}
