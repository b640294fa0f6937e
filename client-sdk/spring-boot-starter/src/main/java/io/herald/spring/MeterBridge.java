package io.herald.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The Herald client is built before the application's {@link MeterRegistry} exists, so its meters
 * go to a composite registry of their own, to which the application's registries are added once
 * the context has them (a composite hands its meters to every registry added later). Only loaded
 * when Micrometer is on the class path.
 */
final class MeterBridge {

  private final CompositeMeterRegistry composite = new CompositeMeterRegistry();

  static MeterBridge create() {
    try {
      Class.forName("io.micrometer.core.instrument.composite.CompositeMeterRegistry", false,
          MeterBridge.class.getClassLoader());
      return new MeterBridge();
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }

  Object registry() {
    return composite;
  }

  void add(Object registry) {
    if (registry instanceof MeterRegistry r && r != composite) {
      composite.add(r);
    }
  }

  void close() {
    composite.close();
  }
}
