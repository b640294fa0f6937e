package io.herald.hub;

import io.herald.db.Change;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reading and checking request input; every problem becomes an {@link ApiException}. */
final class Requests {

  private Requests() {
  }

  static JsonObject jsonObjectBody(RoutingContext ctx) {
    Object body = jsonBody(ctx);
    if (!(body instanceof JsonObject o)) {
      throw ApiException.badRequest("invalid_request", "the request body must be a JSON object");
    }
    return o;
  }

  /** Any JSON value; an empty body is an error (send {@code null} to store JSON null). */
  static Object jsonBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiException.badRequest("invalid_json", "the request body is empty; send a JSON value");
    }
    try {
      return StrictJson.parse(body.getBytes());
    } catch (StrictJson.Invalid e) {
      throw ApiException.badRequest(e.code, "the request body is not accepted: " + e.getMessage());
    }
  }

  /**
   * A header whose value is UTF-8 text (HTTP hands header bytes over as ISO-8859-1); null when
   * absent. Bytes that are not UTF-8 are refused rather than stored as replacement characters.
   */
  static String utf8Header(RoutingContext ctx, String name) {
    String raw = ctx.request().getHeader(name);
    if (raw == null) {
      return null;
    }
    byte[] bytes = raw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    try {
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw ApiException.badRequest("invalid_header", "header " + name + " must be UTF-8 text");
    }
  }

  /** True unless {@code uri} holds a {@code %} not followed by two hex digits. */
  static boolean wellEncoded(String uri) {
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The {@code changes} array of a revision request, checked against the documented limits. */
  static List<Change> changes(JsonObject body) {
    Object raw = body.getValue("changes");
    if (!(raw instanceof JsonArray array)) {
      throw ApiException.badRequest("invalid_request", "'changes' must be an array of changes");
    }
    if (array.isEmpty()) {
      throw ApiException.unprocessable("no_changes", "a revision needs at least one change");
    }
    if (array.size() > Limits.MAX_CHANGES) {
      throw ApiException.unprocessable("too_many_changes",
          "a revision holds at most " + Limits.MAX_CHANGES + " changes, got " + array.size());
    }
    List<Change> changes = new ArrayList<>(array.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String where = "changes[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject c)) {
        throw ApiException.badRequest("invalid_request", where + " must be an object {key, op, value}");
      }
      if (!(c.getValue("key") instanceof String key)) {
        throw ApiException.badRequest("invalid_request", where + ".key must be a string");
      }
      Limits.key(key);
      if (!seen.add(key)) {
        throw ApiException.unprocessable("duplicate_key", "key '" + key + "' appears more than once in one revision");
      }
      Object op = c.getValue("op");
      if ("put".equals(op)) {
        if (!c.containsKey("value")) {
          throw ApiException.badRequest("invalid_request", where + " is a put without a 'value' (use null for JSON null)");
        }
        Limits.value(key, c.getValue("value"));
        changes.add(Change.put(key, c.getValue("value")));
      } else if ("delete".equals(op)) {
        if (c.containsKey("value")) {
          throw ApiException.badRequest("invalid_request", where + " is a delete and must not carry a 'value'");
        }
        changes.add(Change.delete(key));
      } else {
        throw ApiException.badRequest("invalid_request", where + ".op must be \"put\" or \"delete\"");
      }
    }
    return changes;
  }

  static String optionalString(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw ApiException.badRequest("invalid_request", "'" + field + "' must be a string");
  }

  /** A non-negative whole number field, or null when absent. */
  static Long optionalVersion(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (v instanceof Integer || v instanceof Long) {
      long l = ((Number) v).longValue();
      if (l >= 0) {
        return l;
      }
    }
    throw ApiException.badRequest("invalid_request", "'" + field + "' must be a whole number >= 0");
  }

  static long requiredVersion(JsonObject body, String field) {
    Long v = optionalVersion(body, field);
    if (v == null) {
      throw ApiException.badRequest("invalid_request", "'" + field + "' is required");
    }
    return v;
  }

  /** A non-negative whole-number query parameter, or {@code def} when absent. */
  static Long longParam(RoutingContext ctx, String name, Long def) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isEmpty()) {
      return def;
    }
    try {
      long l = Long.parseLong(v);
      if (l >= 0) {
        return l;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error
    }
    throw ApiException.badRequest("invalid_parameter", "query parameter '" + name + "' must be a whole number >= 0");
  }

  static long pathVersion(RoutingContext ctx, String name) {
    String v = ctx.pathParam(name);
    try {
      long l = Long.parseLong(v);
      if (l >= 0) {
        return l;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error
    }
    throw ApiException.badRequest("invalid_parameter", "'" + Limits.quoteShort(v) + "' is not a version number");
  }

  /** {@code If-Match: "5"} (or 5, or W/"5"); null when absent or {@code *}. */
  static Long ifMatch(RoutingContext ctx) {
    String v = ctx.request().getHeader("If-Match");
    if (v == null || v.trim().equals("*")) {
      return null;
    }
    String s = v.trim();
    if (s.startsWith("W/")) {
      s = s.substring(2);
    }
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      s = s.substring(1, s.length() - 1);
    }
    try {
      long l = Long.parseLong(s);
      if (l >= 0) {
        return l;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error
    }
    throw ApiException.badRequest("invalid_parameter", "If-Match must be a version such as \"42\"");
  }

  /** Durations such as {@code 30s}, {@code 500ms}, {@code 2m} or plain seconds; capped at {@code max}. */
  static long durationMillis(RoutingContext ctx, String name, long defMillis, long maxMillis) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isEmpty()) {
      return defMillis;
    }
    try {
      long amount;
      long unit;
      if (v.endsWith("ms")) {
        amount = Long.parseLong(v.substring(0, v.length() - 2));
        unit = 1;
      } else if (v.endsWith("s")) {
        amount = Long.parseLong(v.substring(0, v.length() - 1));
        unit = 1000;
      } else if (v.endsWith("m")) {
        amount = Long.parseLong(v.substring(0, v.length() - 1));
        unit = 60_000;
      } else {
        amount = Long.parseLong(v);
        unit = 1000;
      }
      if (amount >= 0) {
        // Anything past the cap is the cap, however large (no overflow into a negative wait).
        return amount > maxMillis / unit ? maxMillis : Math.min(amount * unit, maxMillis);
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error
    }
    throw ApiException.badRequest("invalid_parameter", "'" + name + "' must be a duration such as 30s or 500ms");
  }
}
