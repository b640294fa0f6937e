package io.herald.db;

import java.util.List;

/**
 * The merged changes that turn the state at {@code from} into the state at {@code to}. Keys whose
 * value ends up equal (or absent at both ends) are left out. Each entry carries the value it
 * replaces so that a reader can show both sides.
 */
public record Diff(String namespace, long from, long to, List<Entry> changes) {

  /** {@code before}/{@code after} are meaningful only when {@code existedBefore}/{@code existsAfter}. */
  public record Entry(String key, boolean existedBefore, Object before, boolean existsAfter, Object after) {

    public Change asChange() {
      return existsAfter ? Change.put(key, after) : Change.delete(key);
    }
  }

  public List<Change> asChanges() {
    return changes.stream().map(Entry::asChange).toList();
  }
}
