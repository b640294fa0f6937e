package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.Revision;
import io.herald.db.RevisionDigest;
import io.herald.db.RevisionInfo;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** FrameCheck on a real event loop against digests in memory: no server, no database. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("Only frames that are committed revisions, as committed, are pushed")
class FrameCheckTest {

  private static final String NS = "frames.test";
  private static final OffsetDateTime COMMITTED = OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);

  @RegisterExtension
  static final EventLoop loop = new EventLoop();

  private final HubMetrics metrics = new HubMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private final Table table = new Table();
  private final List<String> outcomes = new ArrayList<>();
  private final List<RevisionBus.Frame> verified = new ArrayList<>();

  /** The revision table's digests in memory; a read may be held open or failed by the test. */
  private static final class Table implements FrameCheck.DigestReader {
    final Map<Long, RevisionDigest> rows = new HashMap<>();
    final List<List<Long>> reads = new ArrayList<>();
    Promise<Void> gate;
    int failures;

    void commit(Revision r, boolean withDigest) {
      rows.put(r.version(), new RevisionDigest(r.namespace(), r.version(), COMMITTED,
          withDigest ? RevisionBus.seal(r.changes()).sha256() : null));
    }

    @Override
    public Future<List<RevisionDigest>> digests(List<String> namespaces, List<Long> versions) {
      reads.add(List.copyOf(versions));
      if (failures > 0) {
        failures--;
        return Future.failedFuture("database unavailable");
      }
      Future<Void> open = gate == null ? Future.succeededFuture() : gate.future();
      return open.map(v -> versions.stream().filter(rows::containsKey).map(rows::get).toList());
    }
  }

  private FrameCheck check(FrameCheck.Published published) {
    return new FrameCheck(loop.vertx, table, published, metrics, new FailureLog(60_000), new FrameCheck.Outcome() {
      @Override
      public void verified(RevisionBus.Frame f) {
        outcomes.add("pushed " + f.version());
        verified.add(f);
      }

      @Override
      public void refused(String namespace, long version, boolean committed) {
        outcomes.add((committed ? "read back " : "forged ") + version);
      }
    });
  }

  private FrameCheck clustered() {
    return check(new FrameCheck.Published(true));
  }

  private static Revision revision(long version, Object value) {
    return new Revision(new RevisionInfo(NS, version, version - 1, "write", null, "test", "", 1, COMMITTED),
        List.of(Change.put("k", value)));
  }

  /** The frame as another node publishes it: a commit time of its own clock in the header. */
  private static RevisionBus.Frame sent(Revision r) {
    RevisionBus.Frame f = RevisionBus.Frame.of(r, RevisionBus.seal(r.changes()).changesText());
    return f.committedAt(f.committedAt() + 12_345);
  }

  private List<String> outcomes() {
    return loop.call(() -> List.copyOf(outcomes));
  }

  /** Offers another node's frame of {@code r} to a clustered check and waits for what becomes of it. */
  private List<String> offerFromAnotherNode(Revision r) {
    FrameCheck check = clustered();
    loop.run(() -> check.offer(sent(r)));
    loop.await(() -> !outcomes.isEmpty(), "an outcome");
    return outcomes();
  }

  private double forged() {
    return metrics.forgedFrames.count();
  }

  @Test
  @DisplayName("a frame's text is the delta frame as Payloads encodes it, and its digest covers the changes")
  void frameIsPrefixChangesBrace() {
    Revision r = new Revision(new RevisionInfo(NS, 7, 6, "write", null, "a", "", 2, COMMITTED),
        List.of(Change.put("b", new JsonObject().put("x", List.of(1, "é"))), Change.delete("a")));
    RevisionBus.Sealed sealed = RevisionBus.seal(r.changes());
    assertEquals(List.of("a", "b"), sealed.changes().stream().map(Change::key).toList(), "key order, as stored");
    RevisionBus.Frame f = RevisionBus.Frame.of(new Revision(r.info(), sealed.changes()), sealed.changesText());
    assertEquals(Payloads.deltaFrame(NS, 6, 7, sealed.changes()).encode(), f.text());
    assertEquals(RevisionBus.Frame.of(new Revision(r.info(), sealed.changes())), f);
    assertEquals(java.util.HexFormat.of().formatHex(sealed.sha256()),
        java.util.HexFormat.of().formatHex(RevisionBus.changesSha256(f)));
  }

  @Test
  @DisplayName("a frame from another node that matches its committed revision is pushed, stamped with the database's time")
  void matchingFrame() {
    Revision r = revision(1, "real");
    table.commit(r, true);
    assertEquals(List.of("pushed 1"), offerFromAnotherNode(r));
    assertEquals(COMMITTED.toInstant().toEpochMilli(), loop.call(() -> verified.get(0).committedAt()));
    assertEquals(0, forged());
  }

  @Test
  @DisplayName("frames that invent a revision, alter one, or do not match their headers are dropped and counted")
  void forgedFrames() {
    Revision real = revision(2, "real");
    table.commit(real, true);
    FrameCheck check = clustered();
    RevisionBus.Frame altered = sent(revision(2, "forged"));
    RevisionBus.Frame invented = sent(revision(3, "forged"));
    RevisionBus.Frame misaddressed = new RevisionBus.Frame(NS, 2, sent(revision(9, "real")).text(), 10, 0);
    loop.run(() -> {
      check.offer(altered);
      check.offer(invented);
      check.offer(misaddressed);
    });
    loop.await(() -> outcomes.size() == 3, "three outcomes");
    assertEquals(List.of("forged 2", "forged 2", "forged 3"), outcomes().stream().sorted().toList());
    assertEquals(3, forged());
    assertEquals(List.of(2L, 3L), loop.call(() -> table.reads.stream().flatMap(List::stream).toList()),
        "a frame that is not the delta of its own headers is refused without a read");
    loop.run(() -> check.malformed(new NumberFormatException("For input string: \"x\"")));
    assertEquals(4, forged());
  }

  @Test
  @DisplayName("a committed revision without a digest (a rollback) is read from the table instead of trusted")
  void rollbackIsReadBack() {
    Revision r = revision(4, "rolled back");
    table.commit(r, false);
    assertEquals(List.of("read back 4"), offerFromAnotherNode(r));
    assertEquals(0, forged());
  }

  @Test
  @DisplayName("frames this process published are pushed without a read; a forged copy of their version is not")
  void ownFrames() {
    FrameCheck.Published published = new FrameCheck.Published(true);
    Revision r = revision(5, "mine");
    RevisionBus.Frame mine = RevisionBus.Frame.of(r, RevisionBus.seal(r.changes()).changesText());
    published.record(mine);
    FrameCheck check = check(published);
    loop.run(() -> check.offer(RevisionBus.Frame.of(r)));
    assertEquals(List.of("pushed 5"), outcomes());
    assertSame(mine, loop.call(() -> verified.get(0)));
    loop.run(() -> check.offer(sent(revision(5, "forged"))));
    loop.await(() -> outcomes.size() == 2, "a second outcome");
    assertEquals("forged 5", outcomes().get(1));
    assertEquals(1, loop.call(() -> table.reads.size()));
  }

  @Test
  @DisplayName("without a cluster nothing else can publish, so nothing is read")
  void singleNode() {
    FrameCheck check = check(new FrameCheck.Published(false));
    loop.run(() -> check.offer(sent(revision(6, "anything"))));
    assertEquals(List.of("pushed 6"), outcomes());
    assertEquals(List.of(), loop.call(() -> List.copyOf(table.reads)));
  }

  @Test
  @DisplayName("frames arriving while a read is in flight are checked together by the next read, in arrival order")
  void batches() {
    for (long v = 1; v <= 5; v++) {
      table.commit(revision(v, v), true);
    }
    FrameCheck check = clustered();
    loop.run(() -> {
      table.gate = Promise.promise();
      check.offer(sent(revision(1, 1L)));
      check.offer(sent(revision(2, 2L)));
      check.offer(sent(revision(3, 3L)));
    });
    loop.run(() -> check.offer(sent(revision(4, 4L))));
    assertEquals(List.of(List.of(1L)), loop.call(() -> List.copyOf(table.reads)));
    loop.run(() -> {
      Promise<Void> gate = table.gate;
      table.gate = null;
      gate.complete();
    });
    loop.await(() -> outcomes.size() == 4, "four outcomes");
    assertEquals(List.of("pushed 1", "pushed 2", "pushed 3", "pushed 4"), outcomes());
    assertEquals(List.of(List.of(1L), List.of(2L, 3L, 4L)), loop.call(() -> List.copyOf(table.reads)));
  }

  @Test
  @DisplayName("while the database cannot answer, frames wait and are checked when it is back, none pushed unchecked")
  void databaseDown() {
    Revision r = revision(1, "real");
    table.commit(r, true);
    table.failures = 2;
    long start = System.currentTimeMillis();
    assertEquals(List.of("pushed 1"), offerFromAnotherNode(r));
    assertEquals(3, loop.call(() -> table.reads.size()));
    assertEquals(true, System.currentTimeMillis() - start >= 2 * FrameCheck.RETRY_MS);
  }
}
