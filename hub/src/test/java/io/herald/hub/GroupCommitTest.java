package io.herald.hub;

import io.herald.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit over real HTTP and PostgreSQL. The hub runs one event loop, so every request meets
 * the same batcher; the test holds the namespace's head row locked while it sends, which makes the
 * first write wait in the database and every later one queue into the next batch, so the batch's
 * membership does not depend on timing.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Group commit: many writes in one transaction, each with its own outcome")
class GroupCommitTest {

  private static TestHub hub;
  private static Api api;
  private static Pool pool;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(GroupCommitTest.class, Map.of("HERALD_EVENT_LOOPS", "1", "HERALD_WRITE_RATE_PER_TOKEN", "0"));
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
    pool = Database.pool(vertx, hub.db.url(), 2);
  }

  @AfterAll
  static void stop() {
    pool.close().await();
    api.close();
    hub.close();
  }

  private static Future<HttpResponse<Buffer>> post(String ns, JsonObject body) {
    return api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions").sendJsonObject(body);
  }

  private static JsonObject put(String key, Object value, Long expected, String message) {
    JsonObject body = new JsonObject().put("message", message).put("changes", new JsonArray()
        .add(new JsonObject().put("key", key).put("op", "put").put("value", value)));
    return expected == null ? body : body.put("expected_version", expected);
  }

  /** Holds the head row of {@code ns} locked until the returned connection's transaction ends. */
  private static SqlConnection lockHead(String ns) {
    SqlConnection conn = pool.getConnection().await();
    conn.query("BEGIN").execute().await();
    conn.preparedQuery("SELECT head FROM namespaces WHERE name = $1 FOR UPDATE").execute(Tuple.of(ns)).await();
    return conn;
  }

  private static void release(SqlConnection conn) {
    conn.query("COMMIT").execute().await();
    conn.close().await();
  }

  /** Waits until {@code n} backends wait for a lock: the writes have reached the database. */
  private static void awaitLockWaiters(int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (pool.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        .execute().await().iterator().next().getLong(0) < n) {
      assertTrue(System.currentTimeMillis() < deadline, "the first write never reached the lock");
      Thread.sleep(10);
    }
  }

  /** Waits until the hub holds {@code n} writes queued behind the batch in flight. */
  private static void awaitQueued(int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (DeliveryHardeningTest.metric(api, "herald_writes_waiting") < n) {
      assertTrue(System.currentTimeMillis() < deadline, "the writes never queued up");
      Thread.sleep(10);
    }
  }

  @Test
  @DisplayName("conflicts and missing-key deletes in one batch fail alone; their batch-mates get consecutive versions")
  void mixedOutcomes() throws Exception {
    String ns = "batch.mixed";
    api.write(ns, "a", 0);
    SqlConnection lock = lockHead(ns);
    Future<HttpResponse<Buffer>> first = post(ns, put("a", 1, null, "first, waits on the lock"));
    awaitLockWaiters(1);
    List<Future<HttpResponse<Buffer>>> batch = List.of(
        post(ns, put("a", 2, null, "ok")),
        post(ns, put("a", 3, 1L, "stale expected_version")),
        post(ns, new JsonObject().put("changes", new JsonArray().add(new JsonObject().put("key", "missing").put("op", "delete")))),
        api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/rollback").sendJsonObject(new JsonObject().put("to_version", 1)));
    awaitQueued(batch.size());
    release(lock);
    assertEquals(201, first.await().statusCode());
    List<HttpResponse<Buffer>> answers = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> f : batch) {
      answers.add(f.await());
    }
    // The batch's order is the order the requests reached the hub: the two that succeed get 3 and 4.
    assertEquals(201, answers.get(0).statusCode(), answers.get(0).bodyAsString());
    assertEquals(409, answers.get(1).statusCode());
    assertEquals("version_conflict", answers.get(1).bodyAsJsonObject().getString("error"));
    assertEquals(404, answers.get(2).statusCode());
    assertEquals("key_not_found", answers.get(2).bodyAsJsonObject().getString("error"));
    assertEquals(201, answers.get(3).statusCode(), answers.get(3).bodyAsString());
    assertEquals(new TreeSet<>(List.of(3L, 4L)), new TreeSet<>(List.of(answers.get(0).bodyAsJsonObject().getLong("version"),
        answers.get(3).bodyAsJsonObject().getLong("version"))));
    assertEquals(4, api.json("/v1/namespaces/" + ns).getLong("version"));
    assertEquals(List.of("write", "write", "write", "rollback"), api.json("/v1/namespaces/" + ns + "/revisions")
        .getJsonArray("revisions").stream().map(o -> ((JsonObject) o).getString("kind")).sorted(
            java.util.Comparator.reverseOrder()).toList(), "exactly the two successful writes were added");
  }

  @Test
  @DisplayName("a database failure mid-batch fails every write of that batch with 503 and commits none of them")
  void allOrNothing() throws Exception {
    String ns = "batch.boom";
    api.write(ns, "a", 0);
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
      SqlConnection lock = lockHead(ns);
      Future<HttpResponse<Buffer>> first = post(ns, put("a", 1, null, "first, waits on the lock"));
      awaitLockWaiters(1);
      List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        batch.add(post(ns, put("a", 10 + i, null, i == 4 ? "boom" : "fine " + i)));
      }
      awaitQueued(batch.size());
      release(lock);
      assertEquals(201, first.await().statusCode());
      for (Future<HttpResponse<Buffer>> f : batch) {
        HttpResponse<Buffer> r = f.await();
        assertEquals(503, r.statusCode(), r.bodyAsString());
        assertEquals("database_unavailable", r.bodyAsJsonObject().getString("error"));
      }
      assertEquals(2, api.json("/v1/namespaces/" + ns).getLong("version"), "none of the failed batch was committed");
    } finally {
      pool.query("DROP TRIGGER boom ON revisions").execute().await();
      pool.query("DROP FUNCTION boom()").execute().await();
    }
    assertEquals(201, post(ns, put("a", 99, null, "after")).await().statusCode());
  }

  @Test
  @DisplayName("64 concurrent writers on one namespace: versions exactly 1..N, and each answer's version holds that writer's value")
  void sixtyFourWriters() {
    String ns = "batch.64";
    int writers = 64;
    int each = 8;
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < each; i++) {
        String id = "w" + w + "-" + i;
        ids.add(id);
        all.add(post(ns, put("k", id, null, id)));
      }
    }
    TreeSet<Long> versions = new TreeSet<>();
    for (int i = 0; i < all.size(); i++) {
      HttpResponse<Buffer> r = all.get(i).await();
      assertEquals(201, r.statusCode(), r.bodyAsString());
      long v = r.bodyAsJsonObject().getLong("version");
      assertTrue(versions.add(v), "version " + v + " answered twice");
      JsonObject revision = api.json("/v1/namespaces/" + ns + "/revisions/" + v);
      assertEquals(ids.get(i), revision.getJsonArray("changes").getJsonObject(0).getString("value"),
          "the answer's version holds another write");
    }
    assertEquals(LongStream.rangeClosed(1, (long) writers * each).boxed().collect(Collectors.toCollection(TreeSet::new)),
        versions);
  }
}
