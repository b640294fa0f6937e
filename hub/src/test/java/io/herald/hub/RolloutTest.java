package io.herald.hub;

import io.herald.db.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("Progressive rollouts gated on acks, against a real hub, PostgreSQL and WebSockets")
class RolloutTest {

  /** How long a held client is watched to see that nothing reaches it. */
  private static final long QUIET_MS = 400;

  private static TestDatabase db;
  private static HeraldHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    db = TestDatabase.create(RolloutTest.class);
    hub = TestHub.startOn(db, Map.of("HERALD_ACK_FLUSH_INTERVAL_MS", "5"));
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.stop().await();
    db.close();
  }

  static WsClient client(Vertx vertx, int port, String id, String ring, String ns, long since) {
    WsClient c = WsClient.connect(vertx, port, TestHub.TOKEN);
    c.hello(id, ring == null ? new JsonObject() : new JsonObject().put("ring", ring));
    if (since > 0) {
      c.versions.put(ns, since); // a client resuming from the version it holds
    }
    c.subscribe(ns, since);
    return c;
  }

  static JsonObject canaryThenAll() {
    return new JsonObject().put("steps", new JsonArray()
        .add(new JsonObject().put("selector", new JsonObject().put("ring", "canary")))
        .add(new JsonObject().put("percent", 100)));
  }

  static HttpResponse<Buffer> writeWithPlan(Api api, String ns, JsonObject plan, Object... keyValues) {
    JsonObject body = Api.changes(keyValues);
    if (plan != null) {
      body.put("rollout", plan);
    }
    return api.post("/v1/namespaces/" + ns + "/revisions", body);
  }

  static long staged(Api api, String ns, JsonObject plan, Object... keyValues) {
    HttpResponse<Buffer> r = writeWithPlan(api, ns, plan, keyValues);
    assertEquals(201, r.statusCode(), r.bodyAsString());
    assertEquals("active", r.bodyAsJsonObject().getJsonObject("rollout").getString("state"), r.bodyAsString());
    return r.bodyAsJsonObject().getLong("version");
  }

  /** A canary and a main client of a namespace at version 1; version 2 staged under a plan and at the canary. */
  record Staged(WsClient canary, WsClient main, long version) implements AutoCloseable {
    @Override
    public void close() {
      canary.close();
      main.close();
    }
  }

  static Staged canaryAndMain(Vertx vertx, String ns, JsonObject plan) {
    api.write(ns, "k", 1);
    WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
    WsClient main = client(vertx, hub.port(), "m-1", "main", ns, 0);
    long v = staged(api, ns, plan, "k", 2);
    assertEquals(v, canary.apply(canary.next("delta")).getLong("version"));
    return new Staged(canary, main, v);
  }

  static JsonObject rollout(Api api, String ns, long v) {
    return api.json("/v1/namespaces/" + ns + "/rollouts/" + v);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20); // polling a condition with a deadline
    }
  }

  static void awaitState(Api api, String ns, long v, String state) throws InterruptedException {
    await("rollout " + v + " is " + state, () -> rollout(api, ns, v).getString("state").equals(state));
  }

  /** No frame reaches {@code c} for a while: it is held back. */
  static void quiet(WsClient c) throws InterruptedException {
    JsonObject f = c.poll(QUIET_MS);
    assertNull(f, () -> "expected nothing, got " + f.encode());
  }

  @Test
  @DisplayName("a plain write on a hub that has not heard of another node's rollout yet is refused by the database")
  void unawareWriteRefused(Vertx vertx) {
    String ns = "ro.unaware";
    api.write(ns, "k", 1);
    // Another node's rollout of version 2, as it stands between its start and its staged write:
    // this hub learns of it only from its bus announcement, which never comes here.
    io.vertx.sqlclient.Pool pool = io.herald.db.Database.pool(vertx, db.url(), 1);
    try {
      new io.herald.db.RolloutStore(pool).start(ns, 2, 1, canaryThenAll(), "other-node").await();
    } finally {
      pool.close().await();
    }
    HttpResponse<Buffer> r = api.post("/v1/namespaces/" + ns + "/revisions", Api.changes("k", 2));
    assertEquals(409, r.statusCode(), r.bodyAsString());
    assertEquals("rollout_in_progress", r.bodyAsJsonObject().getString("error"));
    assertEquals(2, r.bodyAsJsonObject().getLong("rollout_version"), r.bodyAsString());
    assertEquals(1, api.json("/v1/namespaces/" + ns).getLong("version"), "nothing was written");
  }

  @Test
  @DisplayName("only the canaries get the version until they acked it; then everyone does, and the rollout completes")
  void canaryFirst(Vertx vertx) throws Exception {
    String ns = "ro.canary";
    long stable = api.write(ns, "limit", 1);
    // An HTTP (pull) client of the canary ring, known by the labels of its ack.
    assertEquals(200, api.post("/v1/namespaces/" + ns + "/versions/" + stable + "/acks", new JsonObject()
        .put("client_id", "h-canary").put("status", "applied").put("labels", new JsonObject().put("ring", "canary")))
        .statusCode());
    try (WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
         WsClient a = client(vertx, hub.port(), "m-1", "main", ns, 0);
         WsClient b = client(vertx, hub.port(), "m-2", null, ns, 0)) {
      long v = staged(api, ns, canaryThenAll(), "limit", 2);
      JsonObject d = canary.apply(canary.next("delta"));
      assertEquals(v, d.getLong("version"));
      quiet(a);
      quiet(b);
      // An HTTP client is placed by the labels of its last ack; one the hub knows nothing of gets stable.
      assertEquals(v, api.json("/v1/namespaces/" + ns + "?client_id=h-canary").getLong("version"));
      assertEquals(stable, api.json("/v1/namespaces/" + ns + "?client_id=h-unknown").getLong("version"));
      JsonObject head = api.json("/v1/namespaces/" + ns);
      assertEquals(v, head.getLong("version"));
      assertEquals("active", head.getJsonObject("rollout").getString("state"));
      // A write meanwhile is refused and says how to go on.
      HttpResponse<Buffer> refused = writeWithPlan(api, ns, null, "limit", 3);
      assertEquals(409, refused.statusCode());
      assertEquals("rollout_in_progress", refused.bodyAsJsonObject().getString("error"));
      assertTrue(refused.bodyAsJsonObject().getString("message").contains("/rollouts/" + v + "/abort"));

      // The pull's row is written with the next batch of client states.
      await("the pull client is recorded", () -> rollout(api, ns, v).getJsonArray("steps").getJsonObject(1)
          .getInteger("held") == 3);
      JsonObject progress = rollout(api, ns, v);
      assertEquals(0, progress.getInteger("step"));
      assertEquals(2, progress.getJsonArray("steps").getJsonObject(0).getInteger("pending"), progress.encode());

      canary.ack(ns, v);
      quiet(a); // the HTTP canary has not applied it yet
      assertEquals(200, api.post("/v1/namespaces/" + ns + "/versions/" + v + "/acks", new JsonObject()
          .put("client_id", "h-canary").put("status", "applied")).statusCode());
      assertEquals(v, a.apply(a.next("delta")).getLong("version"));
      assertEquals(v, b.apply(b.next("delta")).getLong("version"));
      a.ack(ns, v);
      b.ack(ns, v);
      quiet(a);
      assertEquals("active", rollout(api, ns, v).getString("state"), "the HTTP client of the last step is pending");
      assertEquals(v, api.json("/v1/namespaces/" + ns + "?client_id=h-unknown").getLong("version"));
      assertEquals(200, api.post("/v1/namespaces/" + ns + "/versions/" + v + "/acks", new JsonObject()
          .put("client_id", "h-unknown").put("status", "applied")).statusCode());
      awaitState(api, ns, v, "completed");
      JsonObject done = rollout(api, ns, v);
      List<String> kinds = new ArrayList<>();
      done.getJsonArray("transitions").forEach(t -> kinds.add(((JsonObject) t).getString("kind")));
      assertEquals(List.of("started", "advanced", "completed"), kinds);
      assertEquals("rollout:" + v, done.getJsonArray("transitions").getJsonObject(1).getString("actor"));
      assertEquals(TestHub.TOKEN.equals("") ? "" : "admin", done.getJsonArray("transitions").getJsonObject(0).getString("actor"));
      // Free again: the next write goes out at once.
      assertEquals(v + 1, api.write(ns, "limit", 3));
      assertEquals(v + 1, a.apply(a.next("delta")).getLong("version"));
    }
  }

  @Test
  @DisplayName("a bake time keeps the next step waiting after the canaries applied")
  void bake(Vertx vertx) throws Exception {
    String ns = "ro.bake";
    try (Staged s = canaryAndMain(vertx, ns, canaryThenAll().put("bake", "2s"))) {
      WsClient canary = s.canary();
      WsClient main = s.main();
      long v = s.version();
      long acked = System.nanoTime();
      canary.ack(ns, v);
      await("the canary step is applied", () -> rollout(api, ns, v).getString("last_transition").equals("applied"));
      quiet(main);
      JsonObject d = main.apply(main.next("delta"));
      long waited = (System.nanoTime() - acked) / 1_000_000;
      assertEquals(v, d.getLong("version"));
      assertTrue(waited >= 2_000, "the next step came after " + waited + " ms, before the 2 s bake");
    }
  }

  @Test
  @DisplayName("one rejection halts: no further client gets the version, writes wait, abort brings everyone back")
  void rejectionHalts(Vertx vertx) throws Exception {
    String ns = "ro.halt";
    long stable = api.write(ns, "mode", "safe");
    try (WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
         WsClient canary2 = client(vertx, hub.port(), "c-2", "canary", ns, 0);
         WsClient main = client(vertx, hub.port(), "m-1", "main", ns, 0)) {
      long v = staged(api, ns, canaryThenAll(), "mode", "broken");
      canary.apply(canary.next("delta"));
      canary2.apply(canary2.next("delta"));
      canary.reject(ns, v, "mode 'broken' is not a mode");
      canary2.ack(ns, v);
      awaitState(api, ns, v, "halted");
      quiet(main);
      try (WsClient late = client(vertx, hub.port(), "m-2", "main", ns, 0)) {
        assertEquals(stable, late.versions.get(ns));
      }
      JsonObject halted = rollout(api, ns, v);
      JsonObject why = halted.getJsonObject("halt").getJsonArray("rejections").getJsonObject(0);
      assertEquals("c-1", why.getString("client_id"));
      assertEquals("mode 'broken' is not a mode", why.getString("error"));
      assertEquals(409, writeWithPlan(api, ns, null, "mode", "x").statusCode());
      HttpResponse<Buffer> resume = api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/resume", new JsonObject());
      assertEquals(409, resume.statusCode(), resume.bodyAsString());

      HttpResponse<Buffer> abort = api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/abort", new JsonObject());
      assertEquals(200, abort.statusCode(), abort.bodyAsString());
      assertEquals("rolled_back", abort.bodyAsJsonObject().getString("state"));
      JsonObject back = canary.apply(canary.next("delta"));
      assertEquals(v + 1, back.getLong("version"));
      assertEquals("safe", canary.state.get(ns).getString("mode"));
      JsonObject still = main.apply(main.next("delta"));
      assertEquals(stable, still.getLong("base"), "the held client never saw the rejected version");
      assertEquals(new JsonArray(), still.getJsonArray("changes"));
      assertEquals("safe", main.state.get(ns).getString("mode"));
      HttpResponse<Buffer> again = api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/abort", new JsonObject());
      assertEquals(409, again.statusCode());
      assertEquals("rollout_finished", again.bodyAsJsonObject().getString("error"));
      JsonArray audit = api.json("/v1/audit?limit=20").getJsonArray("entries");
      TreeSet<String> actions = new TreeSet<>();
      audit.forEach(e -> {
        JsonObject o = (JsonObject) e;
        if (ns.equals(o.getJsonObject("detail").getString("namespace"))) {
          actions.add(o.getString("action") + " by " + o.getString("actor"));
        }
      });
      assertTrue(actions.contains("rollout.halted by rollout:" + v), actions.toString());
      assertTrue(actions.contains("rollout.rolled_back by admin"), actions.toString());
    }
  }

  @Test
  @DisplayName("on_reject rollback writes a rollback revision to stable that every client gets")
  void rejectionRollsBack(Vertx vertx) throws Exception {
    String ns = "ro.rollback";
    long stable = api.write(ns, "rate", 10);
    try (WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
         WsClient main = client(vertx, hub.port(), "m-1", "main", ns, 0)) {
      long v = staged(api, ns, canaryThenAll().put("on_reject", "rollback"), "rate", -1);
      canary.apply(canary.next("delta"));
      canary.reject(ns, v, "rate must be positive");
      JsonObject back = canary.apply(canary.next("delta"));
      assertEquals(v + 1, back.getLong("version"));
      assertEquals(10, canary.state.get(ns).getInteger("rate"));
      JsonObject mainBack = main.apply(main.next("delta"));
      assertEquals(stable, mainBack.getLong("base"));
      assertEquals(v + 1, mainBack.getLong("version"));
      awaitState(api, ns, v, "rolled_back");
      JsonObject r = rollout(api, ns, v);
      assertEquals("rollout:" + v, r.getJsonArray("transitions").getJsonObject(2).getString("actor"));
      JsonObject rev = api.json("/v1/namespaces/" + ns + "/revisions/" + (v + 1));
      assertEquals("rollback", rev.getString("kind"));
      assertEquals("rollout:" + v, rev.getString("author"));
      // The namespace takes writes again.
      assertEquals(v + 2, api.write(ns, "rate", 20));
    }
  }

  @Test
  @DisplayName("a step not applied within step_timeout pauses the rollout for a person; resume and promote go on")
  void stepTimeout(Vertx vertx) throws Exception {
    String ns = "ro.timeout";
    try (Staged s = canaryAndMain(vertx, ns, canaryThenAll().put("step_timeout", "1s"))) {
      WsClient canary = s.canary(); // it got the version and never acks
      WsClient main = s.main();
      long v = s.version();
      awaitState(api, ns, v, "paused");
      JsonObject paused = rollout(api, ns, v);
      JsonObject last = paused.getJsonArray("transitions").getJsonObject(1);
      assertEquals("step_timeout", last.getJsonObject("detail").getString("reason"), paused.encode());
      assertEquals("rollout:" + v, last.getString("actor"));
      quiet(main);
      assertEquals(200, api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/resume", new JsonObject()).statusCode());
      awaitState(api, ns, v, "paused"); // still not applied: the timeout counts again from the resume
      assertEquals(200, api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/promote", new JsonObject()).statusCode());
      assertEquals(v, main.apply(main.next("delta")).getLong("version"));
      canary.ack(ns, v);
      main.ack(ns, v);
      awaitState(api, ns, v, "completed");
    }
  }

  @Test
  @DisplayName("percentages pick the same clients in every rollout of a namespace")
  void stablePercentages(Vertx vertx) throws Exception {
    String ns = "ro.percent";
    api.write(ns, "n", 0);
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        clients.add(client(vertx, hub.port(), "p-" + i, null, ns, 0));
      }
      JsonObject half = new JsonObject().put("steps", new JsonArray().add(new JsonObject().put("percent", 50)));
      List<TreeSet<String>> firsts = new ArrayList<>();
      for (int round = 1; round <= 2; round++) {
        long v = staged(api, ns, half, "n", round);
        TreeSet<String> first = new TreeSet<>();
        for (int i = 0; i < clients.size(); i++) {
          String id = "p-" + i;
          boolean expected = RolloutPlans.bucket(ns, id) < 5000;
          JsonObject f = clients.get(i).poll(expected ? 10_000 : 50);
          if (f != null) {
            clients.get(i).apply(f);
            first.add(id);
          }
        }
        firsts.add(first);
        HttpResponse<Buffer> all = api.post("/v1/namespaces/" + ns + "/rollouts/" + v + "/promote",
            new JsonObject().put("to", "all"));
        assertEquals(200, all.statusCode(), all.bodyAsString());
        for (WsClient c : clients) {
          c.applyUntil(ns, v);
        }
      }
      assertEquals(firsts.get(0), firsts.get(1));
      assertTrue(!firsts.get(0).isEmpty() && firsts.get(0).size() < 16, firsts.toString());
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  @DisplayName("a pipeline's ?wait= on a staged version answers when the rollout completes, and when it halts")
  void pipelineWait(Vertx vertx) throws Exception {
    String ns = "ro.wait";
    api.write(ns, "k", 1);
    try (WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
         WsClient main = client(vertx, hub.port(), "m-1", "main", ns, 0)) {
      long v = staged(api, ns, canaryThenAll(), "k", 2);
      CompletableFuture<JsonObject> waiting = new CompletableFuture<>();
      api.request(HttpMethod.GET, "/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=60s").send()
          .onSuccess(r -> waiting.complete(r.bodyAsJsonObject())).onFailure(waiting::completeExceptionally);
      canary.apply(canary.next("delta"));
      canary.ack(ns, v);
      main.apply(main.next("delta"));
      assertTrue(!waiting.isDone(), "answered before the rollout completed");
      main.ack(ns, v);
      JsonObject answer = waiting.get(15, TimeUnit.SECONDS);
      assertEquals("completed", answer.getJsonObject("rollout").getString("state"), answer.encode());

      long v2 = staged(api, ns, canaryThenAll(), "k", 3);
      CompletableFuture<JsonObject> waiting2 = new CompletableFuture<>();
      api.request(HttpMethod.GET, "/v1/namespaces/" + ns + "/versions/" + v2 + "/acks?wait=60s").send()
          .onSuccess(r -> waiting2.complete(r.bodyAsJsonObject())).onFailure(waiting2::completeExceptionally);
      canary.apply(canary.next("delta"));
      canary.reject(ns, v2, "no");
      JsonObject halted = waiting2.get(15, TimeUnit.SECONDS);
      assertEquals("halted", halted.getJsonObject("rollout").getString("state"), halted.encode());
      assertEquals(1, halted.getInteger("rejected"));
      assertEquals(200, api.post("/v1/namespaces/" + ns + "/rollouts/" + v2 + "/abort", new JsonObject()).statusCode());
    }
  }

  @Test
  @DisplayName("a default policy applies to writes without a plan; \"all\" skips it; bad plans and actions are refused")
  void policyAndBadInput(Vertx vertx) throws Exception {
    String ns = "ro.policy";
    String base = "/v1/namespaces/" + ns;
    api.write(ns, "k", 0);
    assertEquals(404, api.get(base + "/rollout-policy").statusCode());
    HttpResponse<Buffer> bad = api.send(HttpMethod.PUT, base + "/rollout-policy",
        new JsonObject().put("steps", new JsonArray().add(new JsonObject().put("percent", 120))).encode(), Map.of());
    assertEquals(400, bad.statusCode());
    assertEquals("plan.steps[0].percent", bad.bodyAsJsonObject().getString("field"));
    HttpResponse<Buffer> badWrite = writeWithPlan(api, ns, new JsonObject().put("steps", new JsonArray()), "k", 1);
    assertEquals(400, badWrite.statusCode());
    assertEquals("rollout.steps", badWrite.bodyAsJsonObject().getString("field"));
    assertEquals(1, api.json(base).getLong("version"), "a refused plan writes nothing");

    assertEquals(200, api.send(HttpMethod.PUT, base + "/rollout-policy", canaryThenAll().encode(), Map.of()).statusCode());
    assertEquals(2, api.json(base + "/rollout-policy").getJsonObject("plan").getJsonArray("steps").size());
    try (WsClient canary = client(vertx, hub.port(), "c-1", "canary", ns, 0);
         WsClient main = client(vertx, hub.port(), "m-1", "main", ns, 0)) {
      HttpResponse<Buffer> put = api.send(HttpMethod.PUT, base + "/entries/k", "5", Map.of());
      assertEquals(200, put.statusCode(), put.bodyAsString());
      long v = put.bodyAsJsonObject().getLong("version");
      assertEquals("active", put.bodyAsJsonObject().getJsonObject("rollout").getString("state"));
      quiet(main);
      JsonObject listed = api.json(base + "/rollouts").getJsonArray("rollouts").getJsonObject(0);
      assertEquals(v, listed.getLong("version"));
      assertEquals(400, api.post(base + "/rollouts/" + v + "/promote", new JsonObject().put("to", "half")).statusCode());
      // Readers see rollouts; only writers move them or set policies.
      String reader = api.post("/v1/tokens", new JsonObject().put("name", "ro-reader").put("role", "reader")
          .put("namespaces", new JsonArray().add("ro.*"))).bodyAsJsonObject().getString("token");
      Api asReader = new Api(vertx, hub.port(), reader);
      try {
        assertEquals(200, asReader.get(base + "/rollouts/" + v).statusCode());
        assertEquals(200, asReader.get(base + "/rollouts").statusCode());
        assertEquals(403, asReader.post(base + "/rollouts/" + v + "/pause", new JsonObject()).statusCode());
        assertEquals(403, asReader.send(HttpMethod.PUT, base + "/rollout-policy", canaryThenAll().encode(), Map.of())
            .statusCode());
      } finally {
        asReader.close();
      }
      assertEquals(200, api.post(base + "/rollouts/" + v + "/pause", new JsonObject()).statusCode());
      assertEquals(409, api.post(base + "/rollouts/" + v + "/pause", new JsonObject()).statusCode());
      assertEquals(200, api.post(base + "/rollouts/" + v + "/resume", new JsonObject()).statusCode());
      HttpResponse<Buffer> promoted = api.post(base + "/rollouts/" + v + "/promote", new JsonObject());
      assertEquals(200, promoted.statusCode(), promoted.bodyAsString());
      assertEquals(1, promoted.bodyAsJsonObject().getInteger("step"));
      assertEquals(v, main.apply(main.next("delta")).getLong("version"));
      main.ack(ns, v);
      canary.apply(canary.next("delta"));
      canary.ack(ns, v);
      awaitState(api, ns, v, "completed");
      assertEquals(409, api.post(base + "/rollouts/" + v + "/promote", new JsonObject()).statusCode());
      assertEquals(404, api.post(base + "/rollouts/999/pause", new JsonObject()).statusCode());

      // "all" goes around the policy, at once.
      HttpResponse<Buffer> now = api.send(HttpMethod.PUT, base + "/entries/k", "6", Map.of("X-Herald-Rollout", "all"));
      assertEquals(200, now.statusCode());
      assertNull(now.bodyAsJsonObject().getValue("rollout"));
      assertEquals(v + 1, main.apply(main.next("delta")).getLong("version"));
      assertEquals(204, api.send(HttpMethod.DELETE, base + "/rollout-policy", null, Map.of()).statusCode());
      assertEquals(v + 2, api.write(ns, "k", 7));
    }
  }

  @Test
  @DisplayName("a hub restarted mid-rollout resumes at the same step")
  void restart(Vertx vertx) throws Exception {
    String ns = "ro.restart";
    TestDatabase own = TestDatabase.create(RolloutTest.class);
    HeraldHub first = TestHub.startOn(own, Map.of("HERALD_NODE_ID", "restart-1"));
    Api a1 = new Api(vertx, first.port(), TestHub.TOKEN);
    long stable = a1.write(ns, "k", 1);
    long v;
    try (WsClient canary = client(vertx, first.port(), "c-1", "canary", ns, 0);
         WsClient main = client(vertx, first.port(), "m-1", "main", ns, 0)) {
      v = staged(a1, ns, canaryThenAll(), "k", 2);
      canary.apply(canary.next("delta"));
      quiet(main);
    } finally {
      a1.close();
      first.stop().await();
    }
    HeraldHub second = TestHub.startOn(own, Map.of("HERALD_NODE_ID", "restart-2"));
    Api a2 = new Api(vertx, second.port(), TestHub.TOKEN);
    try (WsClient canary = client(vertx, second.port(), "c-1", "canary", ns, v);
         WsClient main = client(vertx, second.port(), "m-1", "main", ns, stable)) {
      JsonObject r = rollout(a2, ns, v);
      assertEquals("active", r.getString("state"));
      assertEquals(0, r.getInteger("step"));
      quiet(main);
      canary.ack(ns, v);
      assertEquals(v, main.apply(main.next("delta")).getLong("version"));
    } finally {
      a2.close();
      second.stop().await();
      own.close();
    }
  }
}
