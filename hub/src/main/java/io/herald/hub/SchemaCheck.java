package io.herald.hub;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaException;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Namespace schemas: JSON Schema draft 2020-12 through Vert.x's own validator (vertx-json-schema),
 * describing a namespace's entries as one object, each key a property. A schema is compiled once per
 * (namespace, schema version) and kept per event loop: one instance per verticle, never shared.
 * Remote references are refused when a schema is set, so validation never leaves the process.
 */
final class SchemaCheck {

  static final int MAX_SCHEMA_BYTES = 64 * 1024;
  static final int MAX_COMPILED = 256;
  /** At most this many violations are reported for one request. */
  static final int MAX_ERRORS = 100;
  private static final String META_2020_12 = "https://json-schema.org/draft/2020-12/schema";
  static final JsonSchemaOptions OPTIONS = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
      .setBaseUri("urn:herald:schema").setOutputFormat(OutputFormat.Basic);
  /** Valid or not, nothing more: what the write path asks first, as cheaply as the library answers. */
  private static final JsonSchemaOptions FLAG = new JsonSchemaOptions(OPTIONS).setOutputFormat(OutputFormat.Flag);

  /**
   * A compiled schema: a yes/no check of the whole namespace, the full report for refused states,
   * and, for a plain object schema, one check per property (see {@link #changesValid}).
   */
  record Compiled(Validator flag, Validator basic, PerKey perKey) {

