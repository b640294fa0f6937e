package io.herald.db;

import java.time.OffsetDateTime;

/** One namespace as listed: head version, number of live keys and connected clients. */
public record NamespaceInfo(
    String name, long head, long keys, long connectedClients, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
}
