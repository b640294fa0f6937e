package io.herald.hub;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("The ack shortcut reads exactly what the strict reader reads, or nothing")
class FastAckTest {

  private static final String ACK = "{\"type\":\"ack\",\"namespace\":\"payments.prod\",\"version\":42,\"status\":\"applied\"}";

  /** Same keys, values and number types as the strict reader, or the shortcut declined. */
  private static void agrees(String text) {
    JsonObject fast = FastAck.parse(text);
    if (fast == null) {
      return;
    }
    Object strict;
    try {
      strict = StrictJson.parse(text);
    } catch (StrictJson.Invalid e) {
      throw new AssertionError("the shortcut read a frame the strict reader refuses: " + text, e);
    }
    assertEquals(strict, fast, text);
    Object v = ((JsonObject) strict).getValue("version");
    assertEquals(v.getClass(), fast.getValue("version").getClass(), "number type of " + text);
  }

  @Test
  @DisplayName("reads the SDK's applied ack into the strict reader's object")
  void readsTheCommonAck() throws Exception {
    JsonObject fast = FastAck.parse(ACK);
    assertNotNull(fast);
    assertEquals(StrictJson.parse(ACK), fast);
    assertEquals(42, fast.getValue("version"));
    String sdk = new JsonObject().put("type", "ack").put("namespace", "a.b").put("version", 7L).put("status", "applied")
        .encode();
    assertNotNull(FastAck.parse(sdk), "what the SDK sends takes the shortcut");
    agrees(sdk);
    JsonObject big = FastAck.parse(ACK.replace("42", "123456789012"));
    assertEquals(123456789012L, big.getValue("version"));
    agrees(ACK.replace("42", "123456789012"));
    agrees(ACK.replace("42", "0"));
  }

  @Test
  @DisplayName("leaves every other spelling to the strict reader")
  void declinesEverythingElse() {
    for (String text : List.of(
        ACK.replace("applied", "rejected"),
        ACK.replace(":42", ": 42"),
        ACK.replace("42", "042"),
        ACK.replace("42", "-1"),
        ACK.replace("42", "4.2"),
        ACK.replace("42", "4e2"),
        ACK.replace("42", "\"42\""),
        ACK.replace("42", ""),
        ACK.replace("42", "1234567890123456789"),
        ACK.replace("payments.prod", "pay\\u0041"),
        ACK.replace("payments.prod", "pay\\\"x"),
        ACK.replace("payments.prod", "pay\tx"),
        ACK.replace("payments.prod", "pay\ud800x"),
        ACK.replace("}", ",\"status\":\"applied\"}"),
        ACK.replace("{\"type\":\"ack\",", "{\"type\":\"ack\",\"type\":\"ack\","),
        ACK + " ",
        " " + ACK,
        ACK.replace("\"namespace\"", "\"ns\""),
        "{\"namespace\":\"a\",\"type\":\"ack\",\"version\":1,\"status\":\"applied\"}")) {
      assertNull(FastAck.parse(text), text);
    }
  }

  @Test
  @DisplayName("never reads a mutated ack differently from the strict reader (random mutations)")
  void mutationsAgree() {
    Random random = new Random(13);
    String alphabet = "{}[]\":,\\ 0123456789.-eEaptu\u00e9\ud83d\ude00";
    int taken = 0;
    for (int i = 0; i < 200_000; i++) {
      StringBuilder b = new StringBuilder(ACK);
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        int at = random.nextInt(b.length() + 1);
        switch (random.nextInt(3)) {
          case 0 -> b.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
          case 1 -> {
            if (at < b.length()) {
              b.deleteCharAt(at);
            }
          }
          default -> {
            if (at < b.length()) {
              b.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
            }
          }
        }
      }
      String text = b.toString();
      if (FastAck.parse(text) != null) {
        taken++;
      }
      agrees(text);
    }
    // Mutations inside the namespace or the digits keep the shortcut: the comparison above ran on them.
    org.junit.jupiter.api.Assertions.assertTrue(taken > 1_000, "mutated acks that took the shortcut: " + taken);
  }
}
