package io.herald.hub;

import io.herald.db.Change;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
@DisplayName("Judging a write by its own keys agrees with judging the whole namespace, without a server")
class SchemaCheckTest {

  private static JsonObject plain() {
    return new JsonObject().put("type", "object").put("required", new JsonArray().add("a").add("b"))
        .put("properties", new JsonObject()
            .put("a", new JsonObject().put("type", "integer").put("maximum", 10))
            .put("b", new JsonObject().put("enum", new JsonArray().add("x").add("y")))
            .put("c", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))))
        .put("additionalProperties", new JsonObject().put("type", "boolean"));
  }

  @Test
  @DisplayName("for a plain object schema, every random write over a valid namespace gets the same verdict both ways")
  void keyByKeyAgrees() {
    SchemaCheck.Compiled schema = SchemaCheck.compile(plain());
    assertNotNull(schema.perKey());
    Random random = new Random(16);
    Object[] values = {1, 11, -3, "x", "z", true, new JsonArray().add("s"), new JsonArray().add(1), null};
    String[] keys = {"a", "b", "c", "d", "e"};
    int refused = 0;
    for (int round = 0; round < 2_000; round++) {
      Map<String, Object> base = new LinkedHashMap<>(Map.of("a", 5, "b", "x"));
      if (random.nextBoolean()) {
        base.put("d", false);
      }
      assertEquals(List.of(), SchemaCheck.violations(schema, base));
      List<Change> changes = new ArrayList<>();
      Map<String, Object> after = new LinkedHashMap<>(base);
      for (String k : keys) {
        int pick = random.nextInt(4);
        if (pick == 0) {
          Object v = values[random.nextInt(values.length)];
          changes.add(Change.put(k, v));
          after.put(k, v);
        } else if (pick == 1 && base.containsKey(k)) {
          changes.add(Change.delete(k));
          after.remove(k);
        }
      }
      boolean whole = SchemaCheck.violations(schema, after).isEmpty();
      assertEquals(whole, schema.changesValid(changes), "after " + changes + ": " + after);
      refused += whole ? 0 : 1;
    }
    assertEquals(true, refused > 200 && refused < 1_900, "both verdicts were exercised: " + refused);
  }

  @Test
  @DisplayName("schemas that relate keys to each other or refer elsewhere are judged on the whole namespace")
  void otherSchemasAreWhole() {
    assertNull(SchemaCheck.compile(plain().put("maxProperties", 3)).perKey());
    assertNull(SchemaCheck.compile(plain().put("dependentRequired",
        new JsonObject().put("a", new JsonArray().add("c")))).perKey());
    assertNull(SchemaCheck.compile(new JsonObject().put("$defs", new JsonObject().put("n", new JsonObject()))
        .put("properties", new JsonObject().put("a", new JsonObject().put("$ref", "#/$defs/n")))).perKey());
    assertNull(SchemaCheck.compile(new JsonObject().put("type", "string")).perKey());
    assertNotNull(SchemaCheck.compile(new JsonObject()).perKey());
  }
}
