package io.herald.client;

import com.fasterxml.jackson.core.io.NumberOutput;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content digest of a namespace at one version (docs/protocol.md, "Content digest"):
 * {@code "sha256:"} and the lowercase hex SHA-256 of the UTF-8 bytes of the RFC 8785 (JSON
 * Canonicalization Scheme) encoding of the entries object {@code {key: value, ...}}. The hub holds
 * its own copy of this algorithm (the SDK knows no server code); both copies are run against the
 * same test vectors, so keep them in step.
 */
final class ContentDigest {

  static final String PREFIX = "sha256:";

  private ContentDigest() {
  }

  /** The digest of a namespace's entries (key to JSON value as Vert.x decodes it). */
  static String of(Map<String, ?> entries) {
    StringBuilder out = new StringBuilder();
    object(entries, out);
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(out.toString().getBytes(StandardCharsets.UTF_8));
      return PREFIX + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** The RFC 8785 text of a JSON value. */
  static String canonical(Object value) {
    StringBuilder out = new StringBuilder();
    value(value, out);
    return out.toString();
  }

  private static void value(Object v, StringBuilder out) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      string(s, out);
    } else if (v instanceof Boolean b) {
      out.append(b);
    } else if (v instanceof Number n) {
      out.append(number(n.doubleValue()));
    } else if (v instanceof JsonObject o) {
      object(o.getMap(), out);
    } else if (v instanceof Map<?, ?> m) {
      object(m, out);
    } else if (v instanceof JsonArray a) {
      array(a.getList(), out);
    } else if (v instanceof List<?> l) {
      array(l, out);
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
    }
  }

  /** Members sorted by their names' UTF-16 code units, which is how String.compareTo orders. */
  private static void object(Map<?, ?> m, StringBuilder out) {
    TreeMap<String, Object> sorted = new TreeMap<>();
    m.forEach((k, v) -> sorted.put((String) k, v));
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      string(e.getKey(), out);
      out.append(':');
      value(e.getValue(), out);
    }
    out.append('}');
  }

  private static void array(List<?> l, StringBuilder out) {
    out.append('[');
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      value(l.get(i), out);
    }
    out.append(']');
  }

  /** ECMAScript's JSON.stringify quoting: only '"', '\\' and control characters are escaped. */
  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || (Character.isSurrogate(c) && !pairedSurrogate(s, i))) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static boolean pairedSurrogate(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  /**
   * ECMAScript's Number::toString, which RFC 8785 prescribes: the fewest significant digits that
   * read back as the same double (the closest such decimal), then plain notation for decimal
   * exponents from -6 to 21 and {@code 1e+21} style beyond. Integral values have no fraction.
   */
  static String number(double d) {
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException("JSON has no " + d);
    }
    if (d == 0) {
      return "0"; // -0 too
    }
    // Jackson's Schubfach writer gives the shortest digits, except that, like Java's own
    // Double.toString, it may choose two digits where one would do (4.9E-324 for 5e-324).
    BigDecimal shortest = new BigDecimal(NumberOutput.toString(Math.abs(d), true)).stripTrailingZeros();
    if (shortest.precision() == 2) {
      BigDecimal one = new BigDecimal(Math.abs(d)).round(new MathContext(1, RoundingMode.HALF_EVEN));
      if (Double.parseDouble(one.toString()) == Math.abs(d)) {
        shortest = one.stripTrailingZeros();
      }
    }
    String digits = shortest.unscaledValue().toString();
    int k = digits.length();
    int n = k - shortest.scale(); // the value is 0.<digits> times 10^n
    StringBuilder out = new StringBuilder(d < 0 ? "-" : "");
    if (k <= n && n <= 21) {
      out.append(digits).append("0".repeat(n - k));
    } else if (0 < n && n <= 21) {
      out.append(digits, 0, n).append('.').append(digits, n, k);
    } else if (-6 < n && n <= 0) {
      out.append("0.").append("0".repeat(-n)).append(digits);
    } else {
      int e = n - 1;
      out.append(digits.charAt(0));
      if (k > 1) {
        out.append('.').append(digits, 1, k);
      }
      out.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
    }
    return out.toString();
  }
}
