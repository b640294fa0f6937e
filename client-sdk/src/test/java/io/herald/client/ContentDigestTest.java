package io.herald.client;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The content digest of docs/protocol.md. The hub's ContentDigestTest runs the same vectors
 * against its own copy of the algorithm: keep the two in step.
 */
@DisplayName("Content digest: SHA-256 over the RFC 8785 encoding of the entries")
class ContentDigestTest {

  @Test
  @DisplayName("numbers are written as ECMAScript writes them (RFC 8785, Appendix B)")
  void rfc8785Numbers() {
    String[][] vectors = {
        {"0000000000000000", "0"}, {"8000000000000000", "0"}, {"0000000000000001", "5e-324"},
        {"8000000000000001", "-5e-324"}, {"7fefffffffffffff", "1.7976931348623157e+308"},
        {"ffefffffffffffff", "-1.7976931348623157e+308"}, {"4340000000000000", "9007199254740992"},
        {"c340000000000000", "-9007199254740992"}, {"4430000000000000", "295147905179352830000"},
        {"44b52d02c7e14af5", "9.999999999999997e+22"}, {"44b52d02c7e14af6", "1e+23"},
        {"44b52d02c7e14af7", "1.0000000000000001e+23"}, {"444b1ae4d6e2ef4e", "999999999999999700000"},
        {"444b1ae4d6e2ef4f", "999999999999999900000"}, {"444b1ae4d6e2ef50", "1e+21"},
        {"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"}, {"3eb0c6f7a0b5ed8d", "0.000001"},
        {"41b3de4355555553", "333333333.3333332"}, {"41b3de4355555554", "333333333.33333325"},
        {"41b3de4355555555", "333333333.3333333"}, {"41b3de4355555556", "333333333.3333334"},
        {"41b3de4355555557", "333333333.33333343"}, {"becbf647612f3696", "-0.0000033333333333333333"},
        {"43143ff3c1cb0959", "1424953923781206.2"}};
    for (String[] v : vectors) {
      double d = Double.longBitsToDouble(Long.parseUnsignedLong(v[0], 16));
      assertEquals(v[1], ContentDigest.number(d), v[0]);
    }
    assertThrows(IllegalArgumentException.class, () -> ContentDigest.number(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> ContentDigest.number(Double.POSITIVE_INFINITY));
  }

  @Test
  @DisplayName("integral values lose their fraction and exponent: 1.0 is 1, 1e2 is 100, 1e21 is 1e+21")
  void integralNumbers() {
    assertEquals("1", ContentDigest.canonical(1.0));
    assertEquals("100", ContentDigest.canonical(new JsonObject("{\"v\":1e2}").getValue("v")));
    assertEquals("3000", ContentDigest.canonical(3000L));
    assertEquals("1e+21", ContentDigest.canonical(1e21));
    assertEquals("1.5", ContentDigest.canonical(new JsonObject("{\"v\":1.50}").getValue("v")));
  }

  @Test
  @DisplayName("the RFC 8785 example object: sorted members, ECMAScript strings and numbers")
  void rfc8785Example() {
    JsonObject input = new JsonObject("{\"numbers\": [1E30,4.50,6,2e-3,0.000000000000000000000000001],"
        + " \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\", \"other\":  [null, true, false]}");
    assertEquals("{\"escaping\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"numbers\":[1e+30,4.5,6,0.002,1e-27],"
        + "\"other\":[null,true,false]}", ContentDigest.canonical(input));
  }

  @Test
  @DisplayName("members are sorted by UTF-16 code units (RFC 8785, section 3.2.3)")
  void utf16Order() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String k : new String[] {"\u20ac", "\r", "\ufb33", "1", "\ud83d\ude00", "\u0080", "\u00f6"}) {
      m.put(k, k.length());
    }
    assertEquals("{\"\\r\":1,\"1\":1,\"\u0080\":1,\"\u00f6\":1,\"\u20ac\":1,\"\ud83d\ude00\":2,\"\ufb33\":1}",
        ContentDigest.canonical(m));
  }

  @Test
  @DisplayName("the worked example of docs/protocol.md, and the empty namespace")
  void workedExample() {
    JsonObject entries = new JsonObject("{\"db/pool\": {\"size\": 20, \"mode\": \"fair\"}, \"feature.x\": true,"
        + " \"ratio\": 1.50, \"name\": \"caf\\u00e9\", \"limits\": [1e3, 2.5e-7, null]}");
    assertEquals("{\"db/pool\":{\"mode\":\"fair\",\"size\":20},\"feature.x\":true,\"limits\":[1000,2.5e-7,null],"
        + "\"name\":\"caf\u00e9\",\"ratio\":1.5}", ContentDigest.canonical(entries));
    assertEquals("sha256:2226e8874f462a0b5a2b3eebfb724383f2c78bf898ddd19d6a43db3b2b74be38",
        ContentDigest.of(entries.getMap()));
    assertEquals("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", ContentDigest.of(Map.of()));
  }
}
