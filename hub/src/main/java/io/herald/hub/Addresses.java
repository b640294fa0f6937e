package io.herald.hub;

/**
 * Every event-bus address the hub uses. Each is published cluster-wide and consumed by every
 * verticle of every node.
 */
final class Addresses {

  /** Committed revisions: the delta frame, encoded once, with namespace, version and commit time in headers. */
  static final String REVISIONS = "herald.revisions";
  /** Namespaces whose client states (subscriptions, acks, disconnects) just became durable: a JSON array. */
  static final String ACKS = "herald.acks";
  /** A rollout's newest state (RolloutState JSON) after each transition: every node gates delivery on it. */
  static final String ROLLOUTS = "herald.rollouts";
  /** A namespace's default rollout plan changed: {"namespace", "plan"} (plan null: removed). */
  static final String ROLLOUT_POLICIES = "herald.rollout.policies";
  /** The id of a token just revoked: every node forgets it and closes its WebSockets. */
  static final String TOKEN_REVOKED = "herald.tokens.revoked";

  private Addresses() {
  }
}
