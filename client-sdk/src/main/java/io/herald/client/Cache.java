package io.herald.client;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The last applied snapshot of each namespace, one JSON file per namespace, replaced atomically
 * (write a temporary file, then rename over the old one) so a crash never leaves half a file.
 */
final class Cache {

  private static final Logger LOG = Logger.getLogger(Cache.class.getName());

  record Entry(long version, Map<String, Object> entries) {
  }

  private final Path dir;

  Cache(Path dir) {
    this.dir = dir;
  }

  Path file(String namespace) {
    return dir.resolve(namespace + ".json");
  }

  Entry read(String namespace) {
    Path f = file(namespace);
    if (!Files.exists(f)) {
      return null;
    }
    try {
      JsonObject o = new JsonObject(Files.readString(f, StandardCharsets.UTF_8));
      if (!namespace.equals(o.getString("namespace"))) {
        return null;
      }
      Map<String, Object> entries = new LinkedHashMap<>();
      o.getJsonObject("entries").forEach(e -> entries.put(e.getKey(), e.getValue()));
      return new Entry(o.getLong("version"), entries);
    } catch (IOException | RuntimeException e) {
      LOG.warning("ignoring unreadable cache file " + f + ": " + e);
      return null;
    }
  }

  void write(String namespace, long version, Map<String, Object> entries) {
    try {
      Files.createDirectories(dir);
      JsonObject o = new JsonObject().put("namespace", namespace).put("version", version)
          .put("entries", new JsonObject(new LinkedHashMap<>(entries)));
      Path tmp = Files.createTempFile(dir, namespace + ".", ".tmp");
      Files.writeString(tmp, o.encode(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file(namespace), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file(namespace), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.warning("could not write the cache of " + namespace + " to " + dir + ": " + e);
    }
  }
}
