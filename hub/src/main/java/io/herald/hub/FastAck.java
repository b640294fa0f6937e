package io.herald.hub;

import io.vertx.core.json.JsonObject;

/**
 * Reads the one frame a fleet sends thousands of per version without building a JSON tree:
 * {@code {"type":"ack","namespace":"N","version":V,"status":"applied"}} exactly as the SDK and most
 * clients encode it (those keys in that order, no whitespace, no escapes). Anything else, including
 * every other spelling of the same ack, returns null and goes through {@link StrictJson}: this is
 * a shortcut for the common case, never a second grammar. What it returns is what
 * {@link StrictJson#parse} would have returned for the same text.
 */
final class FastAck {

  private static final String HEAD = "{\"type\":\"ack\",\"namespace\":\"";
  private static final String MIDDLE = "\",\"version\":";
  private static final String TAIL = ",\"status\":\"applied\"}";
  /** Digits of the largest version read here; longer numbers take the strict path. */
  private static final int MAX_DIGITS = 18;

  private FastAck() {
  }

  /** An applied ack read by {@link #read}. */
  record Applied(String namespace, long version) {

    /** The frame as {@link StrictJson#parse} reads it. */
    JsonObject toJson() {
      JsonObject frame = new JsonObject();
      frame.put("type", "ack");
      frame.put("namespace", namespace);
      // The strict reader's types: an int when it fits, a long otherwise.
      frame.put("version", version <= Integer.MAX_VALUE ? (Object) (int) version : (Object) version);
      frame.put("status", "applied");
      return frame;
    }
  }

  /** The frame as a JSON object, or null when the text is not exactly the common applied ack. */
  static JsonObject parse(String text) {
    Applied ack = read(text);
    return ack == null ? null : ack.toJson();
  }

  /** The ack's namespace and version, or null when the text is not exactly the common applied ack. */
  static Applied read(String text) {
    if (!text.startsWith(HEAD) || !text.endsWith(TAIL)) {
      return null;
    }
    int nsStart = HEAD.length();
    int nsEnd = text.indexOf('"', nsStart);
    if (nsEnd < 0 || !text.startsWith(MIDDLE, nsEnd)) {
      return null;
    }
    for (int i = nsStart; i < nsEnd; i++) {
      char c = text.charAt(i);
      if (c == '\\' || c < 0x20 || Character.isSurrogate(c)) {
        return null; // escapes, control characters and surrogates: the strict reader judges them
      }
    }
    int vStart = nsEnd + MIDDLE.length();
    int vEnd = text.length() - TAIL.length();
    int digits = vEnd - vStart;
    if (digits < 1 || digits > MAX_DIGITS || (digits > 1 && text.charAt(vStart) == '0')) {
      return null;
    }
    long version = 0;
    for (int i = vStart; i < vEnd; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      version = version * 10 + (c - '0');
    }
    return new Applied(text.substring(nsStart, nsEnd), version);
  }
}
