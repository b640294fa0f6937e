package io.herald.load;

import io.herald.hub.ClusterCerts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One subscriber, writes at a fixed rate. For each version it records: write request sent to delta
 * received (end to end, includes the commit), the revision's insert time in the database to delta
 * received (the push path), and write request to HTTP 201 (the commit path).
 */
final class LatencyScenario {

  private final Map<String, String> opts;
  /** The run's histograms, for the plot next to the report. */
  private final Map<String, Histogram> plots = new java.util.LinkedHashMap<>();

  LatencyScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  /** One measured configuration: a hub jar, with or without event-bus TLS. */
  private record Variant(String label, Path jar, boolean tls) {
  }

  void run() throws Exception {
    int writes = Integer.parseInt(opts.getOrDefault("writes", "2000"));
    int rate = Integer.parseInt(opts.getOrDefault("rate", "100"));
    int warmup = Integer.parseInt(opts.getOrDefault("warmup", "200"));
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    int clusterSize = Integer.parseInt(opts.getOrDefault("cluster", "0"));
    String url = opts.get("url");
    Path jar = Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar"));
    String tls = opts.getOrDefault("tls", "false");
    if (!List.of("false", "true", "compare").contains(tls) || (!tls.equals("false") && (clusterSize < 2 || url != null))) {
      throw new IllegalArgumentException("--tls is false, true or compare, and needs --cluster N (N >= 2) without --url");
    }
    List<Variant> variants = new ArrayList<>();
    if (opts.containsKey("baseline-hub")) {
      variants.add(new Variant("baseline", Path.of(opts.get("baseline-hub")), false));
    }
    if (!tls.equals("true")) {
      variants.add(new Variant(tls.equals("compare") ? "plain" : "hub", jar, false));
    }
    if (!tls.equals("false")) {
      variants.add(new Variant("tls", jar, true));
    }
    JsonObject report = new JsonObject()
        .put("scenario", "latency")
        .put("date", Instant.now().toString())
        .put("machine", Report.machine())
        .put("command", "java -jar load-tests/target/herald-load.jar latency " + String.join(" ", opts.entrySet().stream()
            .filter(e -> !e.getKey().equals("token")).map(e -> "--" + e.getKey() + " " + e.getValue()).toList()))
        .put("writes", writes).put("rate_per_s", rate).put("warmup", warmup);
    Vertx vertx = Vertx.vertx();
    try {
      if (url != null) {
        String subscriberUrl = opts.getOrDefault("subscriber-url", url);
        String token = opts.getOrDefault("token", System.getenv("HERALD_ADMIN_TOKEN"));
        report.put("hub", url).put("topology", topology(url, subscriberUrl))
            .mergeIn(measure(vertx, URI.create(url), URI.create(subscriberUrl), token, writes, rate, warmup, ""));
      } else {
        // Every variant's hubs run for the whole scenario, and rounds alternate between them: a
        // machine busy with other work then weighs on all of them alike, and after the first round
        // every variant's JIT is warm.
        int rounds = Integer.parseInt(opts.getOrDefault("repeat", "1"));
        Map<String, List<JsonObject>> runs = new java.util.LinkedHashMap<>();
        List<Spawned> running = new ArrayList<>();
        try {
          for (Variant v : variants) {
            running.add(spawn(v, dbServer, clusterSize));
          }
          for (int round = 1; round <= rounds; round++) {
            for (Spawned s : running) {
              runs.computeIfAbsent(s.variant.label, k -> new ArrayList<>())
                  .add(measure(vertx, s, writes, rate, warmup, variants.size() > 1));
            }
          }
        } finally {
          for (Spawned s : running) {
            s.close();
          }
        }
        JsonObject byVariant = new JsonObject();
        runs.forEach((label, results) -> byVariant.put(label, results.size() == 1 ? results.get(0) : medians(results)));
        if (variants.size() == 1) {
          report.mergeIn(byVariant.getJsonObject(variants.get(0).label));
        } else {
          report.put("variants", byVariant);
          if (byVariant.containsKey("plain") && byVariant.containsKey("tls")) {
            report.put("tls_to_plain", ratios(byVariant.getJsonObject("tls"), byVariant.getJsonObject("plain")));
          }
          for (Variant v : variants) {
            if (byVariant.containsKey("baseline") && !v.label.equals("baseline")) {
              report.put(v.label + "_to_baseline", ratios(byVariant.getJsonObject(v.label), byVariant.getJsonObject("baseline")));
            }
          }
        }
      }
      Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "latency", report);
      Path svg = Report.plot(file, "latency" + (variants.size() == 1 && report.containsKey("topology")
          ? ", " + report.getString("topology") : ""), plots);
      print(report);
      System.out.println("report: " + file + " (plot: " + svg.getFileName() + ")");
    } finally {
      vertx.close().await();
    }
  }

  /** The hubs of one variant: a fresh database, fresh certificates when it speaks TLS. */
  private record Spawned(Variant variant, List<HubProcess> hubs, ClusterCerts certs) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      for (HubProcess h : hubs) {
        h.close();
      }
      if (certs != null) {
        certs.delete();
      }
    }
  }

  private static Spawned spawn(Variant v, String dbServer, int clusterSize) throws Exception {
    ClusterCerts certs = v.tls ? ClusterCerts.create(nodeIds(clusterSize)) : null;
    List<HubProcess> hubs = clusterSize > 1 ? HubProcess.startCluster(v.jar, dbServer, clusterSize, certs)
        : List.of(HubProcess.start(v.jar, dbServer, Map.of()));
    return new Spawned(v, hubs, certs);
  }

  /** One measurement on a variant's hubs: writes on the first, the subscriber on the second (if any). */
  private JsonObject measure(Vertx vertx, Spawned s, int writes, int rate, int warmup, boolean labelPlots)
      throws Exception {
    String writeUrl = s.hubs.get(0).url;
    String subscriberUrl = s.hubs.get(Math.min(1, s.hubs.size() - 1)).url;
    return measure(vertx, URI.create(writeUrl), URI.create(subscriberUrl), s.hubs.get(0).token, writes, rate, warmup,
        labelPlots ? s.variant.label + ": " : "")
        .put("hub", s.hubs.size() + " hub process(es) spawned from " + s.variant.jar + ", fresh database"
            + (s.variant.tls ? ", event bus over mutual TLS" : ""))
        .put("topology", topology(writeUrl, subscriberUrl));
  }

  /** Several runs of one variant: each percentile's median over the runs, and the runs themselves. */
  private static JsonObject medians(List<JsonObject> runs) {
    JsonObject out = runs.get(0).copy().put("rounds", new io.vertx.core.json.JsonArray(runs));
    for (String k : MEASURES) {
      JsonObject m = new JsonObject();
      for (String p : runs.get(0).getJsonObject(k).fieldNames()) {
        double[] values = runs.stream().mapToDouble(r -> r.getJsonObject(k).getDouble(p)).sorted().toArray();
        int n = values.length;
        m.put(p, n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
      }
      out.put(k, m);
    }
    return out.put("summary", "median over " + runs.size() + " rounds of each percentile");
  }

  private static List<String> nodeIds(int size) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      ids.add("bench-node-" + i);
    }
    return ids;
  }

  private static String topology(String writeUrl, String subscriberUrl) {
    return writeUrl.equals(subscriberUrl) ? "writer and subscriber on the same node" : "writes on one node, subscriber on another";
  }

  /** {@code a} / {@code b} for p50 and p99 of each measure. */
  private static JsonObject ratios(JsonObject a, JsonObject b) {
    JsonObject out = new JsonObject();
    for (String k : MEASURES) {
      for (String p : new String[] {"p50_ms", "p99_ms"}) {
        double denominator = b.getJsonObject(k).getDouble(p);
        out.put(k + "_" + p.replace("_ms", ""), denominator > 0
            ? Math.round(a.getJsonObject(k).getDouble(p) / denominator * 100) / 100.0 : null);
      }
    }
    return out;
  }

  private static final String[] MEASURES = {"write_to_delta", "insert_to_delta", "write_to_201"};

  private JsonObject measure(Vertx vertx, URI url, URI subscriberUrl, String token, int writes, int rate,
                             int warmup, String plotPrefix) throws Exception {
    String ns = "bench.latency." + Long.toString(System.nanoTime(), 36);
    Histogram endToEnd = new Histogram(60_000_000L, 3);
    Histogram push = new Histogram(60_000_000L, 3);
    Histogram commit = new Histogram(60_000_000L, 3);
    Map<Long, Long> sentAtNanos = new ConcurrentHashMap<>();
    Map<Long, Instant> createdAt = new ConcurrentHashMap<>();
    Map<Long, Long> receivedAtNanos = new ConcurrentHashMap<>();
    Map<Long, Instant> receivedAt = new ConcurrentHashMap<>();
    Promise<Void> allReceived = Promise.promise();
    GeneratorLoad load = GeneratorLoad.watch(vertx);

    WebSocketClient wsClient = vertx.createWebSocketClient();
    WebSocket ws = wsClient.connect(new WebSocketConnectOptions().setHost(subscriberUrl.getHost())
        .setPort(subscriberUrl.getPort())
        .setURI("/v1/ws").putHeader("Authorization", "Bearer " + token)).await();
    Promise<Void> subscribed = Promise.promise();
    ws.textMessageHandler(text -> {
      long now = System.nanoTime();
      Instant wall = Instant.now();
      JsonObject f = new JsonObject(text);
      switch (f.getString("type")) {
        case "snapshot" -> subscribed.tryComplete();
        case "delta" -> {
          long v = f.getLong("version");
          receivedAtNanos.put(v, now);
          receivedAt.put(v, wall);
          ws.writeTextMessage(new JsonObject().put("type", "ack").put("namespace", ns).put("version", v)
              .put("status", "applied").encode());
          if (v >= writes) {
            allReceived.tryComplete();
          }
        }
        default -> { }
      }
    });
    ws.writeTextMessage(new JsonObject().put("type", "hello").put("client_id", "latency-bench").encode());
    ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("namespace", ns).encode());
    subscribed.future().await(10, TimeUnit.SECONDS);

    // Writes are sent at a fixed rate whatever their answers take: with Vert.x's default of 5
    // connections, a slow moment would queue them in this client instead of at the hub.
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    long intervalNanos = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (int i = 1; i <= writes; i++) {
      long due = start + (i - 1) * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      long sent = System.nanoTime();
      Future<JsonObject> response = HubHttp.put(http, token, ns, "counter", i);
      response.onSuccess(r -> {
        long v = r.getLong("version");
        sentAtNanos.put(v, sent);
        createdAt.put(v, Instant.parse(r.getString("created_at")));
        if (v > warmup) {
          commit.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
        }
      });
    }
    allReceived.future().await(60, TimeUnit.SECONDS);
    Thread.sleep(200); // let the last HTTP responses land
    JsonObject generator = load.phase();
    load.close();
    System.out.println(GeneratorLoad.describe(generator));
    for (long v = warmup + 1; v <= writes; v++) {
      Long s = sentAtNanos.get(v);
      Long r = receivedAtNanos.get(v);
      if (s != null && r != null) {
        endToEnd.recordValue(Math.max(0, (r - s) / 1000));
        long pushMicros = java.time.Duration.between(createdAt.get(v), receivedAt.get(v)).toNanos() / 1000;
        push.recordValue(Math.max(0, pushMicros));
      }
    }
    ws.close().await();
    http.close().await();
    wsClient.close().await();
    plots.put(plotPrefix + "write sent -> delta", endToEnd);
    plots.put(plotPrefix + "inserted -> delta", push);
    if (plotPrefix.isEmpty()) {
      plots.put("write sent -> 201", commit); // with several variants, four series are what a plot can tell apart
    }
    return new JsonObject()
        .put("write_to_delta", Report.percentiles(endToEnd))
        .put("insert_to_delta", Report.percentiles(push))
        .put("write_to_201", Report.percentiles(commit))
        .put("generator", generator);
  }

  private static void print(JsonObject r) {
    System.out.printf("%nlatency: %d writes at %d/s (first %d not counted), one subscriber%n",
        r.getInteger("writes"), r.getInteger("rate_per_s"), r.getInteger("warmup"));
    JsonObject variants = r.getJsonObject("variants", new JsonObject().put("", r));
    for (String name : variants.fieldNames()) {
      JsonObject v = variants.getJsonObject(name);
      System.out.printf("%s%s%n", name.isEmpty() ? "" : name + ": ", v.getString("topology"));
      System.out.printf("  %-40s %8s %8s %8s %8s %8s%n", "measure", "p50 ms", "p90 ms", "p99 ms", "max ms", "count");
      for (String k : MEASURES) {
        JsonObject p = v.getJsonObject(k);
        String label = switch (k) {
          case "write_to_delta" -> "write sent -> delta received";
          case "insert_to_delta" -> "revision inserted (db clock) -> delta";
          default -> "write sent -> 201 received";
        };
        System.out.printf("  %-40s %8.2f %8.2f %8.2f %8.2f %8d%n", label, p.getDouble("p50_ms"), p.getDouble("p90_ms"),
            p.getDouble("p99_ms"), p.getDouble("max_ms"), p.getLong("count"));
      }
    }
    for (String k : r.fieldNames()) {
      if (k.endsWith("_to_plain") || k.endsWith("_to_baseline")) {
        System.out.println(k + ": " + r.getJsonObject(k).encode());
      }
    }
  }
}
