package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("Per-token limits: write rate, WebSocket connections, subscriptions")
class LimitsTest {

  private static TestHub hub;
  private static Api admin;
  /** How far the test moved the hub's write-rate clock ahead of the real one. */
  private static final AtomicLong skippedNanos = new AtomicLong();

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(LimitsTest.class, Map.of("HERALD_WRITE_RATE_PER_TOKEN", "5",
        "HERALD_MAX_CONNECTIONS_PER_TOKEN", "2", "HERALD_MAX_SUBSCRIPTIONS", "2"),
        () -> System.nanoTime() + skippedNanos.get());
    admin = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    admin.close();
    hub.close();
  }

  private static String token(String name, String role) {
    return admin.post("/v1/tokens", new JsonObject().put("name", name).put("role", role)
        .put("namespaces", new JsonArray().add("limited.*"))).bodyAsJsonObject().getString("token");
  }

  @Test
  @DisplayName("a token over its write rate gets 429 with Retry-After, and can write again after it")
  void writeRate(Vertx vertx) {
    Api writer = new Api(vertx, hub.port(), token("fast-writer", "writer"));
    try {
      int accepted = 0;
      HttpResponse<Buffer> limited = null;
      for (int i = 0; i < 20 && limited == null; i++) {
        HttpResponse<Buffer> r = writer.post("/v1/namespaces/limited.rate/revisions", new JsonObject()
            .put("changes", new JsonArray().add(new JsonObject().put("key", "k").put("op", "put").put("value", i))));
        if (r.statusCode() == 429) {
          limited = r;
        } else {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          accepted++;
        }
      }
      assertTrue(limited != null && accepted >= 5 && accepted < 20, "accepted " + accepted + " before 429");
      HttpApiTest.assertError(limited, 429, "rate_limited");
      long retryAfter = Long.parseLong(limited.getHeader("Retry-After"));
      assertTrue(retryAfter >= 1 && retryAfter <= 5, "Retry-After " + retryAfter);
      assertEquals(accepted, admin.json("/v1/namespaces/limited.rate").getLong("version"), "refused writes wrote nothing");
      for (int i = 0; i < 10; i++) {
        admin.write("limited.admin", "k", i); // the bootstrap admin token is exempt
      }
      skippedNanos.addAndGet(TimeUnit.SECONDS.toNanos(retryAfter)); // the Retry-After the hub asked for passes
      assertEquals(201, writer.post("/v1/namespaces/limited.rate/revisions", new JsonObject()
          .put("changes", new JsonArray().add(new JsonObject().put("key", "k").put("op", "put").put("value", -1))))
          .statusCode());
    } finally {
      writer.close();
    }
  }

  @Test
  @DisplayName("a token holds at most the configured WebSockets; a connection also holds at most N subscriptions")
  void connectionsAndSubscriptions(Vertx vertx) {
    String client = token("busy-client", "client");
    WsClient first = WsClient.connect(vertx, hub.port(), client);
    WsClient second = WsClient.connect(vertx, hub.port(), client);
    assertThrows(RuntimeException.class, () -> WsClient.connect(vertx, hub.port(), client).close(),
        "a third connection of the same token is refused");
    first.close();
    long deadline = System.currentTimeMillis() + 5_000;
    WsClient third = null;
    while (third == null) {
      try {
        third = WsClient.connect(vertx, hub.port(), client);
      } catch (RuntimeException stillCounted) {
        if (System.currentTimeMillis() > deadline) {
          throw stillCounted;
        }
      }
    }
    third.hello("subscriber");
    third.subscribe("limited.one", 0);
    third.subscribe("limited.two", 0);
    third.send(new JsonObject().put("type", "subscribe").put("namespace", "limited.three"));
    third.error("too_many_subscriptions");
    third.close();
    second.close();
  }
}
