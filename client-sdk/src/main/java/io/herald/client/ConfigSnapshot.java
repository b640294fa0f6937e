package io.herald.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** One version of a namespace, immutable: what {@link ConfigChange#previous()} and {@link ConfigChange#next()} hold. */
public final class ConfigSnapshot implements ConfigReader {

  private final String namespace;
  private final long version;
  private final Map<String, Object> entries;

  ConfigSnapshot(String namespace, long version, Map<String, Object> entries) {
    this.namespace = namespace;
    this.version = version;
    this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  @Override
  public String namespace() {
    return namespace;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Map<String, Object> asMap() {
    return entries;
  }

  @Override
  public String toString() {
    return namespace + "@" + version + entries;
  }
}
