package io.herald.db;

import java.time.OffsetDateTime;

/**
 * One change of a namespace's schema (migration V9): {@code schema} is the JSON Schema text as it
 * was sent, or null when the change removed the schema. {@code headViolations} (JSON text) is set
 * when the head violated the schema and the writer set it knowingly ({@code allowInvalidHead}).
 */
public record SchemaChange(String namespace, long version, String schema, long atHead, boolean allowInvalidHead,
                           String headViolations, String author, String message, OffsetDateTime createdAt) {
}
