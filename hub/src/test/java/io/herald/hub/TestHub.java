package io.herald.hub;

import io.herald.db.TestDatabase;

import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * A real hub (real HTTP port, real PostgreSQL database of its own) for one test class, in this
 * JVM. Shared with the client SDK's tests through the hub's test-jar.
 */
public final class TestHub implements AutoCloseable {

  public static final String TOKEN = "test-admin-token";

  final TestDatabase db;
  final HeraldHub hub;

  private TestHub(TestDatabase db, HeraldHub hub) {
    this.db = db;
    this.hub = hub;
  }

  static TestHub start(Class<?> testClass) {
    return start(testClass, Map.of());
  }

  static TestHub start(Class<?> testClass, Map<String, String> env) {
    return start(testClass, env, System::nanoTime);
  }

  /** With the clock of the per-token write rate, so a test can move time instead of sleeping. */
  static TestHub start(Class<?> testClass, Map<String, String> env, LongSupplier nanoTime) {
    TestDatabase db = TestDatabase.create(testClass);
    return new TestHub(db, startOn(db, env, nanoTime));
  }

  /** A hub on {@code db}; {@code env} adds to and overrides the test defaults (port 0: any free one). */
  public static HeraldHub startOn(TestDatabase db, Map<String, String> env) {
    return startOn(db, env, System::nanoTime);
  }

  private static HeraldHub startOn(TestDatabase db, Map<String, String> env, LongSupplier nanoTime) {
    Map<String, String> all = new java.util.HashMap<>(Map.of(
        "HERALD_HTTP_PORT", "0",
        "HERALD_HTTP_HOST", "127.0.0.1",
        "HERALD_DB_URL", db.url(),
        "HERALD_ADMIN_TOKEN", TOKEN,
        "HERALD_NODE_ID", "test-" + UUID.randomUUID().toString().substring(0, 6),
        "HERALD_DB_POOL_SIZE", "8"));
    all.putAll(env);
    return HeraldHub.start(HubOptions.fromEnv(all), nanoTime).await();
  }

  int port() {
    return hub.port();
  }

  @Override
  public void close() {
    try {
      hub.stop().await();
    } finally {
      db.close();
    }
  }
}
