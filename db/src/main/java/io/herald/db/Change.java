package io.herald.db;

/**
 * One key's change inside a revision. {@code value} is a decoded JSON value (JsonObject, JsonArray,
 * String, Number, Boolean or null) and is meaningful only for {@link Op#PUT}.
 */
public record Change(String key, Op op, Object value) {

  public enum Op {
    PUT("put"), DELETE("delete");

    private final String wire;

    Op(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static Op fromWire(String s) {
      return switch (s) {
        case "put" -> PUT;
        case "delete" -> DELETE;
        default -> throw new IllegalArgumentException("unknown op " + s);
      };
    }
  }

  public static Change put(String key, Object value) {
    return new Change(key, Op.PUT, value);
  }

  public static Change delete(String key) {
    return new Change(key, Op.DELETE, null);
  }
}
