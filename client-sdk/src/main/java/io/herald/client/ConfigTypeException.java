package io.herald.client;

/**
 * A key holds a value of another type than the getter asks for: a string {@code "3000"} read with
 * {@code getInt}, {@code 2.5} read with {@code getLong}, a number too large for an {@code int}. The
 * SDK never converts between JSON types and never answers such a read with the default: thrown
 * from a {@link ChangeListener} reading {@link ConfigChange#next()}, it rejects the version, so a
 * bad value is refused before any application code sees it.
 */
public final class ConfigTypeException extends RuntimeException {

  private final String key;

  ConfigTypeException(String namespace, String key, String expected, Object actual) {
    super("key '" + key + "' of " + namespace + " holds " + describe(actual) + ", not " + expected);
    this.key = key;
  }

  /** The key whose value did not fit. */
  public String key() {
    return key;
  }

  private static String describe(Object v) {
    String type = v instanceof String ? "a string" : v instanceof Number ? "a number" : v instanceof Boolean ? "a boolean"
        : v instanceof io.vertx.core.json.JsonObject ? "an object" : v instanceof io.vertx.core.json.JsonArray ? "an array"
        : v.getClass().getSimpleName();
    String text = v instanceof String s ? '"' + s + '"' : String.valueOf(v);
    return (text.length() > 80 ? text.substring(0, 80) + "…" : text) + " (" + type + ")";
  }
}
