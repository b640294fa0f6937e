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
  /** The id of a token just revoked: every node forgets it and closes its WebSockets. */
  static final String TOKEN_REVOKED = "herald.tokens.revoked";

  private Addresses() {
  }
}
