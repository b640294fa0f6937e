package io.herald.load;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.util.Base64;

/**
 * One generator process of a multi-process fan-out (one process holds at most ~19,500 sockets here).
 * Connects clients [from, to) round-robin over the hubs from one local source address, prints
 * {@code READY}, records when each client receives each version (System.nanoTime is
 * CLOCK_MONOTONIC, comparable across processes on one machine), and when the coordinator sends
 * {@code SENT t1,t2,...} on stdin answers one JSON line of per-write first/last/count and an
 * HdrHistogram of every delivery.
 */
public final class FanoutWorker {

  private FanoutWorker() {
  }

  public static void main(String[] args) throws Exception {
    var o = LoadMain.parse(args);
    String[] urls = o.get("urls").split(",");
    String token = o.get("token");
    String ns = o.get("ns");
    int from = Integer.parseInt(o.get("from"));
    int to = Integer.parseInt(o.get("to"));
    int writes = Integer.parseInt(o.get("writes"));
    long v0 = Long.parseLong(o.get("v0"));
    int clients = to - from;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients + 10)
        .setConnectTimeout(120_000).setLocalAddress(o.getOrDefault("local-address", "127.0.0.1")));
    FanoutClients fans = new FanoutClients(clients, writes, v0);
    fans.connect(ws, java.util.Arrays.stream(urls).map(URI::create).toList(), token, ns, from, true);
    System.out.println("READY");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String line;
    while ((line = in.readLine()) != null && !line.startsWith("SENT ")) {
      // wait for the coordinator
    }
    if (line == null) {
      vertx.close().await();
      return;
    }
    String[] sent = line.substring(5).split(",");
    JsonArray first = new JsonArray();
    JsonArray last = new JsonArray();
    JsonArray count = new JsonArray();
    Histogram all = new Histogram(600_000_000L, 3);
    for (int w = 1; w <= writes; w++) {
      Receipts.Deliveries d = fans.receipts().deliveries(w, Long.parseLong(sent[w - 1]), all);
      first.add(d.count() == 0 ? null : d.first());
      last.add(d.count() == 0 ? null : d.last());
      count.add(d.count());
    }
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(all.getNeededByteBufferCapacity());
    int len = all.encodeIntoCompressedByteBuffer(buf);
    byte[] bytes = new byte[len];
    buf.flip();
    buf.get(bytes);
    System.out.println(new JsonObject().put("first", first).put("last", last).put("count", count)
        .put("histogram", Base64.getEncoder().encodeToString(bytes)).encode());
    System.out.flush();
    vertx.close().await();
  }
}
