package io.herald.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed getters shared by ConfigView and ConfigSnapshot: defaults only for absent keys, never a coercion. */
@DisplayName("Typed reads: numbers convert only without loss, other types fail loudly")
class ConfigReaderTest {

  record Pool(int size, String mode) {
  }

  private static ConfigSnapshot config() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("int", 3000);
    m.put("string-int", "3000");
    m.put("double-int", 3000.0);
    m.put("fraction", 2.5);
    m.put("big", 3_000_000_000L);
    m.put("huge", new BigInteger("123456789012345678901234567890"));
    m.put("flag", true);
    m.put("name", "x");
    m.put("null", null);
    m.put("pool", new JsonObject().put("size", 10).put("mode", "fair"));
    m.put("list", new JsonArray().add(1).add(2));
    return new ConfigSnapshot("typed.ns", 7, m);
  }

  @Test
  @DisplayName("absent keys and JSON null give the default; present values of the right type are returned")
  void defaultsAndValues() {
    ConfigSnapshot c = config();
    assertEquals(7, c.getInt("missing", 7));
    assertEquals(7, c.getInt("null", 7));
    assertEquals("d", c.getString("null", "d"));
    assertEquals(3000, c.getInt("int", 0));
    assertEquals(3000, c.getInt("double-int", 0));
    assertEquals(3_000_000_000L, c.getLong("big", 0));
    assertEquals(2.5, c.getDouble("fraction", 0));
    assertEquals(3000.0, c.getDouble("int", 0));
    assertTrue(c.getBoolean("flag", false));
    assertEquals("x", c.getString("name", null));
    assertEquals(new Pool(10, "fair"), c.get("pool", Pool.class, null));
    assertEquals(List.of(1, 2), c.get("list", List.class, null));
    assertEquals(3000, c.get("int", Integer.class, null));
    assertTrue(c.contains("null"));
  }

  @Test
  @DisplayName("a string \"3000\" is not an int, 2.5 is not a long, 3e9 is not an int: each read throws, naming key and value")
  void noCoercion() {
    ConfigSnapshot c = config();
    ConfigTypeException e = assertThrows(ConfigTypeException.class, () -> c.getInt("string-int", 10));
    assertEquals("key 'string-int' of typed.ns holds \"3000\" (a string), not an int", e.getMessage());
    assertEquals("string-int", e.key());
    assertThrows(ConfigTypeException.class, () -> c.getLong("fraction", 0));
    assertThrows(ConfigTypeException.class, () -> c.getInt("big", 0));
    assertThrows(ConfigTypeException.class, () -> c.getLong("huge", 0));
    assertThrows(ConfigTypeException.class, () -> c.getDouble("string-int", 0));
    assertThrows(ConfigTypeException.class, () -> c.getBoolean("name", false));
    assertThrows(ConfigTypeException.class, () -> c.getString("int", null));
    assertThrows(ConfigTypeException.class, () -> c.get("string-int", Integer.class, null));
    assertThrows(ConfigTypeException.class, () -> c.get("name", Pool.class, null));
    assertThrows(ConfigTypeException.class, () -> c.get("list", Pool.class, null));
  }
}
