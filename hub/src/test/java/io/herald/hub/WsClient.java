package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A blocking test client over a real WebSocket: frames land in a queue the test reads with a
 * deadline. It also keeps a client-side copy of each namespace the way a real client would
 * (snapshot replaces, delta applies only on its base).
 */
final class WsClient implements AutoCloseable {

  static final long WAIT_MS = 10_000;

  final WebSocketClient client;
  final WebSocket ws;
  final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  final CompletableFuture<Short> closed = new CompletableFuture<>();
  final Map<String, Long> versions = new HashMap<>();
  final Map<String, JsonObject> state = new HashMap<>();

  private WsClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
  }

  static WsClient connect(Vertx vertx, int port, String token) {
    return connect(vertx, port, "/v1/ws", token, new WebSocketClientOptions());
  }

  static WsClient connect(Vertx vertx, int port, String uri, String token, WebSocketClientOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(options.setMaxMessageSize(64 * 1024 * 1024)
        .setMaxFrameSize(64 * 1024 * 1024));
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    if (token != null) {
      connect.putHeader("Authorization", "Bearer " + token);
    }
    try {
      return new WsClient(client, client.connect(connect).await());
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  void send(JsonObject frame) {
    ws.writeTextMessage(frame.encode()).await();
  }

  void sendRaw(String text) {
    ws.writeTextMessage(text).await();
  }

  JsonObject next() {
    try {
      JsonObject f = frames.poll(WAIT_MS, TimeUnit.MILLISECONDS);
      if (f == null) {
        throw new AssertionError("no frame within " + WAIT_MS + " ms");
      }
      return f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  JsonObject next(String type) {
    JsonObject f = next();
    assertEquals(type, f.getString("type"), f.encode());
    return f;
  }

  /** The next frame, or null if none comes within {@code ms}. */
  JsonObject poll(long ms) throws InterruptedException {
    return frames.poll(ms, TimeUnit.MILLISECONDS);
  }

  JsonObject error(String code) {
    JsonObject f = next("error");
    assertEquals(code, f.getString("code"), f.encode());
    return f;
  }

  void hello(String clientId) {
    hello(clientId, new JsonObject());
  }

  void hello(String clientId, JsonObject labels) {
    send(new JsonObject().put("type", "hello").put("client_id", clientId).put("labels", labels));
    next("welcome");
  }

  /** Subscribes and applies the answer (snapshot or delta); returns it. */
  JsonObject subscribe(String ns, long since) {
    JsonObject f = new JsonObject().put("type", "subscribe").put("namespace", ns);
    if (since > 0) {
      f.put("since", since);
    }
    send(f);
    return apply(next());
  }

  /** Applies a snapshot or delta frame like a client would, insisting that deltas chain. */
  JsonObject apply(JsonObject f) {
    String ns = f.getString("namespace");
    switch (f.getString("type")) {
      case "snapshot" -> {
        state.put(ns, f.getJsonObject("entries").copy());
        versions.put(ns, f.getLong("version"));
      }
      case "delta" -> {
        Long have = versions.get(ns);
        assertEquals(have, f.getLong("base"), "delta must start where the client is: " + f.encode());
        JsonObject entries = state.computeIfAbsent(ns, k -> new JsonObject());
        for (Object o : f.getJsonArray("changes")) {
          JsonObject c = (JsonObject) o;
          if ("put".equals(c.getString("op"))) {
            entries.put(c.getString("key"), c.getValue("value"));
          } else {
            entries.remove(c.getString("key"));
          }
        }
        versions.put(ns, f.getLong("version"));
      }
      default -> throw new AssertionError("expected snapshot or delta, got " + f.encode());
    }
    return f;
  }

  /** Reads and applies frames until the namespace reaches {@code version}. */
  void applyUntil(String ns, long version) {
    while (versions.getOrDefault(ns, -1L) < version) {
      apply(next());
    }
  }

  void ack(String ns, long version) {
    send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", version).put("status", "applied"));
  }

  void reject(String ns, long version, String error) {
    send(new JsonObject().put("type", "ack").put("namespace", ns).put("version", version).put("status", "rejected")
        .put("error", error));
  }

  short awaitClose() {
    try {
      return closed.get(WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("connection was not closed", e);
    }
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      ws.close().await();
    }
    client.close().await();
  }
}
