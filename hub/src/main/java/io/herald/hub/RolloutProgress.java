package io.herald.hub;

import io.herald.db.ClientRow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a rollout stands over the namespace's client rows (pure): per step, how many of its
 * clients applied the staged version, rejected it, are still pending (live and released, not yet
 * answered; a WebSocket client that went away less than {@link #RECONNECT_GRACE_MS} ago counts
 * here too, so that a hub restart, whose clients come back within seconds, does not let a step
 * pass unseen), are disconnected (released but neither connected, nor a recently seen HTTP
 * client, nor within that grace: they do not block a step), or are held at stable (their step is not released yet). A client
 * belongs to the first step that selects it; clients of no step get the version at completion.
 */
record RolloutProgress(long[][] counts, List<JsonObject> rejections, long releasedPending) {

  /** A WebSocket client gone for less than this still blocks its step: it is probably reconnecting. */
  static final long RECONNECT_GRACE_MS = 10_000;
  static final int APPLIED = 0;
  static final int REJECTED = 1;
  static final int PENDING = 2;
  static final int DISCONNECTED = 3;
  static final int HELD = 4;
  private static final String[] NAMES = {"applied", "rejected", "pending", "disconnected", "held"};

  /** Rows of clients of the version's namespace; {@code released}: the last released step (-1: none). */
  static RolloutProgress of(RolloutPlans.Plan plan, String namespace, long version, int released, boolean all,
                            List<ClientRow> rows, long staleCutoffMillis) {
    int n = plan.steps().size();
    long[][] counts = new long[n + 1][5];
    List<JsonObject> rejections = new ArrayList<>();
    long releasedPending = 0;
    for (ClientRow r : rows) {
      int step = RolloutPlans.stepOf(plan, RolloutPlans.labels(new JsonObject(r.labelsJson())),
          RolloutPlans.bucket(namespace, r.clientId()));
      int slot = step < 0 ? n : step;
      boolean isReleased = all || (step >= 0 && step <= released);
      int what;
      if (r.appliedVersion() >= version) {
        what = APPLIED;
      } else if ("rejected".equals(r.status()) && r.rejectedVersion() != null && r.rejectedVersion() >= version) {
        what = REJECTED;
        rejections.add(new JsonObject().put("client_id", r.clientId()).put("step", step < 0 ? null : step)
            .put("version", r.rejectedVersion()).put("error", r.error()));
      } else if (!isReleased) {
        what = HELD;
      } else if (r.live(staleCutoffMillis) || (ClientRow.WEBSOCKET.equals(r.transport())
          && r.lastSeen() >= System.currentTimeMillis() - RECONNECT_GRACE_MS)) {
        what = PENDING;
        releasedPending++;
      } else {
        what = DISCONNECTED;
      }
      counts[slot][what]++;
    }
    return new RolloutProgress(counts, rejections, releasedPending);
  }

  JsonObject counts(int slot) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < NAMES.length; i++) {
      o.put(NAMES[i], counts[slot][i]);
    }
    return o;
  }

  /** The steps with their plan and counts, and the clients of no step as "others". */
  JsonObject toJson(RolloutPlans.Plan plan, int released, boolean all) {
    JsonArray steps = new JsonArray();
    for (int i = 0; i < plan.steps().size(); i++) {
      steps.add(plan.steps().get(i).toJson().put("index", i).put("released", all || i <= released).mergeIn(counts(i)));
    }
    return new JsonObject().put("steps", steps)
        .put("others", counts(plan.steps().size()).put("released", all))
        .put("rejections", new JsonArray(new ArrayList<>(rejections)));
  }
}
