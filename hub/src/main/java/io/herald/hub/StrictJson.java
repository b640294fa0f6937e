package io.herald.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON reader for what clients send (HTTP bodies and WebSocket frames). Stricter than
 * Vert.x's own decoding, so that what is stored is exactly what was pushed and what was meant:
 * duplicate object keys, lone UTF-16 surrogates, numbers that would silently become 0 and nesting
 * deeper than {@link #MAX_DEPTH} are refused with {@link Invalid}, whose message says what and where.
 */
final class StrictJson {

  /**
   * Deepest nesting of a whole document: a value's own limit ({@link Limits#MAX_VALUE_DEPTH})
   * plus the three levels a revision request wraps it in. Every reply and frame the hub writes
   * wraps a value in at most three levels too, far below what the encoder accepts.
   */
  static final int MAX_DEPTH = Limits.MAX_VALUE_DEPTH + 3;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      // Jackson's own guard sits above ours, so ours always speaks first.
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build())
      .build();

  /** What was wrong with the document; safe to show to the client. */
  static final class Invalid extends Exception {
    /** {@code invalid_value} for numbers that cannot be stored as sent, {@code invalid_json} otherwise. */
    final String code;

    Invalid(String message) {
      this("invalid_json", message);
    }

    Invalid(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  private StrictJson() {
  }

  static Object parse(byte[] utf8) throws Invalid {
    try (JsonParser p = FACTORY.createParser(utf8)) {
      return document(p);
    } catch (IOException e) {
      throw invalid(e);
    }
  }

  static Object parse(String text) throws Invalid {
    try (JsonParser p = FACTORY.createParser(text)) {
      return document(p);
    } catch (IOException e) {
      throw invalid(e);
    }
  }

  private static Object document(JsonParser p) throws IOException, Invalid {
    JsonToken first = p.nextToken();
    if (first == null) {
      throw new Invalid("the document is empty");
    }
    Object value = value(p, first, 0);
    if (p.nextToken() != null) {
      throw new Invalid("unexpected content after the JSON value at " + where(p));
    }
    return value;
  }

  private static Object value(JsonParser p, JsonToken t, int depth) throws IOException, Invalid {
    switch (t) {
      case START_OBJECT -> {
        checkDepth(p, depth + 1);
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
          String name = text(p, p.currentName());
          map.put(name, value(p, p.nextToken(), depth + 1));
        }
        return new JsonObject(map);
      }
      case START_ARRAY -> {
        checkDepth(p, depth + 1);
        JsonArray array = new JsonArray();
        for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
          array.add(value(p, n, depth + 1));
        }
        return array;
      }
      case VALUE_STRING -> {
        return text(p, p.getText());
      }
      case VALUE_NUMBER_INT -> {
        return switch (p.getNumberType()) {
          case INT -> p.getIntValue();
          case LONG -> p.getLongValue();
          default -> p.getBigIntegerValue();
        };
      }
      case VALUE_NUMBER_FLOAT -> {
        return floating(p);
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new Invalid("unexpected " + t + " at " + where(p));
    }
  }

  /**
   * Numbers with a fraction or exponent are doubles (documented). One that is not finite, or that
   * is not zero but would be stored as 0 (such as 1e-400), is refused rather than changed.
   */
  private static Double floating(JsonParser p) throws IOException, Invalid {
    String literal = p.getText();
    double d = Double.parseDouble(literal);
    if (!Double.isFinite(d)) {
      throw new Invalid("invalid_value", "the number " + Limits.quoteShort(literal) + " at " + where(p)
          + " is too large to represent (numbers must be finite doubles)");
    }
    if (d == 0.0 && !isZero(literal)) {
      throw new Invalid("invalid_value", "the number " + Limits.quoteShort(literal) + " at " + where(p)
          + " is too small to store as a double and would become 0");
    }
    return d;
  }

  private static boolean isZero(String literal) {
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c == 'e' || c == 'E') {
        return true;
      }
      if (c >= '1' && c <= '9') {
        return false;
      }
    }
    return true;
  }

  /** Strings and names must be valid Unicode: a lone surrogate cannot be stored as UTF-8. */
  private static String text(JsonParser p, String s) throws Invalid {
    int bad = Limits.loneSurrogateAt(s);
    if (bad >= 0) {
      throw new Invalid("a string at " + where(p) + " holds a lone UTF-16 surrogate (\\u"
          + Integer.toHexString(s.charAt(bad)) + "), which is not a Unicode character");
    }
    return s;
  }

  private static void checkDepth(JsonParser p, int depth) throws Invalid {
    if (depth > MAX_DEPTH) {
      throw new Invalid("the document is nested deeper than " + MAX_DEPTH + " levels (values: at most "
          + Limits.MAX_VALUE_DEPTH + ")");
    }
  }

  private static Invalid invalid(IOException e) {
    if (e instanceof JsonProcessingException j) {
      String msg = j.getOriginalMessage();
      if (msg != null && msg.startsWith("Duplicate field")) {
        return new Invalid(msg.replace("Duplicate field", "duplicate object key") + " at line "
            + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr());
      }
      if (msg != null && msg.contains("nesting depth")) {
        return new Invalid("the document is nested deeper than " + MAX_DEPTH + " levels");
      }
      return new Invalid("not valid JSON at line " + (j.getLocation() == null ? "?" : j.getLocation().getLineNr())
          + ", column " + (j.getLocation() == null ? "?" : j.getLocation().getColumnNr()));
    }
    return new Invalid("not valid JSON");
  }

  private static String where(JsonParser p) {
    var l = p.currentLocation();
    return "line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  /** Nesting depth of a parsed value: 0 for scalars, 1 for {@code []}, 2 for {@code [[1]]}. */
  static int depth(Object v) {
    int max = 0;
    if (v instanceof JsonObject o) {
      for (var e : o) {
        max = Math.max(max, depth(e.getValue()));
      }
      return max + 1;
    }
    if (v instanceof JsonArray a) {
      for (Object x : a) {
        max = Math.max(max, depth(x));
      }
      return max + 1;
    }
    return 0;
  }
}
