package io.herald.client;

/**
 * Called once per new version of a namespace, on the client's dispatch thread, before the new
 * version becomes visible through {@link ConfigView}'s getters. Throwing rejects the version: the
 * client keeps the previous configuration and acks the version as rejected with the exception's
 * message, so the operator sees it in the rollout.
 */
@FunctionalInterface
public interface ChangeListener {

  void onChange(ConfigChange change) throws Exception;
}
