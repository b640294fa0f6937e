package io.herald.hub;

import io.herald.db.RolloutStore;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * One rollout as of its newest transition, as every node keeps it in memory to gate delivery
 * ({@link RolloutRegistry}) and as the {@link Addresses#ROLLOUTS} event carries it. Immutable.
 *
 * @param seq    the newest transition's number: a node keeps the state with the highest one
 * @param step   the last released step (0-based)
 * @param atMs   when the newest transition happened (epoch ms)
 */
record RolloutState(long id, String namespace, long version, long stable, RolloutPlans.Plan plan, int seq,
                    String state, int step, long atMs) {

  static RolloutState of(RolloutStore.Rollout r) {
    RolloutStore.Transition t = r.last();
    return new RolloutState(r.id(), r.namespace(), r.version(), r.stable(), RolloutPlans.parse(r.plan(), "plan"),
        t.seq(), t.state(), t.step(), t.at().toInstant().toEpochMilli());
  }

  boolean finished() {
    return RolloutStore.finished(state);
  }

  /** Whether this state is newer news than {@code other} (a later rollout, or a later transition of it). */
  boolean newerThan(RolloutState other) {
    return other == null || id > other.id || (id == other.id && seq > other.seq);
  }

  /**
   * The highest version a client may be brought to (pure; docs/protocol.md, "Progressive
   * rollouts"): any version once the rollout is finished; the stable version for every client
   * not yet sent the staged one once it halted; while active or paused, the staged version for
   * the clients of the released steps and the stable one for the rest.
   */
  long limit(Map<String, String> labels, int bucket) {
    return switch (state) {
      case "active", "paused" -> {
        int s = RolloutPlans.stepOf(plan, labels, bucket);
        yield s >= 0 && s <= step ? Long.MAX_VALUE : stable;
      }
      case "halted" -> stable;
      default -> Long.MAX_VALUE;
    };
  }

  JsonObject toJson() {
    return new JsonObject().put("id", id).put("namespace", namespace).put("version", version).put("stable", stable)
        .put("plan", plan.toJson()).put("seq", seq).put("state", state).put("step", step).put("at", atMs);
  }

  static RolloutState fromJson(JsonObject o) {
    return new RolloutState(o.getLong("id"), o.getString("namespace"), o.getLong("version"), o.getLong("stable"),
        RolloutPlans.parse(o.getJsonObject("plan"), "plan"), o.getInteger("seq"), o.getString("state"),
        o.getInteger("step"), o.getLong("at"));
  }
}
