package io.herald.hub;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Rollout plans: checking, choosing, and which clients a step releases")
class RolloutPlansTest {

  private static JsonObject plan(JsonObject... steps) {
    return new JsonObject().put("steps", new JsonArray(java.util.List.of((Object[]) steps)));
  }

  private static JsonObject percent(double p) {
    return new JsonObject().put("percent", p);
  }

  private static JsonObject selector(String k, String v) {
    return new JsonObject().put("selector", new JsonObject().put(k, v));
  }

  private static String badField(Object raw) {
    ApiException e = assertThrows(ApiException.class, () -> RolloutPlans.parse(raw, "rollout"));
    assertEquals(400, e.status());
    assertEquals("invalid_rollout", e.body().getString("error"));
    return e.body().getString("field");
  }

  @Test
  @DisplayName("a full plan round-trips with its defaults filled in")
  void parses() {
    RolloutPlans.Plan p = RolloutPlans.parse(plan(selector("ring", "canary"), percent(10), percent(100))
        .put("bake", "30s").put("step_timeout", "10m").put("on_reject", "rollback"), "rollout");
    assertEquals(3, p.steps().size());
    assertEquals(30_000, p.bakeMs());
    assertEquals(600_000L, p.stepTimeoutMs());
    assertEquals(RolloutPlans.OnReject.ROLLBACK, p.onReject());
    assertEquals(p, RolloutPlans.parse(p.toJson(), "plan"));
    RolloutPlans.Plan d = RolloutPlans.parse(plan(percent(5)), "rollout");
    assertEquals(0, d.bakeMs());
    assertNull(d.stepTimeoutMs());
    assertEquals(RolloutPlans.OnReject.HALT, d.onReject());
  }

  @Test
  @DisplayName("bad plans are refused with the offending field")
  void refusesBadPlans() {
    assertEquals("rollout", badField("canary"));
    assertEquals("rollout.steps", badField(new JsonObject()));
    assertEquals("rollout.steps", badField(plan()));
    assertEquals("rollout.colour", badField(plan(percent(5)).put("colour", "red")));
    assertEquals("rollout.steps[0].weight", badField(plan(percent(5).put("weight", 1))));
    assertEquals("rollout.steps[0]", badField(plan(new JsonObject())));
    assertEquals("rollout.steps[0].percent", badField(plan(percent(0))));
    assertEquals("rollout.steps[0].percent", badField(plan(percent(100.5))));
    assertEquals("rollout.steps[0].percent", badField(plan(new JsonObject().put("percent", "10"))));
    assertEquals("rollout.steps[1].percent", badField(plan(percent(50), percent(10))));
    assertEquals("rollout.steps[1].percent", badField(plan(percent(50), percent(50))));
    assertEquals("rollout.steps[0].selector.ring!", badField(plan(selector("ring!", "canary"))));
    assertEquals("rollout.steps[0].selector.ring", badField(plan(new JsonObject().put("selector",
        new JsonObject().put("ring", 3)))));
    assertEquals("rollout.steps[0].selector", badField(plan(new JsonObject().put("selector", new JsonObject()))));
    assertEquals("rollout.bake", badField(plan(percent(5)).put("bake", "25h")));
    assertEquals("rollout.bake", badField(plan(percent(5)).put("bake", "soon")));
    assertEquals("rollout.bake", badField(plan(percent(5)).put("bake", 30)));
    assertEquals("rollout.step_timeout", badField(plan(percent(5)).put("step_timeout", "500ms")));
    assertEquals("rollout.step_timeout", badField(plan(percent(5)).put("step_timeout", "8d")));
    assertEquals("rollout.on_reject", badField(plan(percent(5)).put("on_reject", "ignore")));
  }

  @Test
  @DisplayName("a write's own plan wins over the policy; \"all\" skips the policy; neither means all at once")
  void resolves() {
    JsonObject policy = plan(percent(10), percent(100));
    JsonObject own = plan(selector("ring", "canary"));
    assertEquals(RolloutPlans.parse(own, "x"), RolloutPlans.resolve(own, policy));
    assertEquals(RolloutPlans.parse(policy, "x"), RolloutPlans.resolve(null, policy));
    assertNull(RolloutPlans.resolve("all", policy));
    assertNull(RolloutPlans.resolve(null, null));
  }

