package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The sync frame: a client compares its version and content digest with the hub's and is repaired. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("Reconciliation with sync frames over a real WebSocket")
class SyncFrameTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(SyncFrameTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static WsClient client(Vertx vertx, String id) {
    WsClient c = WsClient.connect(vertx, hub.port(), TestHub.TOKEN);
    c.hello(id);
    return c;
  }

  private static JsonObject sync(String ns, long version, String digest) {
    return new JsonObject().put("type", "sync").put("namespace", ns).put("version", version).put("digest", digest);
  }

  private static String digest(JsonObject entries) {
    return ContentDigest.of(entries.getMap());
  }

  @Test
  @DisplayName("a client at the head with the right content is in_sync, and nothing else is sent")
  void inSync(Vertx vertx) throws Exception {
    String ns = "sync.same";
    long v = api.write(ns, "a", 1, "b", new JsonObject().put("x", 1.0));
    try (WsClient c = client(vertx, "sync-same")) {
      c.subscribe(ns, 0);
      String d = digest(c.state.get(ns));
      c.send(sync(ns, v, d));
      assertEquals(new JsonObject().put("type", "in_sync").put("namespace", ns).put("version", v).put("digest", d),
          c.next("in_sync"));
      for (int i = 0; i < 20; i++) {
        c.send(sync(ns, v, d)); // many clients, or one repeating itself: the head's digest is computed once
        c.next("in_sync");
      }
      assertNull(c.poll(200));
    }
  }

  @Test
  @DisplayName("a client whose last deltas were lost is told it is behind and gets the deltas from its version")
  void behind(Vertx vertx) {
    String ns = "sync.behind";
    long v1 = api.write(ns, "a", 1);
    try (WsClient c = client(vertx, "sync-behind")) {
      c.subscribe(ns, 0);
      JsonObject atV1 = c.state.get(ns).copy();
      api.write(ns, "a", 2);
      long v3 = api.write(ns, "b", 3);
      c.next("delta"); // lost on the way, as far as the client knows
      c.next("delta");
      c.send(sync(ns, v1, digest(atV1)));
      assertEquals(new JsonObject().put("type", "out_of_sync").put("namespace", ns).put("version", v1)
          .put("reason", "behind"), c.next("out_of_sync"));
      c.versions.put(ns, v1);
      c.state.put(ns, atV1);
      c.applyUntil(ns, v3); // every delta chains from the client's version
      assertEquals(new JsonObject().put("a", 2).put("b", 3), c.state.get(ns));
    }
  }

  @Test
  @DisplayName("content that differs from the hub's at the same version is replaced by a snapshot of the head")
  void digestMismatch(Vertx vertx) {
    String ns = "sync.drift";
    long v = api.write(ns, "a", 1);
    try (WsClient c = client(vertx, "sync-drift")) {
      c.subscribe(ns, 0);
      c.send(sync(ns, v, digest(new JsonObject().put("a", "1"))));
      assertEquals("digest_mismatch", c.next("out_of_sync").getString("reason"));
      JsonObject snapshot = c.next("snapshot");
      assertEquals(v, snapshot.getLong("version"));
      assertEquals(new JsonObject().put("a", 1), snapshot.getJsonObject("entries"));
      c.send(sync(ns, 99, digest(new JsonObject())));
      assertEquals("unknown_version", c.next("out_of_sync").getString("reason"));
      assertEquals(v, c.next("snapshot").getLong("version"));
      long v2 = api.write(ns, "a", 2);
      assertEquals(v2, c.next("delta").getLong("version"), "the subscription goes on live after a repair");
    }
  }

  @Test
  @DisplayName("a namespace without revisions is in sync at version 0 with the digest of {}")
  void emptyNamespace(Vertx vertx) {
    String ns = "sync.empty";
    try (WsClient c = client(vertx, "sync-empty")) {
      c.subscribe(ns, 0);
      c.send(sync(ns, 0, digest(new JsonObject())));
      c.next("in_sync");
    }
  }

  @Test
  @DisplayName("bad sync frames draw errors and change nothing")
  void errors(Vertx vertx) {
    String ns = "sync.errors";
    String d = digest(new JsonObject());
    try (WsClient c = WsClient.connect(vertx, hub.port(), TestHub.TOKEN)) {
      c.send(sync(ns, 0, d));
      c.error("hello_required");
      c.hello("sync-errors");
      c.send(sync(ns, 0, d));
      c.error("not_subscribed");
      c.subscribe(ns, 0);
      c.send(sync(ns, -1, d));
      c.error("invalid_version");
      c.send(sync(ns, 0, "sha256:ABC"));
      c.error("invalid_digest");
      c.send(sync(ns, 0, d).put("version", "0"));
      c.error("invalid_version");
      c.send(sync("Bad", 0, d));
      c.error("invalid_namespace");
      c.send(sync(ns, 0, d));
      c.next("in_sync");
    }
  }
}
