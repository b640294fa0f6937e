package io.herald.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Typed reads of one complete version of a namespace: the live {@link ConfigView}, and the versions
 * a {@link ConfigChange} carries ({@link ConfigChange#next()} is the version a listener is asked to
 * accept). Values are JSON values: {@code JsonObject}, {@code JsonArray}, {@code String},
 * {@code Number}, {@code Boolean} or {@code null}.
 *
 * <p><b>Types are never coerced.</b> The default of a getter is returned only when the key is absent
 * or holds JSON {@code null}. A key that holds another type throws {@link ConfigTypeException}: a
 * string {@code "3000"} is not an int, {@code 2.5} is not a long, {@code 3000000000} is not an int.
 * Numbers convert only without loss: {@code getInt}/{@code getLong} accept any JSON number with an
 * integral value in range ({@code 3000}, {@code 3000.0}, {@code 3e3}); {@code getDouble} accepts any
 * number. Read your keys from {@code change.next()} in a listener and a bad value rejects the
 * version instead of reaching the application.
 */
public interface ConfigReader {

  String namespace();

  /** The version these values belong to; -1 when there is none yet. */
  long version();

  /** All keys and their JSON values, read-only. */
  Map<String, Object> asMap();

  default boolean contains(String key) {
    return asMap().containsKey(key);
  }

  /** The raw JSON value of a key (which may be JSON null), or {@code def} when the key is absent. */
  default Object getJson(String key, Object def) {
    Map<String, Object> entries = asMap();
    return entries.containsKey(key) ? entries.get(key) : def;
  }

  default String getString(String key, String def) {
    Object v = asMap().get(key);
    if (v == null) {
      return def;
    }
    if (v instanceof String s) {
      return s;
    }
    throw new ConfigTypeException(namespace(), key, "a string", v);
  }

  default int getInt(String key, int def) {
    Object v = asMap().get(key);
    if (v == null) {
      return def;
    }
    long l = integral(this, key, v, "an int");
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw new ConfigTypeException(namespace(), key, "an int", v);
    }
    return (int) l;
  }

  default long getLong(String key, long def) {
    Object v = asMap().get(key);
    return v == null ? def : integral(this, key, v, "a long");
  }

  default double getDouble(String key, double def) {
    Object v = asMap().get(key);
    if (v == null) {
      return def;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw new ConfigTypeException(namespace(), key, "a number", v);
  }

  default boolean getBoolean(String key, boolean def) {
    Object v = asMap().get(key);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw new ConfigTypeException(namespace(), key, "a boolean", v);
  }

  /**
   * Binds a key's JSON object or array to a record or POJO with Jackson ({@code def} when the key is
   * absent or null); a value that does not fit the type throws {@link ConfigTypeException}. Scalar
   * types ({@code Integer.class}, {@code String.class}, ...) follow the getters' rules.
   */
  default <T> T get(String key, Class<T> type, T def) {
    Object v = asMap().get(key);
    if (v == null) {
      return def;
    }
    Object scalar = type == Integer.class ? (Object) getInt(key, 0) : type == Long.class ? (Object) getLong(key, 0)
        : type == Double.class ? (Object) getDouble(key, 0) : type == Boolean.class ? (Object) getBoolean(key, false)
        : type == String.class ? getString(key, null) : null;
    if (scalar != null) {
      return type.cast(scalar);
    }
    try {
      if (v instanceof JsonObject o) {
        return o.mapTo(type);
      }
      if (v instanceof JsonArray a) {
        return DatabindCodec.mapper().convertValue(a.getList(), type);
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigTypeException(namespace(), key, type.getSimpleName() + " (" + e.getMessage() + ")", v);
    }
    if (type.isInstance(v)) {
      return type.cast(v);
    }
    throw new ConfigTypeException(namespace(), key, type.getSimpleName(), v);
  }

  private static long integral(ConfigReader r, String key, Object v, String expected) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b && b.bitLength() < 64) {
      return b.longValue();
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      BigDecimal d = v instanceof BigDecimal b ? b : Double.isFinite(((Number) v).doubleValue())
          ? new BigDecimal(((Number) v).doubleValue()) : null;
      if (d != null && d.stripTrailingZeros().scale() <= 0 && d.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
        return d.longValueExact();
      }
    }
    throw new ConfigTypeException(r.namespace(), key, expected, v);
  }
}
