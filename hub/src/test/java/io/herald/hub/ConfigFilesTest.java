package io.herald.hub;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
@DisplayName("Reading and writing .properties and YAML files, without a server")
class ConfigFilesTest {

  private static Map<String, String> read(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ConfigFiles.Property p : ConfigFiles.readProperties(text)) {
      out.put(p.key(), p.value());
    }
    return out;
  }

  private static Map<String, String> javaRead(String text) throws Exception {
    Properties p = new Properties();
    p.load(new java.io.StringReader(text));
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  @Test
  @DisplayName("properties read as java.util.Properties reads them: separators, comments, continuations, escapes")
  void propertiesLikeJava() throws Exception {
    String text = "# comment\n! also\n  a = 1\nb:2\nc 3\nd\\ e=f\\=g\\:h\nlong = one \\\n    two\\\n three\n"
        + "tab\\t=\\u0041\\n\nempty=\nonly\r\nwin=1\r\n\n   \n";
    assertEquals(javaRead(text), read(text));
    assertEquals("one twothree", read(text).get("long"), "continuation lines lose their leading blanks");
  }

  @Test
  @DisplayName("a key given twice, and a broken \\u escape, are refused with line and column")
  void propertiesErrors() {
    ApiException dup = assertThrows(ApiException.class, () -> ConfigFiles.readProperties("a=1\n\n  a=2\n"));
    assertEquals("duplicate_key", dup.code());
    assertEquals(3, dup.body().getInteger("line"));
    assertEquals(3, dup.body().getInteger("column"));
    ApiException esc = assertThrows(ApiException.class, () -> ConfigFiles.readProperties("x=1\ny=\\u12G4\n"));
    assertEquals("invalid_properties", esc.code());
    assertEquals(2, esc.body().getInteger("line"));
    assertEquals(3, esc.body().getInteger("column"));
  }

  @Test
  @DisplayName("property values: JSON text is that value, other text a string; every value round-trips")
  void propertyValuesRoundTrip() {
    Map<String, Object> entries = new LinkedHashMap<>();
    entries.put("n", 5);
    entries.put("f", 1.5);
    entries.put("t", true);
    entries.put("nul", null);
    entries.put("s", "hello world");
    entries.put("numeric.string", "5");
    entries.put("true.string", "true");
    entries.put("quoted", "\"q\"");
    entries.put("spaces", "  lead and trail  ");
    entries.put("multi", "line1\nline2");
    entries.put("arr", new JsonArray().add(1).add("x"));
    entries.put("obj", new JsonObject().put("a", 1));
    entries.put("unicode", "ünï€ 😀");
    entries.put("empty", "");
    entries.put("with=eq:colon#hash", "=x");
    String text = ConfigFiles.writeProperties(entries);
    Map<String, Object> back = new LinkedHashMap<>();
    for (ConfigFiles.Property p : ConfigFiles.readProperties(text)) {
      back.put(p.key(), ConfigFiles.propertyValue(p.value()));
    }
    assertEquals(entries, back, text);
  }

  @Test
  @DisplayName("YAML nests keys with '.', keeps YAML 1.2 types, and round-trips what it can write")
  void yaml() {
    Map<String, Object> read = ConfigFiles.readYaml("db:\n  pool: 5\n  url: \"pg://x\"\nflags: [1, two]\n"
        + "answer: yes\nratio: 0.5\nnone: ~\nwhen: 2024-01-01\n");
    assertEquals(5, read.get("db.pool"));
    assertEquals("pg://x", read.get("db.url"));
    assertEquals(new JsonArray().add(1).add("two"), read.get("flags"));
    assertEquals("yes", read.get("answer"), "YAML 1.1 booleans stay strings");
    assertEquals("2024-01-01", read.get("when"), "no timestamps");
    assertEquals(0.5, read.get("ratio"));
    assertEquals(null, read.get("none"));
    Map<String, Object> entries = new LinkedHashMap<>(read);
    entries.put("numeric.string", "5");
    entries.put("bool.string", "true");
    entries.put("list.of.maps", new JsonArray().add(new JsonObject().put("a", 1)));
    assertEquals(entries, ConfigFiles.readYaml(ConfigFiles.writeYaml(entries)));
  }

  /** A "billion laughs": 12 levels of 9 aliases each, about 3 * 10^11 strings once expanded. */
  static String aliasBomb() {
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 12; i++) {
      bomb.append((char) ('a' + i)).append(": &").append((char) ('a' + i)).append(" [");
      for (int j = 0; j < 9; j++) {
        bomb.append(j == 0 ? "" : ", ").append('*').append((char) ('a' + i - 1));
      }
      bomb.append("]\n");
    }
    return bomb.toString();
  }

  @Test
  @DisplayName("YAML: duplicate keys, alias bombs, syntax errors and object values on export are refused")
  void yamlErrors() {
    ApiException dup = assertThrows(ApiException.class, () -> ConfigFiles.readYaml("a: 1\nb: 2\na: 3\n"));
    assertEquals("duplicate_key", dup.code());
    assertEquals(3, dup.body().getInteger("line"));
    assertEquals("duplicate_key", assertThrows(ApiException.class,
        () -> ConfigFiles.readYaml("a.b: 1\na:\n  b: 2\n")).code());
    assertEquals("invalid_yaml", assertThrows(ApiException.class, () -> ConfigFiles.readYaml(aliasBomb())).code());
    ApiException syntax = assertThrows(ApiException.class, () -> ConfigFiles.readYaml("a: [1, 2\nb: 3\n"));
    assertEquals("invalid_yaml", syntax.code());
    assertEquals(List.of("line", "column"), List.copyOf(syntax.body().fieldNames()).subList(2, 4));
    assertEquals(406, assertThrows(ApiException.class,
        () -> ConfigFiles.writeYaml(Map.of("o", new JsonObject().put("a", 1)))).status());
  }
}
