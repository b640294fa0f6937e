package io.herald.db;

import java.time.OffsetDateTime;

/**
 * What a receiving hub checks an event-bus frame against: a committed revision's commit time and
 * the SHA-256 of its changes as the writing hub published them ({@code changesSha256} is null for
 * rollbacks and revisions written before digests were stored: read those from the table).
 */
public record RevisionDigest(String namespace, long version, OffsetDateTime createdAt, byte[] changesSha256) {
}
