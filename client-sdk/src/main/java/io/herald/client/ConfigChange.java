package io.herald.client;

import java.util.Map;

/**
 * What changed between two versions of a namespace: for each changed key its value before and
 * after ({@code null} values are JSON null; use {@link ValueChange#added()} and
 * {@link ValueChange#removed()} to tell absence from null), and both versions whole. A listener
 * validates the proposed version with the typed getters of {@link #next()}; a getter that meets a
 * value of the wrong type throws {@link ConfigTypeException}, which rejects the version.
 * JSON objects and arrays in it are shared with the client: do not modify them.
 *
 * @param namespace   the namespace
 * @param fromVersion the version the application had (0 when it had nothing)
 * @param toVersion   the version this change brings
 * @param changes     changed keys, in key order
 * @param previous    the version the application has now (version -1 and empty before the first)
 * @param next        the version proposed: what the getters will show once every listener returned
 */
public record ConfigChange(String namespace, long fromVersion, long toVersion, Map<String, ValueChange> changes,
                           ConfigSnapshot previous, ConfigSnapshot next) {

  /** One key's old and new value. */
  public record ValueChange(boolean existedBefore, Object oldValue, boolean existsAfter, Object newValue) {

    public boolean added() {
      return !existedBefore && existsAfter;
    }

    public boolean removed() {
      return existedBefore && !existsAfter;
    }
  }
}
