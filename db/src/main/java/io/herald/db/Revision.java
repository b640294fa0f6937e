package io.herald.db;

import java.util.List;

/** A revision with its changes, sorted by key. */
public record Revision(RevisionInfo info, List<Change> changes) {

  public String namespace() {
    return info.namespace();
  }

  public long version() {
    return info.version();
  }
}
