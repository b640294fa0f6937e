package io.herald.hub;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Namespaces as the files teams keep: {@code .properties}, YAML and flat JSON, in and out
 * (docs/http-api.md, "Files in and out"). A file is a whole namespace: Herald keys map to
 * properties keys as they are, and to YAML mappings by splitting at '.' on the way in (nested
 * mappings join their keys with '.'); exports write every key flat, which reads back the same.
 */
final class ConfigFiles {

  /** The formats, with the media type each is exported as. */
  enum Format {
    PROPERTIES("text/x-java-properties; charset=utf-8"), YAML("application/yaml; charset=utf-8"),
    JSON("application/json");

    final String mediaType;

    Format(String mediaType) {
      this.mediaType = mediaType;
    }

    /** From {@code ?format=}; null when absent. */
    static Format ofParam(String param) {
      if (param == null || param.isEmpty()) {
        return null;
      }
      return switch (param) {
        case "properties" -> PROPERTIES;
        case "yaml", "yml" -> YAML;
        case "json" -> JSON;
        default -> throw ApiException.badRequest("invalid_parameter",
            "'format' must be properties, yaml or json, got " + Limits.quoteShort(param));
      };
    }

    /** From a Content-Type or one media range of an Accept header; null when it names none of ours. */
    static Format ofMediaType(String type) {
      if (type == null) {
        return null;
      }
      String t = type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
      return switch (t) {
        case "text/x-java-properties", "text/x-properties", "application/x-java-properties" -> PROPERTIES;
        case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml" -> YAML;
        case "application/json" -> JSON;
        default -> null;
      };
    }
  }

  /** Where a file is wrong: 400 with the line and column (1-based) when known. */
  static ApiException invalid(String code, String message, int line, int column) {
    JsonObject at = new JsonObject();
    if (line > 0) {
      at.put("line", line).put("column", column);
      message = message + " (line " + line + ", column " + column + ")";
    }
    return new ApiException(400, code, message, at);
  }

  private ConfigFiles() {
  }

  // ---- .properties ---------------------------------------------------------------------------

  /** One key of a properties file, with where it starts. */
  record Property(String key, String value, int line, int column) {
  }

  /**
   * Reads a {@code .properties} document as {@link java.util.Properties#load(java.io.Reader)} does
   * (comments, '=', ':' or blanks between key and value, continuation lines, escapes), but refuses a
   * key given twice and a malformed {@code \\u} escape, with their line and column.
   */
  static List<Property> readProperties(String text) {
    List<Property> out = new ArrayList<>();
    Map<String, Integer> seen = new java.util.HashMap<>();
    int i = 0;
    int line = 1;
    int n = text.length();
    while (i < n) {
      // Start of a natural line: skip leading blanks.
      int lineStart = i;
      while (i < n && isBlank(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        i = skipNewline(text, i);
        line++;
        continue;
      }
      if (c == '#' || c == '!') {
        while (i < n && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
          i++;
        }
        continue;
      }
      int keyLine = line;
      int keyColumn = i - lineStart + 1;
      // The logical line, continuation lines joined, escapes kept for the key/value split.
      StringBuilder key = new StringBuilder();
      StringBuilder value = new StringBuilder();
      StringBuilder target = key;
      boolean inValue = false;
      boolean afterKey = false;
      boolean separatorSeen = false;
      int column = i - lineStart + 1;
      int curLineStart = lineStart;
      while (i < n) {
        c = text.charAt(i);
        if (c == '\n' || c == '\r') {
          break;
        }
        if (afterKey && !inValue) {
          // Between key and value: blanks, then at most one '=' or ':', then blanks.
          if (isBlank(c)) {
            i++;
            continue;
          }
          if ((c == '=' || c == ':') && !separatorSeen) {
            separatorSeen = true;
            i++;
            continue;
          }
          inValue = true;
          target = value;
        }
        if (c == '\\') {
          if (i + 1 >= n || text.charAt(i + 1) == '\n' || text.charAt(i + 1) == '\r') {
            // A continuation: the next natural line goes on, its leading blanks dropped.
            i = i + 1 >= n ? n : skipNewline(text, i + 1);
            line++;
            curLineStart = i;
            while (i < n && isBlank(text.charAt(i))) {
              i++;
            }
            continue;
          }
          char e = text.charAt(i + 1);
          column = i - curLineStart + 1;
          switch (e) {
            case 't' -> target.append('\t');
            case 'n' -> target.append('\n');
            case 'r' -> target.append('\r');
            case 'f' -> target.append('\f');
            case 'u' -> {
              if (i + 6 > n || !text.substring(i + 2, i + 6).matches("[0-9A-Fa-f]{4}")) {
                throw invalid("invalid_properties", "malformed \\uXXXX escape", line, column);
              }
              target.append((char) Integer.parseInt(text.substring(i + 2, i + 6), 16));
              i += 4;
            }
            default -> target.append(e);
          }
          i += 2;
          continue;
        }
        if (!inValue && (c == '=' || c == ':' || isBlank(c))) {
          afterKey = true;
          continue;
        }
        target.append(c);
        i++;
      }
      String k = key.toString();
      Integer first = seen.putIfAbsent(k, keyLine);
      if (first != null) {
        throw invalid("duplicate_key", "key " + Limits.quoteShort(k) + " is given twice (first on line " + first + ")",
            keyLine, keyColumn);
      }
      out.add(new Property(k, value.toString(), keyLine, keyColumn));
    }
    return out;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\f';
  }

  private static int skipNewline(String text, int i) {
    if (text.charAt(i) == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
      return i + 2;
    }
    return i + 1;
  }

  /**
   * A properties value as a Herald value: text that is a JSON document (a number, true, false,
   * null, a quoted string, an array, an object) is that JSON value; any other text is a string.
   */
  static Object propertyValue(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return text;
    }
    char c = t.charAt(0);
    if (c == '"' || c == '[' || c == '{' || c == '-' || (c >= '0' && c <= '9')
        || t.equals("true") || t.equals("false") || t.equals("null")) {
      try {
        return StrictJson.parse(t);
      } catch (StrictJson.Invalid | RuntimeException notJson) {
        return text;
      }
    }
    return text;
  }

