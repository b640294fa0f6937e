package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The fan-out's clients in one generator process: connects them (200 handshakes in flight,
 * round-robin over the hubs), records when each receives each write's version (System.nanoTime),
 * acks every delta, and summarises a write's deliveries. Frames are parsed no further than their
 * type and version: the generator shares the CPU with the hubs.
 */
final class FanoutClients {

  /** First and last receipt of one write (nanoTime) and how many clients received it. */
  record Deliveries(long first, long last, int count) {
  }

  private static final int IN_FLIGHT = 200;

  private final int clients;
  private final int writes;
  private final long v0;
  private final AtomicLongArray receivedAt;
  /** Per client, the newest version received past the counted writes, and when. */
  private final AtomicLongArray lateVersion;
  private final AtomicLongArray lateAt;
  private final List<WebSocket> sockets = new ArrayList<>();

  /** {@code v0}: the namespace's version before the first counted write. */
  FanoutClients(int clients, int writes, long v0) {
    this.clients = clients;
    this.writes = writes;
    this.v0 = v0;
    this.receivedAt = new AtomicLongArray(clients * (writes + 1));
    this.lateVersion = new AtomicLongArray(clients);
    this.lateAt = new AtomicLongArray(clients);
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
                  long v = version - v0;
                  if (v >= 1 && v <= writes) {
                    receivedAt.set((int) (id * (writes + 1) + v), now);
                  }
                  if (version > v0 + writes) {
                    // Later versions (the rollout variant): only the newest one's receipt per client.
                    lateVersion.set(id, version);
                    lateAt.set(id, now);
                  }
                  if (acks) {
                    socket.writeTextMessage("{\"type\":\"ack\",\"namespace\":\"" + ns + "\",\"version\":" + version
                        + ",\"status\":\"applied\"}");
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

  /** How many clients hold {@code version} (or newer) among the versions past the counted writes. */
  int receivedVersion(long version) {
    int n = 0;
    for (int c = 0; c < clients; c++) {
      if (lateVersion.get(c) >= version) {
        n++;
      }
    }
    return n;
  }

  /** When the last client received its newest late version (nanoTime). */
  long lastReceipt(long version) {
    long max = 0;
    for (int c = 0; c < clients; c++) {
      if (lateVersion.get(c) == version) {
        max = Math.max(max, lateAt.get(c));
      }
    }
    return max;
  }

  /** How many clients have received write {@code slot} (1-based) so far. */
  int received(int slot) {
    int n = 0;
    for (int c = 0; c < clients; c++) {
      if (receivedAt.get(c * (writes + 1) + slot) != 0) {
        n++;
      }
    }
    return n;
  }

  /** Write {@code slot}'s deliveries; records each one's latency from {@code sentNanos} into {@code all}. */
  Deliveries deliveries(int slot, long sentNanos, Histogram all) {
    long min = Long.MAX_VALUE;
    long max = 0;
    int n = 0;
    for (int c = 0; c < clients; c++) {
      long t = receivedAt.get(c * (writes + 1) + slot);
      if (t != 0) {
        min = Math.min(min, t);
        max = Math.max(max, t);
        n++;
        all.recordValue(Math.max(0, (t - sentNanos) / 1000));
      }
    }
    return new Deliveries(min, max, n);
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