  @Test
  @DisplayName("percentages pick the same clients every time, nested, in about the right share")
  void stableBuckets() {
    RolloutPlans.Plan p = RolloutPlans.parse(plan(percent(1), percent(10), percent(100)), "x");
    Set<String> inTen = new HashSet<>();
    int inOne = 0;
    for (int i = 0; i < 10_000; i++) {
      String id = "svc-" + i;
      int bucket = RolloutPlans.bucket("payments.prod", id);
      assertEquals(bucket, RolloutPlans.bucket("payments.prod", id));
      int step = RolloutPlans.stepOf(p, Map.of(), bucket);
      if (step == 0) {
        inOne++;
      }
      if (step <= 1) {
        inTen.add(id);
      }
      assertTrue(step >= 0, "100 % takes everyone");
    }
    assertTrue(inOne > 60 && inOne < 140, "about 1 %: " + inOne);
    assertTrue(inTen.size() > 850 && inTen.size() < 1150, "about 10 %: " + inTen.size());
    // Another namespace draws other clients first.
    int same = 0;
    for (String id : inTen) {
      if (RolloutPlans.bucket("orders.prod", id) < 1000) {
        same++;
      }
    }
    assertTrue(same < 200, "independent per namespace: " + same);
  }

  @Test
  @DisplayName("a selector step with a percentage takes that share of the matching clients only")
  void selectorAndPercent() {
    RolloutPlans.Step s = RolloutPlans.parse(plan(selector("ring", "canary").put("percent", 50)), "x").steps().get(0);
    assertTrue(s.matches(Map.of("ring", "canary", "zone", "a"), 10));
    assertTrue(!s.matches(Map.of("ring", "canary"), 6000));
    assertTrue(!s.matches(Map.of("ring", "main"), 10));
    assertTrue(!s.matches(Map.of(), 10));
  }

  @Test
  @DisplayName("the version limit: released steps get the staged version, the rest stable; halted holds everyone")
  void limits() {
    RolloutPlans.Plan p = RolloutPlans.parse(plan(selector("ring", "canary"), percent(100)), "x");
    Map<String, String> canary = Map.of("ring", "canary");
    Map<String, String> main = Map.of("ring", "main");
    RolloutState step0 = new RolloutState(1, "ns", 8, 7, p, 1, "active", 0, 0);
    assertEquals(Long.MAX_VALUE, step0.limit(canary, 5000));
    assertEquals(7, step0.limit(main, 5000));
    RolloutState step1 = new RolloutState(1, "ns", 8, 7, p, 2, "active", 1, 0);
    assertEquals(Long.MAX_VALUE, step1.limit(main, 5000));
    assertEquals(7, new RolloutState(1, "ns", 8, 7, p, 2, "paused", 0, 0).limit(main, 1));
    assertEquals(Long.MAX_VALUE, new RolloutState(1, "ns", 8, 7, p, 2, "paused", 0, 0).limit(canary, 1));
    assertEquals(7, new RolloutState(1, "ns", 8, 7, p, 2, "halted", 0, 0).limit(canary, 1));
    assertEquals(Long.MAX_VALUE, new RolloutState(1, "ns", 8, 7, p, 3, "completed", 1, 0).limit(main, 1));
    assertEquals(Long.MAX_VALUE, new RolloutState(1, "ns", 8, 7, p, 3, "rolled_back", 0, 0).limit(main, 1));
  }

  @Test
  @DisplayName("a node keeps the newest state of each rollout, and a rollback withdraws its range")
  void registry() {
    RolloutPlans.Plan p = RolloutPlans.parse(plan(percent(50)), "x");
    RolloutRegistry r = new RolloutRegistry();
    assertTrue(r.learn(new RolloutState(1, "ns", 8, 7, p, 2, "active", 0, 0)));
    assertTrue(!r.learn(new RolloutState(1, "ns", 8, 7, p, 1, "active", 0, 0)), "an older event changes nothing");
    assertEquals(2, r.active("ns").seq());
    assertTrue(r.learn(new RolloutState(1, "ns", 8, 7, p, 3, "rolled_back", 0, 0)));
    assertNull(r.active("ns"));
    assertTrue(r.withdrawn("ns", 8));
    assertTrue(!r.withdrawn("ns", 7) && !r.withdrawn("ns", 9));
  }
}
