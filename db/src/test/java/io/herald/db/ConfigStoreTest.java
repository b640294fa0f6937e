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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
}
