package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.RolloutStore;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Starting rollouts with writes and moving them: every transition is appended to PostgreSQL first
 * (exactly one node wins each seq), then announced on {@link Addresses#ROLLOUTS} so that every
 * node gates delivery on it. One per node, shared by its event loops; stateless apart from the
 * {@link RolloutRegistry}.
 */
final class RolloutControl {

  final RolloutRegistry registry;
  final RolloutStore rollouts;
  private final ConfigStore config;
  private final Vertx vertx;
  private final NamespaceEndpoint.Committed committed;
  private final Function<ConfigStore.Append, Future<Revision>> append;

  RolloutControl(Vertx vertx, RolloutRegistry registry, RolloutStore rollouts, ConfigStore config,
                 NamespaceEndpoint.Committed committed) {
    this(vertx, registry, rollouts, config, committed, a -> config.appendAll(List.of(a)).compose(l -> l.get(0)));
  }

  /**
   * {@code append}: how the rollout's own revisions (rollbacks to stable) are appended; the hub
   * passes its schema gates, so they are validated like any rollback (issue #16).
   */
  RolloutControl(Vertx vertx, RolloutRegistry registry, RolloutStore rollouts, ConfigStore config,
                 NamespaceEndpoint.Committed committed, Function<ConfigStore.Append, Future<Revision>> append) {
    this.append = append;
    this.vertx = vertx;
    this.registry = registry;
    this.rollouts = rollouts;
    this.config = config;
    this.committed = committed;
  }

  /** The actor the hub records for what a rollout does by itself. */
  static String system(long version) {
    return "rollout:" + version;
  }

  static ApiException inProgress(String ns, long version, String state) {
    return new ApiException(409, "rollout_in_progress", "namespace '" + ns + "' has a rollout of version " + version
        + " (" + state + "); promote it (POST /v1/namespaces/" + ns + "/rollouts/" + version + "/promote with {\"to\":\"all\"})"
        + " or abort it (POST .../rollouts/" + version + "/abort) before writing",
        new JsonObject().put("rollout_version", version).put("state", state));
  }

  /**
   * A write or rollback under the plan that applies ({@link RolloutPlans#resolve}): refused with
   * 409 while a rollout of the namespace is unfinished; without a plan, {@code append} as before;
   * with one, the rollout of the next version is recorded first (so no node delivers it to a
   * client outside step 0, whenever it hears of the revision), then {@code append} runs with the
   * version it was recorded over as expected version. A failed append cancels that rollout.
   * {@code started} hears of the rollout before the revision is published.
   */
  Future<Revision> write(String ns, Object requestPlan, Long expected, String actor,
                         java.util.function.BiFunction<Long, Long, Future<Revision>> append,
                         java.util.function.Consumer<RolloutState> started) {
    RolloutState running = registry.active(ns);
    if (running != null) {
      return Future.failedFuture(inProgress(ns, running.version(), running.state()));
    }
    RolloutPlans.Plan plan;
    try {
      plan = RolloutPlans.resolve(requestPlan, registry.policy(ns));
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    if (plan == null) {
      return append.apply(expected, null);
    }
    return config.head(ns)
        .recover(e -> e instanceof StoreException.NamespaceNotFound ? Future.succeededFuture(0L) : Future.failedFuture(e))
        .compose(head -> rollouts.start(ns, head + 1, head, plan.toJson(), actor)
            .recover(e -> e instanceof StoreException.Duplicate
                ? rollouts.active().compose(all -> {
                  RolloutStore.Rollout other = all.stream().filter(r -> r.namespace().equals(ns)).findFirst().orElse(null);
                  return Future.failedFuture(other == null ? inProgress(ns, head + 1, "starting")
                      : inProgress(ns, other.version(), other.last().state()));
                })
                : Future.failedFuture(e))
            .compose(r -> {
              RolloutState s = announce(r);
              started.accept(s);
              return append.apply(expected == null ? head : expected, r.id())
                  .recover(e -> transition(r, "cancelled", 0, "cancelled", actor,
                      new JsonObject().put("reason", "the write failed: " + e.getMessage()))
                      .transform(x -> Future.failedFuture(e)));
            }));
  }

  /**
   * The highest version an HTTP client ({@code clientId}, null: anonymous) may be given now: no
   * limit without a rollout or without a client id, else by the labels its row last recorded.
   */
  Future<Long> limitFor(String ns, String clientId) {
    RolloutState r = registry.active(ns);
    if (r == null || clientId == null) {
      return Future.succeededFuture(Long.MAX_VALUE);
    }
    return rollouts.clientLabels(ns, clientId)
        .map(labels -> r.limit(RolloutPlans.labels(labels), RolloutPlans.bucket(ns, clientId)));
  }

  /** Tells every node (this one at once) of the rollout's newest state. */
  RolloutState announce(RolloutStore.Rollout r) {
    RolloutState s = RolloutState.of(r);
    registry.learn(s);
    vertx.eventBus().publish(Addresses.ROLLOUTS, s.toJson());
    return s;
  }

  /** Appends the next transition and announces it; fails with Duplicate when another node was first. */
  Future<RolloutStore.Rollout> transition(RolloutStore.Rollout r, String kind, int step, String state, String actor,
                                          JsonObject detail) {
    return rollouts.transition(r, kind, step, state, actor, detail).onSuccess(this::announce);
  }

  /**
   * Brings every client back to the stable version: a rollback revision (the staged version as
   * expected version, so at most one is ever written), then the rolled_back transition, then the
   * revision's publication, in that order so that no node sends the withdrawn version on its own.
   */
  Future<RolloutStore.Rollout> rollback(RolloutStore.Rollout r, String actor, String reason) {
    String message = "rollback of version " + r.version() + " to " + r.stable() + ": " + reason;
    Future<Revision> written = r.stable() > 0
        ? append.apply(ConfigStore.Append.rollback(r.namespace(), r.stable(), r.version(), actor, message)
            .inRollout(r.id()))
        : config.snapshot(r.namespace(), r.version()).compose(s -> {
          // Stable is "nothing yet": the rollback deletes every key (a store rollback goes to 1..head).
          List<Change> deletes = new ArrayList<>();
          s.entries().keySet().forEach(k -> deletes.add(Change.delete(k)));
          RevisionBus.Sealed sealed = RevisionBus.seal(deletes);
          return append.apply(ConfigStore.Append.write(r.namespace(), sealed.changes(), r.version(), actor, message,
              sealed.sha256()).inRollout(r.id()));
        });
    return written.compose(rev -> transition(r, "rolled_back", r.last().step(), "rolled_back", actor,
            new JsonObject().put("rollback_version", rev.version()).put("reason", reason))
        // Another node recorded this very rollback first (it saw the revision): that is the outcome.
        .recover(e -> e instanceof StoreException.Duplicate
            ? rollouts.find(r.namespace(), r.version()).compose(now -> now.last().state().equals("rolled_back")
                ? Future.succeededFuture(now) : Future.failedFuture(e))
            : Future.failedFuture(e))
        .andThen(ar -> committed.published(rev, null)));
  }

  /** An operator's action on the rollout of {@code version}: the rollout after it. */
  Future<RolloutStore.Rollout> act(String ns, long version, String action, boolean toAll, String actor) {
    return act(ns, version, action, toAll, actor, 3);
  }

  private Future<RolloutStore.Rollout> act(String ns, long version, String action, boolean toAll, String actor,
                                           int tries) {
    return rollouts.find(ns, version).compose(r -> {
      if (r == null) {
        return Future.failedFuture(new ApiException(404, "rollout_not_found",
            "namespace '" + ns + "' has no rollout of version " + version));
      }
      String state = r.last().state();
      int step = r.last().step();
      if (RolloutStore.finished(state)) {
        return Future.failedFuture(new ApiException(409, "rollout_finished", "the rollout of version " + version
            + " is " + state + "; there is nothing to " + action, new JsonObject().put("state", state)));
      }
      RolloutPlans.Plan plan = RolloutPlans.parse(r.plan(), "plan");
      Future<RolloutStore.Rollout> done = switch (action) {
        case "promote" -> {
          if (state.equals("halted") && !toAll) {
            yield Future.failedFuture(conflict(version, state, "a halted rollout can only be promoted to all ({\"to\":\"all\"}) or aborted"));
          }
          yield toAll || step >= plan.lastStep()
              ? transition(r, "completed", plan.lastStep(), "completed", actor, new JsonObject().put("promoted", true))
              : transition(r, "advanced", step + 1, "active", actor, new JsonObject().put("promoted", true));
        }
        case "pause" -> state.equals("active")
            ? transition(r, "paused", step, "paused", actor, new JsonObject().put("reason", "paused by " + actor))
            : Future.failedFuture(conflict(version, state, "only an active rollout can be paused"));
        case "resume" -> state.equals("paused")
            ? transition(r, "resumed", step, "active", actor, new JsonObject())
            : Future.failedFuture(conflict(version, state, "only a paused rollout can be resumed"
                + (state.equals("halted") ? "; a halted one can be promoted to all or aborted" : "")));
        case "abort" -> rollback(r, actor, "aborted by " + actor);
        default -> Future.failedFuture(new IllegalArgumentException(action));
      };
      // Another node moved the rollout at the same moment: decide again on what it is now.
      return done.recover(e -> (e instanceof StoreException.Duplicate || e instanceof StoreException.VersionConflict)
          && tries > 1 ? act(ns, version, action, toAll, actor, tries - 1) : Future.failedFuture(e));
    });
  }

  private static ApiException conflict(long version, String state, String message) {
    return new ApiException(409, "rollout_state", "the rollout of version " + version + " is " + state + ": " + message,
        new JsonObject().put("state", state));
  }
}
