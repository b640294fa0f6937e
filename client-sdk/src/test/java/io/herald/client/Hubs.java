package io.herald.client;

import io.herald.db.TestDatabase;
import io.herald.hub.HeraldHub;
import io.herald.hub.HubNode;
import io.herald.hub.TestHub;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Real hubs on a real database for SDK tests, and a plain HTTP client to write and inspect. */
final class Hubs {

  static final String TOKEN = "sdk-test-token";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Hubs() {
  }

  /** A hub in this JVM on {@code port} (pick one with {@link HubNode#freePort()}). */
  static HeraldHub start(TestDatabase db, int port) {
    return TestHub.startOn(db, Map.of(
        "HERALD_HTTP_PORT", Integer.toString(port),
        "HERALD_ADMIN_TOKEN", TOKEN,
        "HERALD_DB_POOL_SIZE", "4",
        "HERALD_NODE_ID", "sdk-hub-" + UUID.randomUUID().toString().substring(0, 6)));
  }

  static String url(int port) {
    return "http://127.0.0.1:" + port;
  }

  static long write(int port, String ns, Object... keyValues) {
    JsonArray changes = new JsonArray();
    for (int i = 0; i < keyValues.length; i += 2) {
      changes.add(new JsonObject().put("key", keyValues[i]).put("op", "put").put("value", keyValues[i + 1]));
    }
    JsonObject r = call(port, "POST", "/v1/namespaces/" + ns + "/revisions", new JsonObject().put("changes", changes), 201);
    return r.getLong("version");
  }

  static JsonObject get(int port, String path) {
    return call(port, "GET", path, null, 200);
  }

  private static JsonObject call(int port, String method, String path, JsonObject body, int expect) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(port) + path))
          .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10));
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
        Thread.sleep(20); // polling a condition with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
