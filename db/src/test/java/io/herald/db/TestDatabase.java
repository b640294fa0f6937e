package io.herald.db;

import java.util.Locale;
import java.util.UUID;

/**
 * A fresh, migrated PostgreSQL database for one test class, dropped by {@link #close()}.
 * The server comes from {@code HERALD_TEST_DB_URL} (any database on it; default the local one).
 */
public final class TestDatabase implements AutoCloseable {

  private final String url;

  private TestDatabase(String url) {
    this.url = url;
  }

  public static TestDatabase create(Class<?> testClass) {
    String server = System.getenv().getOrDefault("HERALD_TEST_DB_URL", "postgresql://postgres@127.0.0.1:5432/postgres");
    String base = server.substring(0, server.lastIndexOf('/') + 1);
    String name = ("herald_t_" + testClass.getSimpleName() + "_" + UUID.randomUUID().toString().substring(0, 8))
        .toLowerCase(Locale.ROOT);
    TestDatabase db = new TestDatabase(base + name);
    Database.migrate(db.url);
    return db;
  }

  public String url() {
    return url;
  }

  @Override
  public void close() {
    Database.dropDatabase(url);
  }
}
