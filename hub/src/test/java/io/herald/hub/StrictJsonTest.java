package io.herald.hub;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Strict JSON reading of what clients send")
class StrictJsonTest {

  private static Object parse(String s) throws StrictJson.Invalid {
    return StrictJson.parse(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String nested(int depth) {
    return "[".repeat(depth) + "1" + "]".repeat(depth);
  }

  @Test
  @DisplayName("reads objects, arrays and scalars into the same types as Vert.x")
  void readsLikeVertx() throws Exception {
    JsonObject o = (JsonObject) parse("{\"a\":1,\"b\":[true,null,\"x\",1.5,12345678901,123456789012345678901234567890]}");
    assertEquals(1, o.getValue("a"));
    JsonArray b = o.getJsonArray("b");
    assertEquals(Boolean.TRUE, b.getValue(0));
    assertEquals(null, b.getValue(1));
    assertEquals("x", b.getValue(2));
    assertEquals(1.5, b.getValue(3));
    assertEquals(12345678901L, b.getValue(4));
    assertEquals(new BigInteger("123456789012345678901234567890"), b.getValue(5));
    assertEquals(o, new JsonObject(o.encode()), "round trip through Vert.x");
  }

  @Test
  @DisplayName("duplicate object keys are refused, at any depth")
  void duplicateKeys() {
    StrictJson.Invalid e = assertThrows(StrictJson.Invalid.class, () -> parse("{\"role\":\"reader\",\"role\":\"admin\"}"));
    assertTrue(e.getMessage().contains("duplicate object key"), e.getMessage());
    assertThrows(StrictJson.Invalid.class, () -> parse("{\"a\":[{\"x\":1,\"x\":1}]}"));
  }

  @Test
  @DisplayName("lone surrogates are refused in strings and in names; pairs are fine")
  void surrogates() throws Exception {
    assertThrows(StrictJson.Invalid.class, () -> parse("\"\\ud800\""));
    assertThrows(StrictJson.Invalid.class, () -> parse("\"a\\udc00b\""));
    assertThrows(StrictJson.Invalid.class, () -> parse("{\"\\ud800\":1}"));
    assertThrows(StrictJson.Invalid.class, () -> parse("\"\\ud800\\ud800\""));
    assertEquals("😀", parse("\"\\ud83d\\ude00\""));
    assertEquals("😀", parse("\"😀\""));
  }

  @Test
  @DisplayName("numbers that would be stored as something else are refused")
  void numbers() throws Exception {
    assertThrows(StrictJson.Invalid.class, () -> parse("1e-400"));
    assertThrows(StrictJson.Invalid.class, () -> parse("[0.0000e-999, 2.5e-999]"));
    assertThrows(StrictJson.Invalid.class, () -> parse("1e400"));
    assertThrows(StrictJson.Invalid.class, () -> parse("-1e400"));
    assertEquals(0.0, parse("0.0e-999"));
    assertEquals(-0.0, parse("-0.0"));
    assertEquals(1e-300, parse("1e-300"));
  }

  @Test
  @DisplayName("nesting: exactly the limit is read, one level more is refused, a thousand levels too")
  void depth() throws Exception {
    assertInstanceOf(JsonArray.class, parse(nested(StrictJson.MAX_DEPTH)));
    assertThrows(StrictJson.Invalid.class, () -> parse(nested(StrictJson.MAX_DEPTH + 1)));
    assertThrows(StrictJson.Invalid.class, () -> parse(nested(999)));
    assertThrows(StrictJson.Invalid.class, () -> parse("[".repeat(50_000)));
    assertEquals(Limits.MAX_VALUE_DEPTH, StrictJson.depth(parse(nested(Limits.MAX_VALUE_DEPTH))));
    assertEquals(0, StrictJson.depth(1));
  }

  @Test
  @DisplayName("every value the limit allows can be encoded inside any frame the hub writes")
  void encodableInFrames() throws Exception {
    Object deepest = parse(nested(Limits.MAX_VALUE_DEPTH));
    String frame = Payloads.deltaFrame("ns", 1, 2, java.util.List.of(io.herald.db.Change.put("k", deepest))).encode();
    assertEquals(deepest, ((JsonObject) parse(frame)).getJsonArray("changes").getJsonObject(0).getValue("value"));
  }

  @Test
  @DisplayName("trailing content, empty documents and broken UTF-8 are refused with a position")
  void garbage() {
    assertThrows(StrictJson.Invalid.class, () -> parse("{} {}"));
    assertThrows(StrictJson.Invalid.class, () -> parse(""));
    assertThrows(StrictJson.Invalid.class, () -> StrictJson.parse(new byte[] {'"', (byte) 0xff, '"'}));
    StrictJson.Invalid e = assertThrows(StrictJson.Invalid.class, () -> parse("{\n\"a\": tru}"));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
  }
}
