package io.herald.db;

import java.util.List;

/** A page of revisions, newest first, and the head of the namespace when it was read. */
public record HistoryPage(String namespace, long head, List<RevisionInfo> revisions) {
}
