package io.herald.client;

import java.util.Map;

/**
 * What changed between two versions of a namespace: for each changed key its value before and
 * after ({@code null} values are JSON null; use {@link ValueChange#added()} and
 * {@link ValueChange#removed()} to tell absence from null).
 *
 * @param namespace   the namespace
 * @param fromVersion the version the application had (0 when it had nothing)
 * @param toVersion   the version this change brings
 * @param changes     changed keys, in key order
 */
public record ConfigChange(String namespace, long fromVersion, long toVersion, Map<String, ValueChange> changes) {

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
