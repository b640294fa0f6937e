package io.herald.client;

/**
 * The client's meters. Micrometer is optional: {@link #create} returns meters backed by it only
 * when it is on the class path (the implementing class is the only one that names Micrometer
 * types, so without Micrometer it is never loaded), and no-ops otherwise.
 */
interface ClientMeters {

  ClientMeters NONE = new ClientMeters() {
  };

  /** A namespace to show the version of. */
  default void view(ConfigView view) {
  }

  default void rejected(String namespace) {
  }

  default void reconnected() {
  }

  /** A reconciliation found the namespace behind or different from the hub. */
  default void drifted(String namespace) {
  }

  /** Removes the meters from the registry. */
  default void close() {
  }

  /**
   * Meters for {@code client} in {@code registry} (a Micrometer {@code MeterRegistry}; null: the
   * global registry), or {@link #NONE} when disabled or Micrometer is absent.
   */
  static ClientMeters create(HeraldClient client, Object registry, boolean enabled) {
    if (!enabled || !micrometerPresent()) {
      return NONE;
    }
    return new MicrometerMeters(client, registry);
  }

  private static boolean micrometerPresent() {
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry", false, ClientMeters.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