  /** The namespace as a properties document, keys in order; reads back to the same entries. */
  static String writeProperties(Map<String, Object> entries) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Object> e : entries.entrySet()) {
      escape(out, e.getKey(), true);
      out.append('=');
      Object v = e.getValue();
      String text = v instanceof String s && propertyValue(s) instanceof String same && same.equals(s) ? s : Json.encode(v);
      escape(out, text, false);
      out.append('\n');
    }
    return out.toString();
  }

  private static void escape(StringBuilder out, String s, boolean key) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\f' -> out.append("\\f");
        case ' ' -> out.append(key || i == 0 ? "\\ " : " ");
        case '=', ':', '#', '!' -> out.append(key || i == 0 ? "\\" + c : String.valueOf(c));
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
  }

  // ---- YAML ----------------------------------------------------------------------------------

  /** Most aliases one document may use: a few are handy, a "billion laughs" needs many. */
  static final int MAX_YAML_ALIASES = 50;
  static final int MAX_YAML_DEPTH = Limits.MAX_VALUE_DEPTH;

  /**
   * YAML 1.2's core schema for plain scalars: true/false, null, numbers. No YAML 1.1 surprises
   * (yes/no/on/off stay strings, no timestamps, no sexagesimal numbers).
   */
  private static final class CoreResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
      addImplicitResolver(Tag.INT, Pattern.compile("^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789");
      addImplicitResolver(Tag.FLOAT, Pattern.compile(
          "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"),
          "-+0123456789.");
      addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL|)$"), "~nN\0");
      addImplicitResolver(Tag.NULL, EMPTY, null);
    }
  }

  private static Yaml yaml(int maxBytes) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_YAML_ALIASES);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_YAML_DEPTH);
    options.setCodePointLimit(Math.max(maxBytes, 1));
    DumperOptions dump = new DumperOptions();
    dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    dump.setWidth(Integer.MAX_VALUE);
    return new Yaml(new SafeConstructor(options), new Representer(dump), dump, options, new CoreResolver());
  }

  /**
   * Reads a YAML document as a namespace: mappings nest keys (joined with '.'), anything else is a
   * value (sequences become JSON arrays, mappings inside them JSON objects). Aliases are bounded,
   * duplicate keys (also after joining) refused; errors say the line and column.
   */
  static Map<String, Object> readYaml(String text) {
    Object doc;
    try {
      Iterable<Object> docs = yaml(text.length()).loadAll(text);
      java.util.Iterator<Object> it = docs.iterator();
      doc = it.hasNext() ? it.next() : null;
      if (it.hasNext()) {
        throw invalid("invalid_yaml", "the file holds more than one YAML document; send one", 0, 0);
      }
    } catch (DuplicateKeyException e) {
      throw marked("duplicate_key", "a key is given twice", e.getProblemMark());
    } catch (MarkedYAMLException e) {
      throw marked("invalid_yaml", "not valid YAML: " + firstLine(e.getProblem()), e.getProblemMark());
    } catch (YAMLException e) {
      // Alias and size limits, unknown tags: no position to report.
      throw invalid("invalid_yaml", "not accepted as YAML: " + firstLine(e.getMessage()), 0, 0);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    if (doc == null) {
      return out;
    }
    if (!(doc instanceof Map<?, ?> root)) {
      throw invalid("invalid_yaml", "the document must be a mapping of keys to values", 0, 0);
    }
    flatten("", root, out);
    return out;
  }

  private static ApiException marked(String code, String message, Mark mark) {
    return mark == null ? invalid(code, message, 0, 0) : invalid(code, message, mark.getLine() + 1, mark.getColumn() + 1);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      Object k = e.getKey();
      if (!(k instanceof String) && !(k instanceof Number) && !(k instanceof Boolean)) {
        throw invalid("invalid_yaml", "keys must be scalars, got " + (k == null ? "null" : "a collection")
            + (prefix.isEmpty() ? "" : " under '" + prefix + "'"), 0, 0);
      }
      String key = prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k;
      if (e.getValue() instanceof Map<?, ?> nested && !nested.isEmpty()) {
        flatten(key, nested, out);
      } else if (out.putIfAbsent(key, json(key, e.getValue())) != null) {
        throw invalid("duplicate_key", "key " + Limits.quoteShort(key) + " is given twice (nested and dotted)", 0, 0);
      }
    }
  }

  /** A YAML value as JSON (an empty mapping as a leaf is an empty object). */
  private static Object json(String key, Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      return v;
    }
    if (v instanceof BigInteger b) {
      return new BigDecimal(b).doubleValue() == b.doubleValue() && b.bitLength() < 64 ? b.longValue() : b.doubleValue();
    }
    if (v instanceof Double d) {
      if (!Double.isFinite(d)) {
        throw invalid("invalid_value", "value of " + Limits.quoteShort(key) + " is not a finite number", 0, 0);
      }
      return d;
    }
    if (v instanceof List<?> list) {
      JsonArray a = new JsonArray();
      list.forEach(x -> a.add(json(key, x)));
      return a;
    }
    if (v instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      m.forEach((mk, mv) -> o.put(String.valueOf(mk), json(key, mv)));
      return o;
    }
    throw invalid("invalid_yaml", "value of " + Limits.quoteShort(key) + " has a type JSON cannot hold ("
        + v.getClass().getSimpleName() + ")", 0, 0);
  }

  /**
   * The namespace as YAML, every key flat. An object value cannot be written so that it reads back
   * as one value (a mapping nests keys), so a namespace holding one is refused (406): use JSON or
   * properties.
   */
  static String writeYaml(Map<String, Object> entries) {
    Map<String, Object> plain = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : entries.entrySet()) {
      if (e.getValue() instanceof JsonObject) {
        throw new ApiException(406, "not_representable", "key '" + e.getKey() + "' holds a JSON object, which YAML "
            + "would read back as nested keys; export as JSON (?format=json) or properties");
      }
      plain.put(e.getKey(), plain(e.getValue()));
    }
    return plain.isEmpty() ? "{}\n" : yaml(0).dump(plain);
  }

  private static Object plain(Object v) {
    if (v instanceof JsonArray a) {
      List<Object> out = new ArrayList<>(a.size());
      a.forEach(x -> out.add(plain(x)));
      return out;
    }
    if (v instanceof JsonObject o) {
      Map<String, Object> out = new LinkedHashMap<>();
      o.forEach(e -> out.put(e.getKey(), plain(e.getValue())));
      return out;
    }
    return v;
  }
}
