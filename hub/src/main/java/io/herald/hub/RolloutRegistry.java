package io.herald.hub;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one hub node knows of rollouts, shared by its event loops: the unfinished rollout of each
 * namespace (which delivery gates on), the versions withdrawn by a rollback (never sent on their
 * own to a client that did not have them), and the namespaces' default plans. Filled from
 * PostgreSQL at start and then by {@link Addresses#ROLLOUTS} events; thread-safe, immutable values.
 */
final class RolloutRegistry {

  private final Map<String, RolloutState> active = new ConcurrentHashMap<>();
  /** Per namespace, the last rolled-back range (stable, version]: its versions are withdrawn. */
  private final Map<String, long[]> withdrawn = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> policies = new ConcurrentHashMap<>();
  /** The newest state of every rollout this node heard of, finished ones included, by namespace. */
  private final Map<String, RolloutState> latest = new ConcurrentHashMap<>();

  /** Takes {@code s} when it is newer than what this node knows; true when it was. */
  boolean learn(RolloutState s) {
    boolean[] changed = {false};
    latest.compute(s.namespace(), (ns, known) -> {
      if (!s.newerThan(known)) {
        return known;
      }
      changed[0] = true;
      return s;
    });
    if (!changed[0]) {
      return false;
    }
    if (s.finished()) {
      active.computeIfPresent(s.namespace(), (ns, a) -> a.id() <= s.id() ? null : a);
      if (s.state().equals("rolled_back")) {
        withdrawn.put(s.namespace(), new long[] {s.stable(), s.version()});
      }
    } else {
      active.put(s.namespace(), s);
    }
    return true;
  }

  /** The unfinished rollout of a namespace, or null. */
  RolloutState active(String namespace) {
    return active.isEmpty() ? null : active.get(namespace);
  }

  Iterable<RolloutState> allActive() {
    return active.values();
  }

  boolean withdrawn(String namespace, long version) {
    long[] range = withdrawn.isEmpty() ? null : withdrawn.get(namespace);
    return range != null && version > range[0] && version <= range[1];
  }

  JsonObject policy(String namespace) {
    return policies.get(namespace);
  }

  void policy(String namespace, JsonObject plan) {
    if (plan == null) {
      policies.remove(namespace);
    } else {
      policies.put(namespace, plan);
    }
  }
}
