package io.herald.spring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.herald.db.TestDatabase;
import io.herald.hub.HubNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A real hub process from hub/target/herald-hub.jar on a fresh PostgreSQL database, and an HTTP client for it. */
final class HubFixture implements AutoCloseable {

  static final String TOKEN = "starter-test-token";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final TestDatabase db;
  final HubNode hub;

  private HubFixture(TestDatabase db, HubNode hub) {
    this.db = db;
    this.hub = hub;
  }

  static HubFixture start(Class<?> testClass) {
    TestDatabase db = TestDatabase.create(testClass);
    try {
      HubNode hub = HubNode.start(HubNode.jar("../../hub/target/herald-hub.jar"), HubNode.TEST_JVM, HubNode.freePort(),
          Map.of("HERALD_DB_URL", db.url(), "HERALD_ADMIN_TOKEN", TOKEN, "HERALD_DB_POOL_SIZE", "4"));
      hub.awaitReady(Duration.ofSeconds(60));
      return new HubFixture(db, hub);
    } catch (IOException e) {
      db.close();
      throw new IllegalStateException(e);
    }
  }

  String url() {
    return hub.url();
  }

  /** One revision putting {@code key, value, key, value, ...}; returns its version. */
  long write(String ns, Object... keyValues) {
    JsonArray changes = new JsonArray();
    for (int i = 0; i < keyValues.length; i += 2) {
      changes.add(new JsonObject().put("key", keyValues[i]).put("op", "put").put("value", keyValues[i + 1]));
    }
    return call("POST", "/v1/namespaces/" + ns + "/revisions", new JsonObject().put("changes", changes), 201)
        .getLong("version");
  }

  JsonObject get(String path) {
    return call("GET", path, null, 200);
  }

  /** The rollout of version {@code v}: answers once no connected client is pending (or after 10 s). */
  JsonObject acks(String ns, long v) {
    return call("GET", "/v1/namespaces/" + ns + "/versions/" + v + "/acks?wait=10s", null, 200);
  }

  private JsonObject call(String method, String path, JsonObject body, int expect) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
          .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20));
      b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
          : b.method(method, HttpRequest.BodyPublishers.ofString(body.encode())).header("Content-Type", "application/json");
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expect) {
        throw new AssertionError(method + " " + path + " -> " + r.statusCode() + " " + r.body());
      }
      return new JsonObject(r.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void await(long ms, BooleanSupplier condition, String what) {
    long deadline = System.currentTimeMillis() + ms;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      hub.close();
    } finally {
      db.close();
    }
  }
}
