package io.herald.db;

import java.util.Map;

/** The state of a namespace at one version: key to decoded JSON value, sorted by key. */
public record Snapshot(String namespace, long version, Map<String, Object> entries) {
}
