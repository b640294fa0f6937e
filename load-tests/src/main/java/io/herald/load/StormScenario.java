package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * N clients on one hub; the hub is killed (-9) and started again on the same port while writes
 * go on before and after. Every client reconnects at once (within a second of jitter) and
 * resumes with since. Measures the time from the new hub accepting connections until every client
 * has resumed and reached the head, and checks that no client lost or skipped a version: each
 * applies a delta only on its own version, as a real client does.
 */
final class StormScenario {

  private final Map<String, String> opts;

  StormScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  void run() throws Exception {
    int clients = Integer.parseInt(opts.getOrDefault("clients", "10000"));
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    Path jar = Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar"));
    HubProcess hub = HubProcess.start(jar, dbServer, Map.of("HERALD_NODE_ID", "bench-storm"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    String ns = "bench.storm";
    AtomicLongArray version = new AtomicLongArray(clients);
    AtomicInteger violations = new AtomicInteger();
    Connector connector = null;
    try {
      URI url = URI.create(hub.url);
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
          .setDefaultPort(url.getPort()));
      write(http, hub.token, ns, 0).await(30, TimeUnit.SECONDS);
      WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients + 10)
          .setConnectTimeout(30_000));
      for (int i = 0; i < clients; i++) {
        version.set(i, -1);
      }
      connector = new Connector(vertx, wsClient, url, hub.token, ns, version, violations);
      for (int start = 0; start < clients; start += 200) {
        Future<?>[] batch = new Future<?>[Math.min(200, clients - start)];
        for (int i = start; i < start + batch.length; i++) {
          batch[i - start] = connector.connect(i, 0);
        }
        Future.all(java.util.List.of(batch)).await(120, TimeUnit.SECONDS);
      }
      long headBefore = 0;
      for (int w = 1; w <= 5; w++) {
        headBefore = write(http, hub.token, ns, w).await(30, TimeUnit.SECONDS);
      }
      awaitAll(version, headBefore, 60);

      connector.reconnecting = true;
      hub.crash();
      long killedAt = System.nanoTime();
      hub = hub.restart(jar);
      long upAt = System.nanoTime();
      HttpClient http2 = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
          .setDefaultPort(url.getPort()));
      long head = 0;
      for (int w = 6; w <= 8; w++) {
        head = write(http2, hub.token, ns, w).await(30, TimeUnit.SECONDS);
      }
      boolean all = awaitAll(version, head, 120);
      long doneAt = System.nanoTime();
      int behind = 0;
      for (int i = 0; i < clients; i++) {
        if (version.get(i) != head) {
          behind++;
        }
      }
      JsonObject report = new JsonObject()
          .put("scenario", "storm")
          .put("date", Instant.now().toString())
          .put("machine", Report.machine())
          .put("command", "java -jar load-tests/target/herald-load.jar storm --clients " + clients)
          .put("clients", clients)
          .put("hub_restart_seconds", Math.round((upAt - killedAt) / 1e7) / 100.0)
          .put("all_resumed_seconds_after_hub_up", all ? Math.round((doneAt - upAt) / 1e7) / 100.0 : null)
          .put("head", head)
          .put("clients_not_at_head", behind)
          .put("versions_lost_or_out_of_order", violations.get())
          .put("reconnect_attempts", connector.attempts.get());
      Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "storm", report);
      System.out.println(report.encodePrettily());
      System.out.println("report: " + file);
    } finally {
      if (connector != null) {
        connector.reconnecting = false; // closing the generator is not a storm
      }
      vertx.close().await();
      hub.close();
    }
  }

  private static boolean awaitAll(AtomicLongArray version, long head, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (int i = 0; i < version.length() && all; i++) {
        all = version.get(i) == head;
      }
      if (all) {
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }

  /** Clients that reconnect on close, within a random second, and resume from their version. */
  private static final class Connector {
    final Vertx vertx;
    final WebSocketClient ws;
    final URI url;
    final String token;
    final String ns;
    final AtomicLongArray version;
    final AtomicInteger violations;
    final AtomicInteger attempts = new AtomicInteger();
    volatile boolean reconnecting;

    Connector(Vertx vertx, WebSocketClient ws, URI url, String token, String ns, AtomicLongArray version,
              AtomicInteger violations) {
      this.vertx = vertx;
      this.ws = ws;
      this.url = url;
      this.token = token;
      this.ns = ns;
      this.version = version;
      this.violations = violations;
    }

    Future<WebSocket> connect(int id, int attempt) {
      attempts.incrementAndGet();
      return ws.connect(new WebSocketConnectOptions().setHost(url.getHost()).setPort(url.getPort()).setURI("/v1/ws")
              .putHeader("Authorization", "Bearer " + token))
          .onSuccess(socket -> {
            socket.textMessageHandler(text -> onFrame(id, text));
            socket.closeHandler(v -> retry(id, 0));
            socket.writeTextMessage("{\"type\":\"hello\",\"client_id\":\"storm-" + id + "\"}");
            long have = version.get(id);
            socket.writeTextMessage("{\"type\":\"subscribe\",\"namespace\":\"" + ns + "\""
                + (have > 0 ? ",\"since\":" + have : "") + "}");
          })
          .onFailure(e -> retry(id, attempt + 1));
    }

    private void retry(int id, int attempt) {
      if (!reconnecting) {
        return;
      }
      // Everyone at once, spread over a second; later attempts back off up to 2 s.
      long delay = 1 + ThreadLocalRandom.current().nextLong(Math.min(2_000, 1_000L << Math.min(attempt, 1)));
      vertx.setTimer(delay, t -> connect(id, attempt));
    }

    private void onFrame(int id, String text) {
      JsonObject f = new JsonObject(text);
      String type = f.getString("type");
      if ("snapshot".equals(type)) {
        version.set(id, f.getLong("version"));
      } else if ("delta".equals(type)) {
        long base = f.getLong("base");
        long v = f.getLong("version");
        if (base == version.get(id)) {
          version.set(id, v);
        } else if (v > version.get(id)) {
          violations.incrementAndGet(); // a delta that does not start where the client is
        }
      }
    }
  }

  private static Future<Long> write(HttpClient http, String token, String ns, int value) {
    return HubHttp.put(http, token, ns, "k", value).map(r -> r.getLong("version"));
  }
}
