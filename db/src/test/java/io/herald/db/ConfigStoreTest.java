package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
@DisplayName("ConfigStore against a real PostgreSQL")
class ConfigStoreTest {

  private static TestDatabase db;
  private static Pool pool;
  private static ConfigStore store;

  @BeforeAll
  static void setUp(Vertx vertx) {
    db = TestDatabase.create(ConfigStoreTest.class);
    pool = Database.pool(vertx, db.url(), 8);
    store = new ConfigStore(pool);
  }

  @AfterAll
  static void tearDown() {
    pool.close().await();
    db.close();
  }

  @Test
  @DisplayName("revisions get contiguous versions, and history, snapshots and diffs see them")
  void roundTrip(VertxTestContext ctx) {
    String ns = "store.roundtrip";
    store.append(ns, List.of(Change.put("a", 1), Change.put("b", "x")), null, "admin", "first")
        .compose(r1 -> {
          assertEquals(1, r1.version());
          return store.append(ns, List.of(Change.put("a", 2), Change.delete("b")), 1L, "admin", "second");
        })
        .compose(r2 -> {
          assertEquals(2, r2.version());
          return Future.all(store.snapshot(ns, 1), store.snapshot(ns), store.diff(ns, 1, 2), store.history(ns, Long.MAX_VALUE, 0, 10));
        })
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          Snapshot v1 = all.resultAt(0);
          Snapshot head = all.resultAt(1);
          Diff diff = all.resultAt(2);
          HistoryPage history = all.resultAt(3);
          assertEquals(Map.of("a", 1, "b", "x"), v1.entries());
          assertEquals(2, head.version());
          assertEquals(Map.of("a", 2), head.entries());
          assertEquals(2, diff.changes().size());
          assertEquals(List.of(2L, 1L), history.revisions().stream().map(RevisionInfo::version).toList());
          ctx.completeNow();
        })));
  }

  @Test
  @DisplayName("a write's digest commits with it (not with a refused write); rollbacks have none; unknown versions are left out")
  void digests() {
    String ns = "store.digests";
    byte[] first = new byte[32];
    byte[] second = new byte[32];
    first[0] = 1;
    second[0] = 2;
    Revision r1 = store.append(ns, List.of(Change.put("a", 1)), null, "admin", "", first).await();
    assertInstanceOf(StoreException.VersionConflict.class, assertThrowsCause(
        () -> store.append(ns, List.of(Change.put("a", 2)), 0L, "admin", "", second).await()));
    store.append(ns, List.of(Change.put("a", 3)), 1L, "admin", "", second).await();
    store.rollback(ns, 1, null, "admin", "").await();
    List<RevisionDigest> found = store.digests(List.of(ns, ns, ns, ns, "store.none"), List.of(1L, 2L, 3L, 4L, 1L)).await();
    Map<Long, RevisionDigest> byVersion = found.stream().collect(Collectors.toMap(RevisionDigest::version, d -> d));
    assertEquals(Set.of(1L, 2L, 3L), byVersion.keySet());
    assertEquals(List.of((byte) 1, (byte) 2), List.of(byVersion.get(1L).changesSha256()[0], byVersion.get(2L).changesSha256()[0]));
    assertEquals(null, byVersion.get(3L).changesSha256(), "a rollback's changes are computed in SQL: no digest");
    assertEquals(r1.info().createdAt().toInstant(), byVersion.get(1L).createdAt().toInstant());
  }

  private static Throwable assertThrowsCause(org.junit.jupiter.api.function.Executable call) {
    Throwable t = org.junit.jupiter.api.Assertions.assertThrows(Throwable.class, call);
    return t instanceof StoreException ? t : t.getCause() == null ? t : t.getCause();
  }

  @Test
  @DisplayName("a stale expected_version is refused and nothing is written")
  void staleExpectedVersion(VertxTestContext ctx) {
    String ns = "store.cas";
    store.append(ns, List.of(Change.put("k", true)), null, "admin", "")
        .compose(r -> store.append(ns, List.of(Change.put("k", false)), 0L, "admin", ""))
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          StoreException.VersionConflict conflict = assertInstanceOf(StoreException.VersionConflict.class, err);
          assertEquals(1, conflict.head);
          store.snapshot(ns).onComplete(ctx.succeeding(s -> ctx.verify(() -> {
            assertEquals(1, s.version());
            assertEquals(Map.of("k", true), s.entries());
            ctx.completeNow();
          })));
        })));
  }

  @Test
  @DisplayName("rollback appends a revision that restores the old state")
  void rollback(VertxTestContext ctx) {
    String ns = "store.rollback";
    store.append(ns, List.of(Change.put("a", new JsonObject().put("x", 1))), null, "admin", "")
        .compose(r -> store.append(ns, List.of(Change.put("a", 2), Change.put("c", 3)), null, "admin", ""))
        .compose(r -> store.rollback(ns, 1, null, "admin", "undo"))
        .compose(r -> {
          assertEquals(3, r.version());
          assertEquals(ConfigStore.KIND_ROLLBACK, r.info().kind());
          return store.snapshot(ns);
        })
        .onComplete(ctx.succeeding(s -> ctx.verify(() -> {
          assertEquals(3, s.version());
          assertEquals(Map.of("a", new JsonObject().put("x", 1)), s.entries());
          ctx.completeNow();
        })));
  }

  @Test
  @DisplayName("rollback returns the changes it appended, sorted by key; a rollback to the head has none")
  void rollbackChanges(VertxTestContext ctx) {
    String ns = "store.rollback.changes";
    store.append(ns, List.of(Change.put("b", 2), Change.put("a", new JsonObject().put("x", 1))), null, "admin", "")
        .compose(r -> store.append(ns, List.of(Change.put("a", 3), Change.delete("b"), Change.put("c", 4)), null, "admin", ""))
        .compose(r -> store.rollback(ns, 1, 2L, "admin", "undo"))
        .compose(r -> {
          assertEquals(3, r.version());
          assertEquals(2, r.info().parentVersion());
          assertEquals(1L, r.info().rollbackTo());
          assertEquals("undo", r.info().message());
          assertEquals(3, r.info().changeCount());
          assertEquals(List.of(Change.put("a", new JsonObject().put("x", 1)), Change.put("b", 2), Change.delete("c")),
              r.changes());
          return store.revision(ns, 3).map(stored -> {
            assertEquals(r.changes(), stored.changes(), "what rollback returns is what it stored");
            assertEquals(r.info(), stored.info());
            return stored;
          });
        })
        .compose(r -> store.rollback(ns, 3, null, "admin", null))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(4, r.version());
          assertEquals(ConfigStore.KIND_ROLLBACK, r.info().kind());
          assertEquals(0, r.info().changeCount());
          assertEquals(List.of(), r.changes());
          assertEquals("", r.info().message());
          ctx.completeNow();
        })));
  }

  @Test
  @DisplayName("rollback refuses a stale expected version first, then a namespace without revisions, then versions outside 1..head")
  void rollbackRefusals(VertxTestContext ctx) {
    String ns = "store.rollback.refused";
    String none = "store.rollback.none";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "")
        .compose(r -> store.append(ns, List.of(Change.put("a", 2)), null, "admin", ""))
        .compose(r -> Future.all(List.of(
            failure(store.rollback(ns, 1, 1L, "admin", "")),
            failure(store.rollback(none, 1, 5L, "admin", "")),
            failure(store.rollback(none, 1, null, "admin", "")),
            failure(store.rollback(none, 1, 0L, "admin", "")),
            failure(store.rollback(ns, 0, null, "admin", "")),
            failure(store.rollback(ns, 3, 2L, "admin", "")))))
        .compose(all -> {
          assertEquals(2, assertInstanceOf(StoreException.VersionConflict.class, all.resultAt(0)).head);
          assertEquals(0, assertInstanceOf(StoreException.VersionConflict.class, all.resultAt(1)).head);
          assertInstanceOf(StoreException.NamespaceNotFound.class, all.resultAt(2));
          assertInstanceOf(StoreException.NamespaceNotFound.class, all.resultAt(3));
          assertEquals(2, assertInstanceOf(StoreException.VersionNotFound.class, all.resultAt(4)).head);
          StoreException.VersionNotFound past = assertInstanceOf(StoreException.VersionNotFound.class, all.resultAt(5));
          assertEquals(2, past.head);
          assertEquals("namespace 'store.rollback.refused' has no version 3 (head is 2)", past.getMessage());
          return Future.all(failure(store.head(none)), store.head(ns));
        })
        .onComplete(ctx.succeeding(heads -> ctx.verify(() -> {
          assertInstanceOf(StoreException.NamespaceNotFound.class, heads.resultAt(0), "a refused rollback leaves no trace");
          assertEquals(2L, (Long) heads.resultAt(1), "nothing was appended");
          ctx.completeNow();
        })));
  }

  @Test
  @DisplayName("concurrent rollbacks and writes keep versions contiguous, and every rollback restores its target")
  void concurrentRollbacksAndWrites(VertxTestContext ctx) {
    String ns = "store.rollback.race";
    int seeded = 3;
    int racing = 60;
    Future<Revision> seed = Future.succeededFuture();
    for (int i = 1; i <= seeded; i++) {
      Change c = Change.put("k" + i, i);
      seed = seed.compose(r -> store.append(ns, List.of(c), null, "admin", "seed"));
    }
    seed.compose(s -> {
          List<Future<Revision>> all = new ArrayList<>();
          for (int i = 0; i < racing; i++) {
            all.add(i % 3 == 0
                ? store.rollback(ns, 1 + i % seeded, null, "admin", "race")
                : store.append(ns, List.of(Change.put("k" + i % 5, i), Change.put("w" + i, true)), null, "admin", "race"));
          }
          return Future.all(all).map(done -> all.stream().map(Future::result).toList());
        })
        .compose(revisions -> {
          Set<Long> versions = revisions.stream().map(Revision::version).collect(Collectors.toCollection(LinkedHashSet::new));
          assertEquals(LongStream.rangeClosed(seeded + 1, seeded + racing).boxed().collect(Collectors.toSet()), versions);
          List<Future<?>> checks = new ArrayList<>();
          checks.add(store.history(ns, Long.MAX_VALUE, 0, 1000).map(page -> {
            assertEquals(seeded + racing, page.head());
            List<Long> listed = page.revisions().stream().map(RevisionInfo::version).toList();
            assertEquals(LongStream.iterate(seeded + racing, v -> v >= 1, v -> v - 1).boxed().toList(), listed);
            page.revisions().forEach(info -> assertEquals(info.version() - 1, info.parentVersion()));
            return page;
          }));
          for (Revision r : revisions) {
            if (r.info().rollbackTo() != null) {
              checks.add(Future.all(store.snapshot(ns, r.version()), store.snapshot(ns, r.info().rollbackTo()),
                  store.revision(ns, r.version())).map(both -> {
                Snapshot after = both.resultAt(0);
                Snapshot target = both.resultAt(1);
                Revision stored = both.resultAt(2);
                assertEquals(target.entries(), after.entries(), "version " + r.version() + " restores " + target.version());
                assertEquals(stored.changes(), r.changes(), "version " + r.version() + " returned what it stored");
                return both;
              }));
            }
          }
          return Future.all(checks);
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("database failures reach callers as types: a refused value, a duplicate, an unreachable server, a pool timeout")
  void typedFailures(Vertx vertx, VertxTestContext ctx) {
    TokenStore tokens = new TokenStore(pool);
    Pool unreachable = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(new PgConnectOptions().setHost("127.0.0.1").setPort(1).setDatabase("none").setUser("postgres"))
        .using(vertx).build();
    Pool waiting = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setConnectionTimeout(200).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(Database.connectOptions(db.url())).using(vertx).build();
    Future<Object> sleeper = waiting.query("SELECT pg_sleep(1)").execute().map(rows -> rows);
    Future.all(List.of(
            failure(store.append("store.typed", List.of(Change.put("k", "nul\u0000inside")), null, "admin", "")),
            tokens.create("twice", "reader", List.of("*"), "admin")
                .compose(t -> failure(tokens.create("twice", "reader", List.of("*"), "admin"))),
            failure(new ConfigStore(unreachable).head("store.typed")),
            failure(new ClientStateStore(waiting).list("store.typed"))))
        .eventually(() -> Future.all(sleeper, unreachable.close()).eventually(waiting::close))
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          assertInstanceOf(StoreException.InvalidValue.class, all.resultAt(0));
          assertEquals("tokens_name_key", assertInstanceOf(StoreException.Duplicate.class, all.resultAt(1)).constraint);
          assertInstanceOf(StoreException.Unavailable.class, all.resultAt(2));
          assertInstanceOf(StoreException.Unavailable.class, all.resultAt(3));
          ctx.completeNow();
        })));
  }

  /** Succeeds with the failure of {@code f}, fails when {@code f} succeeds. */
  private static Future<Throwable> failure(Future<?> f) {
    return f.transform(ar -> ar.succeeded()
        ? Future.failedFuture(new AssertionError("expected a failure, got " + ar.result()))
        : Future.succeededFuture(ar.cause()));
  }

  @Test
  @DisplayName("the database itself refuses to update, delete or truncate revisions")
  void appendOnly(VertxTestContext ctx) {
    String ns = "store.appendonly";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "")
        .compose(r -> {
          List<Future<?>> attempts = new ArrayList<>();
          for (String sql : List.of(
              "UPDATE revisions SET message = 'rewritten' WHERE namespace = '" + ns + "'",
              "DELETE FROM revisions WHERE namespace = '" + ns + "'",
              "UPDATE revision_changes SET value = '2' WHERE namespace = '" + ns + "'",
              "DELETE FROM revision_changes WHERE namespace = '" + ns + "'",
              "TRUNCATE revision_changes CASCADE")) {
            attempts.add(pool.query(sql).execute().map(x -> "succeeded: " + sql).recover(e -> Future.succeededFuture(e.getMessage())));
          }
          return Future.all(attempts);
        })
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          for (int i = 0; i < all.size(); i++) {
            String outcome = all.resultAt(i);
            assertTrue(outcome.contains("append-only"), outcome);
          }
          store.revision(ns, 1).onComplete(ctx.succeeding(rev -> ctx.verify(() -> {
            assertEquals("", rev.info().message());
            assertEquals(List.of(Change.put("a", 1)), rev.changes());
            ctx.completeNow();
          })));
        })));
  }

  @Test
  @DisplayName("a batch commits each write with its own consecutive version; conflicts and missing keys fail alone")
  void groupCommitOutcomes() {
    String ns = "store.batch";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "").await();
    List<ConfigStore.Append> batch = List.of(
        ConfigStore.Append.write(ns, List.of(Change.put("a", 2)), 1L, "w1", "ok at 1"),
        ConfigStore.Append.write(ns, List.of(Change.put("a", 3)), 1L, "w2", "stale: the head is 2 by now"),
        ConfigStore.Append.write(ns, List.of(Change.delete("nope")), null, "w3", "missing key"),
        ConfigStore.Append.write("store.batch.other", List.of(Change.put("x", "y")), null, "w4", "another namespace"),
        ConfigStore.Append.rollback(ns, 1, null, "w5", "rollback in the same batch"),
        ConfigStore.Append.write(ns, List.of(Change.put("b", "\u0000")), null, "w6", "PostgreSQL refuses U+0000"),
        ConfigStore.Append.write(ns, List.of(Change.put("a", 4)), 3L, "w7", "ok at 3"));
    List<Future<Revision>> outcomes = store.appendAll(batch).await();
    assertEquals(7, outcomes.size());
    assertEquals(2, outcomes.get(0).result().version());
    assertInstanceOf(StoreException.VersionConflict.class, outcomes.get(1).cause());
    assertEquals(2, ((StoreException.VersionConflict) outcomes.get(1).cause()).head);
    assertInstanceOf(StoreException.KeyNotFound.class, outcomes.get(2).cause());
    assertEquals(1, outcomes.get(3).result().version());
    Revision rollback = outcomes.get(4).result();
    assertEquals(3, rollback.version());
    assertEquals(List.of(Change.put("a", 1)), rollback.changes());
    assertInstanceOf(StoreException.InvalidValue.class, outcomes.get(5).cause());
    assertEquals(4, outcomes.get(6).result().version());
    assertEquals(4, store.head(ns).await());
    assertEquals(Map.of("a", 4), store.snapshot(ns).await().entries());
    assertEquals(List.of(1L, 2L, 3L, 4L), store.history(ns, Long.MAX_VALUE, 0, 10).await().revisions().stream()
        .map(RevisionInfo::version).sorted().toList());
  }

  @Test
  @DisplayName("a batch answers on its own, without a subtransaction per write: each write sees the ones before it")
  void groupCommitFastPath() {
    String ns = "store.fast";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "").await();
    // With herald_append_each out of reach, only herald_append_batch (V12) can answer this batch.
    pool.query("ALTER FUNCTION herald_append_each RENAME TO herald_append_each_away").execute().await();
    List<Future<Revision>> outcomes;
    try {
      outcomes = store.appendAll(List.of(
          ConfigStore.Append.write(ns, List.of(Change.put("a", 2)), 1L, "w1", "ok at 1"),
          ConfigStore.Append.write(ns, List.of(Change.put("b", 1)), 1L, "w2", "stale: the head is 2 by now"),
          ConfigStore.Append.write(ns, List.of(Change.delete("a")), null, "w3", "deletes what w1 put"),
          ConfigStore.Append.write(ns, List.of(Change.delete("a")), null, "w4", "a is gone since w3"),
          ConfigStore.Append.write("store.fast.never", List.of(Change.put("x", 1)), 3L, "w5", "a new namespace is at 0"),
          ConfigStore.Append.write(ns, ConfigStore.inKeyOrder(List.of(Change.put("c", 1), Change.put("a", 5))), 3L, "w6",
              "ok at 3"),
          ConfigStore.Append.rollback(ns, 2, 4L, "w7", "back to {a: 2}: reads w1..w6"),
          ConfigStore.Append.write(ns, List.of(Change.put("d", 1)), 5L, "w8", "ok at 5"),
          ConfigStore.Append.write("store.fast.new", List.of(Change.put("y", "z")), 0L, "w9", "creates it"),
          ConfigStore.Append.write(ns, List.of(Change.put("a", "bad")), null, "w10",
              "judged against schema 7, which it does not have"),
          ConfigStore.Append.write(ns, List.of(Change.put("a", 9)), 6L, "w11", "no schema, none in force")),
          java.util.Arrays.asList(null, null, null, null, null, null, null, null, null, 7L, null)).await();
    } finally {
      pool.query("ALTER FUNCTION herald_append_each_away RENAME TO herald_append_each").execute().await();
    }
    assertEquals(11, outcomes.size());
    assertEquals(2, outcomes.get(0).result().version());
    assertEquals(2, ((StoreException.VersionConflict) outcomes.get(1).cause()).head);
    assertEquals(3, outcomes.get(2).result().version());
    assertEquals("namespace 'store.fast' has no key 'a'", outcomes.get(3).cause().getMessage());
    assertEquals(0, ((StoreException.VersionConflict) outcomes.get(4).cause()).head);
    assertEquals(4, outcomes.get(5).result().version());
    Revision rollback = outcomes.get(6).result();
    assertEquals(5, rollback.version());
    assertEquals(List.of(Change.put("a", 2), Change.delete("c")), rollback.changes());
    assertEquals(6, outcomes.get(7).result().version());
    assertEquals(1, outcomes.get(8).result().version());
    assertInstanceOf(StoreException.SchemaPresent.class, outcomes.get(9).cause());
    assertEquals(7, outcomes.get(10).result().version());
    assertEquals(7, store.head(ns).await());
    assertEquals(Map.of("a", 9, "d", 1), store.snapshot(ns).await().entries());
    assertEquals(Map.of("a", 2), store.snapshot(ns, 5).await().entries());
    assertEquals(List.of(Change.delete("a")), store.revision(ns, 3).await().changes());
    assertEquals("rollback", store.revision(ns, 5).await().info().kind());
    assertEquals(Map.of("y", "z"), store.snapshot("store.fast.new").await().entries());
    assertEquals(0L, pool.query("SELECT count(*) FROM namespaces WHERE name = 'store.fast.never'").execute().await()
        .iterator().next().getLong(0), "a namespace whose only write failed does not come into being");
  }

  @Test
  @DisplayName("while a namespace has an unfinished rollout only that rollout's revisions commit, refused data or not")
  void rolloutOnlyWrites() {
    String ns = "store.rollout";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "").await();
    RolloutStore rollouts = new RolloutStore(pool);
    RolloutStore.Rollout r = rollouts.start(ns, 2, 1, new io.vertx.core.json.JsonObject().put("steps",
        new io.vertx.core.json.JsonArray()), "admin").await();
    for (boolean withRefusedData : new boolean[] {false, true}) {
      List<ConfigStore.Append> batch = new ArrayList<>(List.of(
          ConfigStore.Append.write(ns, List.of(Change.put("a", 2)), null, "another node", "unaware of the rollout")));
      if (withRefusedData) {
        // Refused data sends the batch through herald_append_each: the same check there.
        batch.add(ConfigStore.Append.write("store.rollout.other", List.of(Change.put("b", "\u0000")), null, "w", ""));
      }
      List<Future<Revision>> outcomes = store.appendAll(batch).await();
      StoreException.RolloutActive refused = (StoreException.RolloutActive) outcomes.get(0).cause();
      assertEquals(2, refused.version);
    }
    assertEquals(1, store.head(ns).await(), "no plain write got in");
    Revision staged = store.appendAll(List.of(ConfigStore.Append.write(ns, List.of(Change.put("a", 2)), 1L, "admin",
        "staged").inRollout(r.id()))).await().get(0).await();
    assertEquals(2, staged.version());
    Revision back = store.appendAll(List.of(ConfigStore.Append.rollback(ns, 1, 2L, "admin", "rolled back")
        .inRollout(r.id()))).await().get(0).await();
    assertEquals(3, back.version());
    assertInstanceOf(StoreException.RolloutActive.class, store.append(ns, List.of(Change.put("a", 4)), null, "admin", "")
        .transform(ar -> Future.succeededFuture(ar.cause())).await());
  }

  @Test
  @DisplayName("64 concurrent writers on one namespace: versions 1..N without a gap, each answer its own revision")
  void groupCommitConcurrent() {
    String ns = "store.batch.concurrent";
    List<Future<List<Future<Revision>>>> calls = new ArrayList<>();
    for (int w = 0; w < 64; w++) {
      List<ConfigStore.Append> batch = new ArrayList<>();
      for (int j = 0; j < 4; j++) {
        batch.add(ConfigStore.Append.write(ns, List.of(Change.put("k" + w, j)), null, "writer-" + w, w + "/" + j));
      }
      calls.add(store.appendAll(batch));
    }
    Future.all(calls).await();
    java.util.Set<Long> versions = new java.util.TreeSet<>();
    for (int w = 0; w < 64; w++) {
      List<Future<Revision>> outcomes = calls.get(w).result();
      long previous = 0;
      for (int j = 0; j < 4; j++) {
        Revision r = outcomes.get(j).result();
        assertTrue(r.version() > previous, "a writer's batch keeps its order");
        previous = r.version();
        assertTrue(versions.add(r.version()), "version " + r.version() + " answered twice");
        Revision stored = store.revision(ns, r.version()).await();
        assertEquals(w + "/" + j, stored.info().message());
        assertEquals(List.of(Change.put("k" + w, j)), stored.changes());
      }
    }
    assertEquals(256, versions.size());
    assertEquals(1L, versions.iterator().next());
    assertEquals(256L, ((java.util.TreeSet<Long>) versions).last());
    assertEquals(256, store.head(ns).await());
  }

  @Test
  @DisplayName("a failure of the batch itself (not of one write) commits none of it")
  void groupCommitAllOrNothing() {
    String ns = "store.batch.boom";
    store.append(ns, List.of(Change.put("a", 1)), null, "admin", "").await();
    // A trigger standing in for the database failing mid-batch: a state no write owns.
    pool.query("""
        CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.message = 'boom' THEN
            RAISE EXCEPTION 'deadlock detected (a stand-in)' USING ERRCODE = '40P01';
          END IF;
          RETURN NEW;
        END $$""").execute().await();
    pool.query("CREATE TRIGGER boom BEFORE INSERT ON revisions FOR EACH ROW EXECUTE FUNCTION boom()").execute().await();
    try {
      Throwable failure = store.appendAll(List.of(
          ConfigStore.Append.write(ns, List.of(Change.put("a", 2)), null, "w1", "fine"),
          ConfigStore.Append.write(ns, List.of(Change.put("a", 3)), null, "w2", "boom"),
          ConfigStore.Append.write(ns, List.of(Change.put("a", 4)), null, "w3", "fine too")))
          .transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertInstanceOf(StoreException.Unavailable.class, failure);
      assertEquals(1, store.head(ns).await(), "nothing of the batch was committed");
    } finally {
      pool.query("DROP TRIGGER boom ON revisions").execute().await();
      pool.query("DROP FUNCTION boom()").execute().await();
    }
  }
}
