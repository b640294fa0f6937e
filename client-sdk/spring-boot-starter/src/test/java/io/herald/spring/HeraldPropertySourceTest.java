package io.herald.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;

/** How Herald keys and JSON values become Spring property names, and how imports name namespaces. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("Herald keys as Spring properties")
class HeraldPropertySourceTest {

  @Test
  @DisplayName("'/' becomes '.', objects and arrays flatten, null is no property")
  void mapping() {
    Map<String, Object> entries = new LinkedHashMap<>();
    entries.put("db/pool", new JsonObject().put("size", 20).put("limits", new JsonObject().put("max", 5)));
    entries.put("hosts", new JsonArray().add("a").add(new JsonObject().put("port", 1)));
    entries.put("empty", new JsonArray());
    entries.put("feature.x", true);
    entries.put("gone", null);
    Map<String, Object> p = HeraldPropertySource.properties(entries);
    assertEquals(Map.of("db.pool.size", 20, "db.pool.limits.max", 5, "hosts[0]", "a", "hosts[1].port", 1,
        "empty", "", "feature.x", true), p);
  }

  @Test
  @DisplayName("two keys naming one property: the later in key order wins")
  void collision() {
    Map<String, Object> p = HeraldPropertySource.properties(Map.of("db/pool", 1, "db.pool", 2));
    assertEquals(Map.of("db.pool", 1), p, "'db/pool' sorts after 'db.pool'");
  }

  @Test
  @DisplayName("a source never goes back to an older version")
  void monotonic() {
    HeraldPropertySource s = new HeraldPropertySource("ns", 3, Map.of("a", 1));
    s.show(2, Map.of("a", 0));
    assertEquals(1, s.getProperty("a"));
    s.show(4, Map.of("b", 2));
    assertNull(s.getProperty("a"));
    assertEquals(List.of("b"), List.of(s.getPropertyNames()));
    assertEquals("herald:ns", s.getName());
  }

  @Test
  @DisplayName("changed properties, indexed and camel-case ones too, fall under their @ConfigurationProperties prefix")
  void changedNames() {
    var changed = HeraldRefresher.changedNames(Map.of("payments.hosts[0]", "a", "db.maxSize", 1, "same", 1),
        Map.of("payments.hosts[0]", "b", "db.maxSize", 2, "same", 1, "added.key", true));
    assertEquals(3, changed.size(), changed.toString());
    assertTrue(changed.stream().anyMatch(n -> ConfigurationPropertyName.of("payments").isAncestorOf(n)), changed.toString());
    assertTrue(changed.stream().anyMatch(n -> ConfigurationPropertyName.of("db").isAncestorOf(n)), changed.toString());
    assertTrue(changed.stream().anyMatch(n -> ConfigurationPropertyName.of("added").isAncestorOf(n)), changed.toString());
  }

  @Test
  @DisplayName("imports: ',' and ';' separate namespaces; a bad name is refused with the rule")
  void namespaces() {
    assertEquals(List.of("a.prod", "a.shared"), HeraldConfigDataLocationResolver.namespaces(" a.prod ; a.shared,a.prod"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HeraldConfigDataLocationResolver.namespaces("Payments"));
    assertTrue(e.getMessage().contains("'Payments'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HeraldConfigDataLocationResolver.namespaces(" , "));
  }
}