    /**
     * Whether a namespace that satisfied the schema still does after {@code changes}, looking at the
     * changed keys only; null when the schema is not a plain object schema (judge the whole state).
     */
    Boolean changesValid(List<io.herald.db.Change> changes) {
      if (perKey == null) {
        return null;
      }
      for (io.herald.db.Change c : changes) {
        if (c.op() == io.herald.db.Change.Op.DELETE) {
          if (perKey.required.contains(c.key())) {
            return false;
          }
          continue;
        }
        Validator v = perKey.properties.getOrDefault(c.key(), perKey.additional);
        if (v == null ? perKey.noAdditional : !Boolean.TRUE.equals(v.validate(c.value()).getValid())) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A plain object schema, judged key by key: {@code properties}, {@code required} and
   * {@code additionalProperties} (a schema, or false) with property schemas that refer to nothing
   * outside themselves. Then a namespace is valid exactly when every key's value satisfies its
   * property's (or the additional) schema and every required key is present, so a write to a valid
   * namespace needs only its own keys checked: 100 keys cost one.
   */
  record PerKey(Map<String, Validator> properties, Validator additional, boolean noAdditional,
                java.util.Set<String> required) {
  }

  /** Top-level keywords a plain object schema may have; anything else is judged on the whole state. */
  private static final java.util.Set<String> PLAIN_KEYWORDS = java.util.Set.of("$schema", "$id", "$comment", "$defs",
      "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "type", "properties",
      "required", "additionalProperties");

  private static PerKey perKey(JsonObject schema) {
    if (!PLAIN_KEYWORDS.containsAll(schema.fieldNames())) {
      return null;
    }
    Object type = schema.getValue("type");
    if (type != null && !"object".equals(type) && !new JsonArray().add("object").equals(type)) {
      return null;
    }
    Object properties = schema.getValue("properties", new JsonObject());
    Object additional = schema.getValue("additionalProperties");
    Object required = schema.getValue("required", new JsonArray());
    if (!(properties instanceof JsonObject props) || !(required instanceof JsonArray req)
        || refersOutside(props) || refersOutside(additional)) {
      return null;
    }
    Map<String, Validator> byKey = new java.util.HashMap<>();
    for (Map.Entry<String, Object> e : props) {
      Validator v = property(e.getValue());
      if (v == null) {
        return null;
      }
      byKey.put(e.getKey(), v);
    }
    java.util.Set<String> requiredKeys = new java.util.HashSet<>();
    for (Object r : req) {
      if (!(r instanceof String k)) {
        return null;
      }
      requiredKeys.add(k);
    }
    boolean noAdditional = Boolean.FALSE.equals(additional);
    Validator other = additional == null || additional instanceof Boolean ? null : property(additional);
    if (additional != null && !(additional instanceof Boolean) && other == null) {
      return null;
    }
    return new PerKey(byKey, other, noAdditional, requiredKeys);
  }

  private static Validator property(Object schema) {
    if (schema instanceof Boolean b) {
      return Validator.create(JsonSchema.of(b), FLAG);
    }
    return schema instanceof JsonObject o ? Validator.create(JsonSchema.of(o), FLAG) : null;
  }

  /** A reference or identifier anywhere inside: the part cannot be judged on its own. */
  private static boolean refersOutside(Object node) {
    if (node instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        if (e.getKey().equals("$ref") || e.getKey().equals("$dynamicRef") || e.getKey().equals("$id")
            || e.getKey().equals("$anchor") || e.getKey().equals("$dynamicAnchor") || refersOutside(e.getValue())) {
          return true;
        }
      }
    } else if (node instanceof JsonArray a) {
      for (Object x : a) {
        if (refersOutside(x)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The 2020-12 meta-schema (from the library's jar), to check schemas themselves. */
  private final Validator meta;
  private final Map<String, Compiled> compiled = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
      return size() > MAX_COMPILED;
    }
  };

  SchemaCheck(io.vertx.core.Vertx vertx) {
    SchemaRepository repo = SchemaRepository.create(OPTIONS).preloadMetaSchema(vertx.fileSystem(), Draft.DRAFT202012);
    this.meta = repo.validator(META_2020_12);
  }

  /**
   * Parses and checks a schema someone wants to set: a JSON object of at most 64 KiB, valid against
   * the 2020-12 meta-schema, with no remote reference. Throws a 400 ApiException otherwise.
   */
  JsonObject parse(Object raw) {
    if (!(raw instanceof JsonObject schema)) {
      throw ApiException.badRequest("invalid_schema", "'schema' must be a JSON object (a JSON Schema, draft 2020-12)");
    }
    int size = schema.encode().getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_SCHEMA_BYTES) {
      throw ApiException.badRequest("schema_too_large",
          "the schema is " + size + " bytes encoded; the limit is " + MAX_SCHEMA_BYTES);
    }
    Object declared = schema.getValue("$schema");
    if (declared != null && !META_2020_12.equals(declared) && !(META_2020_12 + "#").equals(declared)) {
      throw invalid("only JSON Schema draft 2020-12 is supported ($schema " + META_2020_12 + ")",
          List.of(violation("/$schema", "unsupported dialect " + Limits.quoteShort(String.valueOf(declared)))));
    }
    List<JsonObject> remote = new ArrayList<>();
    remoteRefs(schema, "", remote);
    if (!remote.isEmpty()) {
      throw invalid("remote $ref is not allowed: a schema must be self-contained (use \"#/$defs/...\")", remote);
    }
    List<JsonObject> errors = errors(meta, schema);
    if (!errors.isEmpty()) {
      throw invalid("the schema is not a valid JSON Schema (draft 2020-12)", errors);
    }
    return schema;
  }

  /** A schema that {@link #parse} accepted, compiled (not cached: it is not stored yet). */
  static Compiled compile(JsonObject schema) {
    // JsonSchema.of annotates the object it is given (__absolute_uri__ and the like): each use gets its copy.
    PerKey perKey = perKey(schema.copy());
    return new Compiled(Validator.create(JsonSchema.of(schema.copy()), FLAG),
        Validator.create(JsonSchema.of(schema.copy()), OPTIONS), perKey);
  }

  private static ApiException invalid(String message, List<JsonObject> errors) {
    return new ApiException(400, "invalid_schema", message, new JsonObject().put("errors", new JsonArray(errors)));
  }

  /** Every $ref, $dynamicRef or $id that would point outside this document. */
  private static void remoteRefs(Object node, String pointer, List<JsonObject> out) {
    if (node instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        String at = pointer + "/" + escape(e.getKey());
        if ((e.getKey().equals("$ref") || e.getKey().equals("$dynamicRef"))
            && !(e.getValue() instanceof String s && s.startsWith("#"))) {
          out.add(violation(at, "remote reference " + Limits.quoteShort(String.valueOf(e.getValue()))
              + " is never fetched; only references inside the schema (#...) are allowed"));
        } else {
          remoteRefs(e.getValue(), at, out);
        }
      }
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        remoteRefs(a.getValue(i), pointer + "/" + i, out);
      }
    }
  }

  /** The compiled schema of {@code (namespace, version)}, compiled from {@code text} on first use. */
  Compiled validator(String namespace, long version, String text) {
    String id = namespace + "@" + version;
    Compiled v = compiled.get(id);
    if (v == null) {
      JsonObject schema;
      try {
        schema = new JsonObject(text);
      } catch (DecodeException e) {
        throw new IllegalStateException("stored schema of " + id + " is not JSON", e);
      }
      v = compile(schema);
      compiled.put(id, v);
    }
    return v;
  }

  /** The violations of {@code entries} (the namespace as one object), empty when it is valid. */
  static List<JsonObject> violations(Compiled schema, Map<String, Object> entries) {
    JsonObject instance = new JsonObject(entries instanceof LinkedHashMap ? entries : new LinkedHashMap<>(entries));
    try {
      if (Boolean.TRUE.equals(schema.flag().validate(instance).getValid())) {
        return List.of();
      }
    } catch (SchemaException e) {
      // reported with the details below
    }
    return errors(schema.basic(), instance);
  }

  private static List<JsonObject> errors(Validator validator, Object instance) {
    OutputUnit out;
    try {
      out = validator.validate(instance);
    } catch (SchemaException e) {
      return List.of(violation("", "the schema could not be applied: " + e.getMessage()));
    }
    if (Boolean.TRUE.equals(out.getValid())) {
      return List.of();
    }
    List<JsonObject> errors = new ArrayList<>();
    List<OutputUnit> units = out.getErrors() == null || out.getErrors().isEmpty() ? List.of(out) : out.getErrors();
    for (OutputUnit u : units) {
      if (errors.size() == MAX_ERRORS) {
        break;
      }
      errors.add(violation(pointer(u.getInstanceLocation()), u.getError() == null ? "invalid" : u.getError()));
    }
    return errors;
  }

  /** The library writes instance locations as "#/a/b" or "/a/b"; we answer RFC 6901 pointers "/a/b". */
  static String pointer(String location) {
    if (location == null || location.equals("#")) {
      return "";
    }
    return location.startsWith("#") ? location.substring(1) : location;
  }

  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  static JsonObject violation(String pointer, String message) {
    return new JsonObject().put("pointer", pointer).put("message", message);
  }

  /** The 422 a write gets when the namespace after it would violate its schema. */
  static ApiException violated(String namespace, long schemaVersion, List<JsonObject> errors) {
    return new ApiException(422, "schema_violation", "the namespace '" + namespace
        + "' would violate its schema (version " + schemaVersion + ")",
        new JsonObject().put("schema_version", schemaVersion).put("errors", new JsonArray(errors)));
  }
}
