package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.RevisionInfo;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Group commit: writes queue behind the batch in flight")
class WriteBatcherTest {

  /** A store that answers batches only when the test says so. */
  private final List<List<ConfigStore.Append>> batches = new ArrayList<>();
  private final List<Promise<List<Future<Revision>>>> answers = new ArrayList<>();
  private final WriteBatcher batcher = new WriteBatcher(appends -> {
    batches.add(appends);
    Promise<List<Future<Revision>>> p = Promise.promise();
    answers.add(p);
    return p.future();
  }, 3, new java.util.concurrent.atomic.AtomicInteger());

  private static ConfigStore.Append write(int i) {
    return ConfigStore.Append.write("ns", List.of(Change.put("k", i)), null, "w" + i, "");
  }

  private static Revision revision(long version) {
    return new Revision(new RevisionInfo("ns", version, version - 1, ConfigStore.KIND_WRITE, null, "w", "", 1, null),
        List.of());
  }

  @Test
  @DisplayName("a lone write is sent at once, not held for company")
  void loneWrite() {
    Future<Revision> f = batcher.submit(write(1));
    assertEquals(1, batches.size());
    answers.get(0).complete(List.of(Future.succeededFuture(revision(1))));
    assertEquals(1, f.result().version());
  }

  @Test
  @DisplayName("writes arriving during a batch go together next, at most the batch size at once")
  void queueBehindInFlight() {
    Future<Revision> first = batcher.submit(write(1));
    List<Future<Revision>> rest = new ArrayList<>();
    for (int i = 2; i <= 6; i++) {
      rest.add(batcher.submit(write(i)));
    }
    assertEquals(1, batches.size(), "one batch in flight at a time");
    assertEquals(5, batcher.waiting());
    answers.get(0).complete(List.of(Future.succeededFuture(revision(1))));
    assertTrue(first.succeeded());
    assertEquals(2, batches.size());
    assertEquals(3, batches.get(1).size(), "capped at the batch size");
    answers.get(1).complete(List.of(Future.succeededFuture(revision(2)),
        Future.failedFuture(new StoreException.VersionConflict("ns", 1, 2)), Future.succeededFuture(revision(3))));
    assertEquals(2, rest.get(0).result().version());
    assertInstanceOf(StoreException.VersionConflict.class, rest.get(1).cause(), "a conflict fails its write alone");
    assertEquals(3, rest.get(2).result().version());
    assertEquals(3, batches.size());
    assertEquals(2, batches.get(2).size());
    assertFalse(rest.get(3).isComplete());
  }

  @Test
  @DisplayName("a failure of the batch itself fails each of its writes, and the next batch still goes")
  void batchFailure() {
    batcher.submit(write(1));
    Future<Revision> a = batcher.submit(write(2));
    Future<Revision> b = batcher.submit(write(3));
    answers.get(0).complete(List.of(Future.succeededFuture(revision(1))));
    answers.get(1).fail(new StoreException.Unavailable(new java.net.ConnectException("refused")));
    assertInstanceOf(StoreException.Unavailable.class, a.cause());
    assertInstanceOf(StoreException.Unavailable.class, b.cause());
    Future<Revision> after = batcher.submit(write(4));
    assertEquals(3, batches.size(), "the batcher is idle again and sends at once");
    answers.get(2).complete(List.of(Future.succeededFuture(revision(2))));
    assertEquals(2, after.result().version());
  }
}
