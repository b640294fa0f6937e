package io.herald.db;

import java.time.OffsetDateTime;

/** A revision's metadata, without its changes. {@code rollbackTo} is null unless kind is rollback. */
public record RevisionInfo(
    String namespace,
    long version,
    long parentVersion,
    String kind,
    Long rollbackTo,
    String author,
    String message,
    int changeCount,
    OffsetDateTime createdAt) {
}
