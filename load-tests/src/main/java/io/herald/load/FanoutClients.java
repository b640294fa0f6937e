package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fan-out's clients in one generator process: connects them (200 handshakes in flight,
 * round-robin over the hubs), records when each receives each write's version (System.nanoTime,
 * in {@link Receipts}) and acks every delta (after the frames read with it are timestamped).
 * Frames are parsed no further than their type and version: the generator shares the CPU with the
 * hubs.
 */
final class FanoutClients {

  private static final int IN_FLIGHT = 200;

  private final int clients;
  private final long v0;
  private final Receipts receipts;
  private final List<WebSocket> sockets = new ArrayList<>();

  /** {@code v0}: the namespace's version before the first counted write. */
  FanoutClients(int clients, int writes, long v0) {
    this.clients = clients;
    this.v0 = v0;
    this.receipts = new Receipts(clients, writes);
  }

  /** Blocking: connects every client (ids {@code fan-<firstId + i>}) and waits for each one's snapshot. */
  void connect(WebSocketClient ws, List<URI> urls, String token, String ns, int firstId, boolean acks)
      throws java.util.concurrent.TimeoutException {
    for (int start = 0; start < clients; start += IN_FLIGHT) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = start; i < Math.min(clients, start + IN_FLIGHT); i++) {
        int id = i;
        URI url = urls.get((firstId + i) % urls.size());
        Promise<Void> subscribed = Promise.promise();
        batch.add(ws.connect(new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort())
                .setURI("/v1/ws").putHeader("Authorization", "Bearer " + token))
            .compose(socket -> {
              synchronized (sockets) {
                sockets.add(socket);
              }
              socket.textMessageHandler(text -> {
                long now = System.nanoTime();
                if (text.startsWith("{\"type\":\"snapshot\"")) {
                  subscribed.tryComplete();
                } else if (text.startsWith("{\"type\":\"delta\"")) {
                  long version = versionOf(text);
                  receipts.record(id, version - v0, now);
                  if (acks) {
                    // Sent after the frames this event loop has read already are timestamped: one
                    // client's ack (a masked frame and a write syscall) must not count as the next
                    // client's delivery time, as it would not with clients in processes of their own.
                    String ack = "{\"type\":\"ack\",\"namespace\":\"" + ns + "\",\"version\":" + version
                        + ",\"status\":\"applied\"}";
                    io.vertx.core.Vertx.currentContext().runOnContext(v -> socket.writeTextMessage(ack));
                  }
                }
              });
              socket.writeTextMessage("{\"type\":\"hello\",\"client_id\":\"fan-" + (firstId + id) + "\"}");
              socket.writeTextMessage("{\"type\":\"subscribe\",\"namespace\":\"" + ns + "\"}");
              return subscribed.future();
            }));
      }
      Future.all(batch).await(300, TimeUnit.SECONDS);
    }
  }

  /** When each client received each write; slot {@code v} is version {@code v0 + v}. */
  Receipts receipts() {
    return receipts;
  }

  void closeAll() {
    synchronized (sockets) {
      sockets.forEach(WebSocket::close);
    }
  }

  static long versionOf(String frame) {
    int i = frame.indexOf("\"version\":") + 10;
    long v = 0;
    while (i < frame.length() && Character.isDigit(frame.charAt(i))) {
      v = v * 10 + (frame.charAt(i++) - '0');
    }
    return v;
  }
}
