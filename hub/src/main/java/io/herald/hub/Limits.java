package io.herald.hub;

import io.vertx.core.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** The documented limits and syntax rules of names, values and revisions (docs/http-api.md). */
public final class Limits {

  public static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
  public static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,255}");
  public static final int MAX_VALUE_BYTES = 64 * 1024;
  public static final int MAX_REVISION_BYTES = 1024 * 1024;
  public static final int MAX_CHANGES = 1_000;
  /** Deepest nesting of one value: {@code [[1]]} is 2. Replies and frames add at most 3 levels. */
  public static final int MAX_VALUE_DEPTH = 64;
  public static final int MAX_MESSAGE_CHARS = 1_000;
  public static final int MAX_HISTORY_PAGE = 1_000;
  public static final int DEFAULT_HISTORY_PAGE = 50;
  /** A client's id, in a WebSocket hello, an HTTP ack or a pull's {@code client_id}. */
  public static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}");
  public static final int MAX_LABELS = 32;
  public static final String LABELS_RULE =
      "labels must be an object of at most 32 labels, each with a name of at most 64 characters and a string value of at most 256";
  /** An ack's rejection text is kept up to this many characters. */
  public static final int MAX_ERROR_TEXT = 2_000;

  private Limits() {
  }

  public static String namespace(String ns) {
    if (ns == null || !NAMESPACE.matcher(ns).matches()) {
      throw ApiException.badRequest("invalid_namespace",
          "namespace must match [a-z0-9][a-z0-9._-]{0,127}, got " + quoteShort(ns));
    }
    return ns;
  }

  public static String key(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw ApiException.badRequest("invalid_key",
          "key must match [A-Za-z0-9][A-Za-z0-9._/-]{0,255}, got " + quoteShort(key));
    }
    return key;
  }

  /** Checks the nesting and encoded size of one value, and that every number in it is finite. */
  public static void value(String key, Object value) {
    if (!finite(value)) {
      throw ApiException.badRequest("invalid_value",
          "value of '" + key + "' holds a number too large to represent (JSON numbers must be finite doubles)");
    }
    int depth = StrictJson.depth(value);
    if (depth > MAX_VALUE_DEPTH) {
      throw ApiException.badRequest("invalid_json",
          "value of '" + key + "' is nested " + depth + " levels deep; the limit is " + MAX_VALUE_DEPTH);
    }
    int size = Json.encode(value).getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_VALUE_BYTES) {
      throw ApiException.tooLarge("value_too_large",
          "value of '" + key + "' is " + size + " bytes encoded; the limit is " + MAX_VALUE_BYTES);
    }
  }

  private static boolean finite(Object v) {
    if (v instanceof Double d) {
      return Double.isFinite(d);
    }
    if (v instanceof Float f) {
      return Float.isFinite(f);
    }
    if (v instanceof io.vertx.core.json.JsonObject o) {
      for (var e : o) {
        if (!finite(e.getValue())) {
          return false;
        }
      }
    } else if (v instanceof io.vertx.core.json.JsonArray a) {
      for (Object x : a) {
        if (!finite(x)) {
          return false;
        }
      }
    }
    return true;
  }

  static boolean clientId(Object id) {
    return id instanceof String s && CLIENT_ID.matcher(s).matches();
  }

  /** A client's labels ({@code null} is none) without U+0000, which PostgreSQL cannot store; null when they break the rules. */
  static io.vertx.core.json.JsonObject labels(Object raw) {
    io.vertx.core.json.JsonObject labels = new io.vertx.core.json.JsonObject();
    if (raw == null) {
      return labels;
    }
    if (!(raw instanceof io.vertx.core.json.JsonObject l) || l.size() > MAX_LABELS) {
      return null;
    }
    for (var e : l) {
      if (e.getKey().length() > 64 || !(e.getValue() instanceof String v) || v.length() > 256) {
        return null;
      }
      labels.put(withoutNul(e.getKey()), withoutNul(v));
    }
    return labels;
  }

  /** The text a rejecting ack records: a default for none or blank, cut at {@link #MAX_ERROR_TEXT}. */
  static String rejectionText(String error) {
    String text = error == null || error.isBlank() ? "rejected by the client" : withoutNul(error);
    return text.length() > MAX_ERROR_TEXT ? text.substring(0, MAX_ERROR_TEXT) : text;
  }

  /** PostgreSQL cannot store U+0000 in text or jsonb; one such label must not poison a batch. */
  static String withoutNul(String s) {
    return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "");
  }

  public static String message(String message) {
    if (message != null && message.length() > MAX_MESSAGE_CHARS) {
      throw ApiException.unprocessable("message_too_long",
          "message is " + message.length() + " characters; the limit is " + MAX_MESSAGE_CHARS);
    }
    return message == null ? "" : message;
  }

  /** Index of the first unpaired UTF-16 surrogate in {@code s}, or -1 when it is valid Unicode. */
  static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  static String quoteShort(String s) {
    if (s == null) {
      return "nothing";
    }
    String shown = s.length() > 64 ? s.substring(0, 64) + "…" : s;
    return "'" + shown + "'";
  }
}
