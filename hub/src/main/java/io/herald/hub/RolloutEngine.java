package io.herald.hub;

import io.herald.db.ClientStateStore;
import io.herald.db.ConfigStore;
import io.herald.db.RolloutStore;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Drives the gates of every unfinished rollout, on one context per node: when client states of a
 * namespace become durable ({@link Addresses#ACKS}), when a rollout moves, when a bake or step
 * timeout is due, and every {@link #TICK_MS} anyway. Every node does this; the transitions table
 * lets exactly one node make each transition, and the others re-read. Deadlines come from the
 * durable transition times, so a restarted hub resumes where the rollout stands.
 */
final class RolloutEngine extends VerticleBase {

  static final long TICK_MS = 1_000;
  /** How often a node re-reads the unfinished rollouts, in case it missed an event. */
  static final long RELOAD_MS = 5_000;

  private final RolloutControl control;
  private final ClientStateStore clients;
  private final ConfigStore config;
  private final LongSupplier staleCutoff;
  private final FailureLog failures;
  private final Set<String> running = new HashSet<>();
  private final Set<String> again = new HashSet<>();

  RolloutEngine(RolloutControl control, ClientStateStore clients, ConfigStore config, LongSupplier staleCutoff,
                FailureLog failures) {
    this.control = control;
    this.clients = clients;
    this.config = config;
    this.staleCutoff = staleCutoff;
    this.failures = failures;
  }

  @Override
  public Future<?> start() {
    var acks = vertx.eventBus().<JsonArray>consumer(Addresses.ACKS, msg -> {
      for (Object ns : msg.body()) {
        if (control.registry.active((String) ns) != null) {
          evaluate((String) ns);
        }
      }
    });
    var moved = vertx.eventBus().<JsonObject>consumer(Addresses.ROLLOUTS, msg -> {
      String ns = msg.body().getString("namespace");
      if (!RolloutStore.finished(msg.body().getString("state"))) {
        evaluate(ns);
      }
    });
    var policies = vertx.eventBus().<JsonObject>consumer(Addresses.ROLLOUT_POLICIES,
        msg -> control.registry.policy(msg.body().getString("namespace"), msg.body().getJsonObject("plan")));
    vertx.setPeriodic(TICK_MS, t -> control.registry.allActive().forEach(s -> evaluate(s.namespace())));
    vertx.setPeriodic(RELOAD_MS, t -> reload());
    return Future.all(acks.completion(), moved.completion(), policies.completion())
        .compose(v -> control.rollouts.policies())
        .compose(all -> {
          all.forEach(control.registry::policy);
          return reload();
        });
  }

  /** Learns every unfinished rollout from the database (at start, and now and then). */
  private Future<Void> reload() {
    return control.rollouts.active().<Void>map(all -> {
      for (RolloutStore.Rollout r : all) {
        if (control.registry.learn(RolloutState.of(r))) {
          vertx.eventBus().publish(Addresses.ROLLOUTS, RolloutState.of(r).toJson()); // this node's loops regate
        }
      }
      return null;
    }).onFailure(e -> failures.report("reading unfinished rollouts failed", e));
  }

  /** Looks at a namespace's rollout; coalesced: one evaluation at a time per namespace, one more queued. */
  void evaluate(String ns) {
    if (!running.add(ns)) {
      again.add(ns);
      return;
    }
    RolloutState known = control.registry.active(ns);
    Future<?> done = known == null ? Future.succeededFuture()
        : control.rollouts.find(ns, known.version()).compose(r -> r == null ? Future.succeededFuture() : step(r));
    done.onComplete(ar -> {
      running.remove(ns);
      if (ar.failed() && !(ar.cause() instanceof StoreException.Duplicate)) {
        failures.report("evaluating the rollout of '" + ns + "' failed", ar.cause());
      }
      if (again.remove(ns) || (ar.failed() && ar.cause() instanceof StoreException.Duplicate)) {
        evaluate(ns);
      }
    });
  }

  /** One look at a rollout: at most one transition (the next look follows its event). */
  private Future<?> step(RolloutStore.Rollout r) {
    RolloutStore.Transition last = r.last();
    String state = last.state();
    control.registry.learn(RolloutState.of(r));
    if (RolloutStore.finished(state)) {
      return Future.succeededFuture();
    }
    RolloutPlans.Plan plan = RolloutPlans.parse(r.plan(), "plan");
    String system = RolloutControl.system(r.version());
    return config.head(r.namespace()).<Void>compose(head -> {
      if (head > r.version()) {
        // Only a rollback can follow a staged version. Its writer records rolled_back right after
        // writing it; when that has not happened within a minute, the writer died in between.
        return config.revision(r.namespace(), r.version() + 1).compose(rev -> {
          if (System.currentTimeMillis() - rev.info().createdAt().toInstant().toEpochMilli() < 60_000) {
            return Future.<Void>succeededFuture();
          }
          return control.transition(r, "rolled_back", last.step(), "rolled_back", system,
              new JsonObject().put("rollback_version", r.version() + 1).put("reason", "recorded after its writer stopped"))
              .<Void>mapEmpty();
        });
      }
      if (head < r.version()) {
        return staleReservation(r, system).mapEmpty();
      }
      if (state.equals("halted")) {
        // Halted with on_reject rollback and no rollback yet: its hub stopped between the two.
        return plan.onReject() == RolloutPlans.OnReject.ROLLBACK
            ? control.rollback(r, system, "rejected (rollback resumed)").mapEmpty() : Future.succeededFuture();
      }
      return clients.list(r.namespace()).compose(rows -> gate(r, plan, rows, system).mapEmpty());
    });
  }

  /** A rollout whose version was never written (its hub died mid-write): cancelled after a minute. */
  private Future<?> staleReservation(RolloutStore.Rollout r, String system) {
    if (System.currentTimeMillis() - r.createdAt().toInstant().toEpochMilli() < 60_000) {
      return Future.succeededFuture();
    }
    return control.transition(r, "cancelled", 0, "cancelled", system,
        new JsonObject().put("reason", "version " + r.version() + " was never written"));
  }

  private Future<?> gate(RolloutStore.Rollout r, RolloutPlans.Plan plan, java.util.List<io.herald.db.ClientRow> rows,
                         String system) {
    RolloutStore.Transition last = r.last();
    int step = last.step();
    RolloutProgress p = RolloutProgress.of(plan, r.namespace(), r.version(), step, false, rows, staleCutoff.getAsLong());
    if (!p.rejections().isEmpty()) {
      return control.transition(r, "halted", step, "halted", system,
          new JsonObject().put("rejections", new JsonArray(new java.util.ArrayList<>(p.rejections()))))
          .compose(h -> plan.onReject() == RolloutPlans.OnReject.ROLLBACK
              ? control.rollback(h, system, "rejected by " + p.rejections().get(0).getString("client_id") + ": "
                  + p.rejections().get(0).getString("error"))
              : Future.succeededFuture(h));
    }
    if (last.state().equals("paused")) {
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    if (p.releasedPending() > 0) {
      long released = releasedAt(r);
      if (plan.stepTimeoutMs() != null) {
        long due = released + plan.stepTimeoutMs();
        if (now >= due) {
          return control.transition(r, "paused", step, "paused", system, new JsonObject()
              .put("reason", "step_timeout").put("pending", p.releasedPending()));
        }
        wakeAt(r.namespace(), due);
      }
      return Future.succeededFuture();
    }
    long[] here = p.counts()[step];
    if (here[RolloutProgress.APPLIED] + here[RolloutProgress.PENDING] == 0) {
      // Nobody known in the step just released: perhaps nobody is there, perhaps its clients'
      // rows are still on their way to the database (they are written in batches, on every node).
      // Wait a moment before taking an empty step as passed.
      long due = releasedAt(r) + EMPTY_STEP_GRACE_MS;
      if (now < due) {
        wakeAt(r.namespace(), due);
        return Future.succeededFuture();
      }
    }
    if (plan.bakeMs() > 0) {
      if (!(last.kind().equals("applied") && last.step() == step)) {
        return control.transition(r, "applied", step, "active", system, p.counts(step).put("step", step))
            .onSuccess(x -> wakeAt(r.namespace(), System.currentTimeMillis() + plan.bakeMs()));
      }
      long due = last.at().toInstant().toEpochMilli() + plan.bakeMs();
      if (now < due) {
        wakeAt(r.namespace(), due);
        return Future.succeededFuture();
      }
    }
    return step < plan.lastStep()
        ? control.transition(r, "advanced", step + 1, "active", system, new JsonObject())
        : control.transition(r, "completed", step, "completed", system, new JsonObject());
  }

  /**
   * A released step where no client is known passes only this long after its release: client rows
   * reach the database in batches, so a canary that connected just before the write may not be
   * there yet when the gate first looks.
   */
  static final long EMPTY_STEP_GRACE_MS = 2_000;

  /** When the current step was released (or the rollout resumed): its step timeout counts from there. */
  private static long releasedAt(RolloutStore.Rollout r) {
    for (int i = r.transitions().size() - 1; i >= 0; i--) {
      RolloutStore.Transition t = r.transitions().get(i);
      if (t.kind().equals("started") || t.kind().equals("advanced") || t.kind().equals("resumed")) {
        return t.at().toInstant().toEpochMilli();
      }
    }
    return r.createdAt().toInstant().toEpochMilli();
  }

  /** One timer per namespace, for its earliest deadline. */
  private final java.util.Map<String, Long> wakeUps = new java.util.HashMap<>();

  private void wakeAt(String ns, long due) {
    Long set = wakeUps.get(ns);
    if (set != null && set <= due) {
      return;
    }
    wakeUps.put(ns, due);
    vertx.setTimer(Math.max(1, due - System.currentTimeMillis()), t -> {
      wakeUps.remove(ns, due);
      evaluate(ns);
    });
  }
}
