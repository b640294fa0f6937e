package io.herald.load;

import io.herald.hub.HubNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * N clients subscribed to one namespace; W writes spaced apart. Per write: time from the write
 * request to the first and the last client receiving the delta, and until the hub's rollout API
 * says every client's ack is durable. Also the hub's heap and RSS per idle connection.
 */
final class FanoutScenario {

  private final Map<String, String> opts;
  /** Every delivery's latency per target, for the plot. */
  private final Map<String, Histogram> plots = new java.util.LinkedHashMap<>();

  FanoutScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  /** What the clients connect to: the hub, or the bare broadcast floor. */
  private interface Target extends AutoCloseable {
    String name();

    URI url();

    String token();

    long pid();

    /** Makes one new version reach the clients; completes with its number. */
    Future<Long> publish(HttpClient http, int value);

    /** Completes when every client's ack of {@code version} is durable, or with null when there are no acks. */
    Future<JsonObject> acks(HttpClient http, long version);
  }

  void run() throws Exception {
    int clients = Integer.parseInt(opts.getOrDefault("clients", "10000"));
    int writes = Integer.parseInt(opts.getOrDefault("writes", "20"));
    long spacingMs = Long.parseLong(opts.getOrDefault("spacing-ms", "1000"));
    boolean withFloor = !"false".equals(opts.getOrDefault("with-floor", "true"));
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    Path hubJar = Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar"));

    JsonObject report = new JsonObject()
        .put("scenario", "fanout")
        .put("date", Instant.now().toString())
        .put("machine", Report.machine())
        .put("command", "java -jar load-tests/target/herald-load.jar fanout --clients " + clients + " --writes " + writes
            + " --spacing-ms " + spacingMs + " --warmup-writes " + opts.getOrDefault("warmup-writes", "10")
            + (withFloor ? "" : " --with-floor false")
            + ("true".equals(opts.get("rollout")) ? " --rollout true --rollout-writes " + opts.getOrDefault("rollout-writes", "5") : ""))
        .put("clients", clients).put("writes", writes);
    int clusterSize = Integer.parseInt(opts.getOrDefault("cluster", "1"));
    int generators = Integer.parseInt(opts.getOrDefault("generators", "1"));
    if (clusterSize > 1 || generators > 1) {
      report.put("command", report.getString("command") + " --cluster " + clusterSize + " --generators " + generators);
      report.put("hub", distributed(hubJar, dbServer, clients, writes, spacingMs, clusterSize, generators));
      Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "fanout", report);
      Report.plot(file, "fan-out to " + clients + " clients, " + clusterSize + " hubs: every delivery", plots);
      System.out.println(report.encodePrettily());
      System.out.println("report: " + file);
      return;
    }
    if (withFloor) {
      try (Target floor = floor()) {
        report.put("floor", measure(floor, clients, writes, spacingMs));
      }
    }
    String url = opts.get("url");
    try (Target hub = url != null
        ? running(url, opts.getOrDefault("token", System.getenv("HERALD_ADMIN_TOKEN")))
        : hub(HubProcess.start(hubJar, dbServer, Map.of()))) {
      report.put("hub", measure(hub, clients, writes, spacingMs));
    }
    if (withFloor) {
      double ratio = report.getJsonObject("hub").getDouble("median_last_ms")
          / report.getJsonObject("floor").getDouble("median_last_ms");
      report.put("ratio_hub_to_floor_last_client", Math.round(ratio * 100) / 100.0);
    }
    Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "fanout", report);
    Report.plot(file, "fan-out to " + clients + " clients: every delivery, write sent -> received", plots);
    System.out.println(report.encodePrettily());
    System.out.println("report: " + file);
  }

  /**
   * Clients spread over several generator processes (each at most ~19,500 sockets, each from its
   * own source address 127.0.0.2, .3, ...) and over {@code clusterSize} clustered hubs; writes go
   * to the first hub. No floor here: the floor figure comes from the single-process run.
   */
  private JsonObject distributed(Path hubJar, String dbServer, int clients, int writes, long spacingMs,
                                 int clusterSize, int generators) throws Exception {
    List<HubProcess> hubs = clusterSize > 1 ? HubProcess.startCluster(hubJar, dbServer, clusterSize)
        : List.of(HubProcess.start(hubJar, dbServer, Map.of()));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    List<Process> workers = new ArrayList<>();
    try {
      Target writer = hub(hubs.get(0));
      URI url = writer.url();
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
          .setDefaultPort(url.getPort()));
      long v0 = writer.publish(http, 0).await(30, TimeUnit.SECONDS);
      long[][] before = new long[hubs.size()][];
      for (int h = 0; h < hubs.size(); h++) {
        before[h] = memory(hubs.get(h).pid());
      }
      String urls = String.join(",", hubs.stream().map(h -> h.url).toList());
      List<java.io.BufferedReader> outputs = new ArrayList<>();
      long connectStart = System.nanoTime();
      for (int g = 0; g < generators; g++) {
        int from = (int) ((long) g * clients / generators);
        int to = (int) ((long) (g + 1) * clients / generators);
        Process p = new ProcessBuilder("java", "-Xmx1500m", "-cp", System.getProperty("java.class.path"),
            FanoutWorker.class.getName(), "--urls", urls, "--token", writer.token(), "--ns", "bench.fanout",
            "--from", Integer.toString(from), "--to", Integer.toString(to), "--writes", Integer.toString(writes),
            "--v0", Long.toString(v0), "--local-address", "127.0.0." + (2 + g))
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        workers.add(p);
        outputs.add(new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())));
      }
      for (java.io.BufferedReader out : outputs) {
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) {
          // worker output before it is ready
        }
        if (line == null) {
          throw new IllegalStateException("a generator process died while connecting");
        }
      }
      double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
      JsonArray perHubMemory = new JsonArray();
      for (int h = 0; h < hubs.size(); h++) {
        long[] after = memory(hubs.get(h).pid());
        perHubMemory.add(new JsonObject().put("heap_bytes", after[0] - before[h][0]).put("rss_bytes", after[1] - before[h][1]));
      }
      long[] sent = new long[writes];
      double[] durable = new double[writes];
      Target last = hub(hubs.get(hubs.size() - 1));
      for (int w = 1; w <= writes; w++) {
        sent[w - 1] = System.nanoTime();
        long version = writer.publish(http, w).await(30, TimeUnit.SECONDS);
        JsonObject rollout = last.acks(http, version).await(60, TimeUnit.SECONDS);
        durable[w - 1] = rollout != null && rollout.getInteger("applied") == clients
            ? (System.nanoTime() - sent[w - 1]) / 1e6 : Double.NaN;
        System.out.printf("write %2d: all acks durable %.1f ms%n", w, durable[w - 1]);
        Thread.sleep(spacingMs);
      }
      StringBuilder sentLine = new StringBuilder("SENT ");
      for (int w = 0; w < writes; w++) {
        sentLine.append(w == 0 ? "" : ",").append(sent[w]);
      }
      long[] firstAt = new long[writes];
      long[] lastAt = new long[writes];
      long[] count = new long[writes];
      Arrays.fill(firstAt, Long.MAX_VALUE);
      Histogram all = new Histogram(600_000_000L, 3);
      for (int g = 0; g < generators; g++) {
        var in = new java.io.PrintStream(workers.get(g).getOutputStream(), true);
        in.println(sentLine);
        JsonObject r = new JsonObject(outputs.get(g).readLine());
        for (int w = 0; w < writes; w++) {
          Long f = r.getJsonArray("first").getLong(w);
          Long l = r.getJsonArray("last").getLong(w);
          if (f != null) {
            firstAt[w] = Math.min(firstAt[w], f);
            lastAt[w] = Math.max(lastAt[w], l);
          }
          count[w] += r.getJsonArray("count").getLong(w);
        }
        all.add(Histogram.decodeFromCompressedByteBuffer(
            java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(r.getString("histogram"))), 0));
      }
      double[] first = new double[writes];
      double[] lastMs = new double[writes];
      for (int w = 0; w < writes; w++) {
        first[w] = (firstAt[w] - sent[w]) / 1e6;
        lastMs[w] = count[w] == clients ? (lastAt[w] - sent[w]) / 1e6 : Double.NaN;
        System.out.printf("write %2d: first %.1f ms, last %.1f ms (%d/%d)%n", w + 1, first[w], lastMs[w], count[w], clients);
      }
      plots.put("hub x" + hubs.size(), all);
      return new JsonObject()
          .put("cluster_size", hubs.size())
          .put("generators", generators)
          .put("connect_seconds", connectSeconds)
          .put("median_first_ms", median(first))
          .put("median_last_ms", median(lastMs))
          .put("median_acks_durable_ms", median(durable))
          .put("deliveries", Report.percentiles(all))
          .put("memory_per_hub", perHubMemory)
          .put("heap_bytes_per_connection", perHubMemory.stream().mapToLong(o -> ((JsonObject) o).getLong("heap_bytes")).sum()
              / (double) clients);
    } finally {
      for (Process p : workers) {
        p.destroy();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      vertx.close().await();
      for (HubProcess h : hubs) {
        h.close();
      }
    }
  }

  /** A hub that runs already (--url, --token); its memory is not measured (its process is not ours). */
  private static Target running(String url, String token) {
    return new Target() {
      public String name() {
        return "hub";
      }

      public URI url() {
        return URI.create(url);
      }

      public String token() {
        return token;
      }

      public long pid() {
        return -1;
      }

      public Future<Long> publish(HttpClient http, int value) {
        return HubHttp.put(http, token, "bench.fanout", "k", value).map(r -> r.getLong("version"));
      }

      public Future<JsonObject> acks(HttpClient http, long version) {
        return HubHttp.acks(http, token, "bench.fanout", version);
      }

      public void close() {
      }
    };
  }

  private static Target hub(HubProcess p) {
    return new Target() {
      private long seen;

      public String name() {
        return "hub";
      }

      public URI url() {
        return URI.create(p.url);
      }

      public String token() {
        return p.token;
      }

      public long pid() {
        return p.pid();
      }

      public Future<Long> publish(HttpClient http, int value) {
        return HubHttp.put(http, p.token, "bench.fanout", "k", value).map(r -> r.getLong("version"));
      }

      public Future<JsonObject> acks(HttpClient http, long version) {
        return HubHttp.acks(http, p.token, "bench.fanout", version);
      }

      public void close() throws Exception {
        p.close();
      }
    };
  }

  private static Target floor() throws Exception {
    int port = HubNode.freePort();
    // This JVM's class path: the load-tests jar when run from it, the build's class path in tests.
    String classPath = System.getProperty("java.class.path");
    Process process = new ProcessBuilder("java", "-Xmx2g", "-cp", classPath, FloorServer.class.getName(), Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/ready")
            .toURL().openConnection();
        if (c.getResponseCode() == 200) {
          break;
        }
      } catch (java.io.IOException notYet) {
        if (System.currentTimeMillis() > deadline || !process.isAlive()) {
          throw new IllegalStateException("floor server did not start");
        }
        Thread.sleep(100);
      }
    }
    return new Target() {
      public String name() {
        return "floor";
      }

      public URI url() {
        return URI.create("http://127.0.0.1:" + port);
      }

      public String token() {
        return "none";
      }

      public long pid() {
        return process.pid();
      }

      public Future<Long> publish(HttpClient http, int value) {
        return http.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1")
                .setURI("/broadcast?version=" + value))
            .compose(req -> req.send()).compose(resp -> resp.body()).map(b -> (long) value);
      }

      public Future<JsonObject> acks(HttpClient http, long version) {
        return Future.succeededFuture(null);
      }

      public void close() throws Exception {
        process.destroy();
        process.waitFor();
      }
    };
  }


  private JsonObject measure(Target target, int clients, int writes, long spacingMs) throws Exception {
    boolean acks = !"false".equals(opts.getOrDefault("acks", "true"));
    // Writes to the connected clients before the counted ones, not counted: a fresh hub's JIT
    // compiles the push and ack paths over the first writes at a size (the floor gets them too).
    int warm = Integer.parseInt(opts.getOrDefault("warmup-writes", "10"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      URI url = target.url();
      String ns = "bench.fanout";
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
          .setDefaultPort(url.getPort()));
      long v0 = target.publish(http, 0).await(30, TimeUnit.SECONDS);
      long[] memBefore = memory(target.pid());

      FanoutClients fans = new FanoutClients(clients, warm + writes, v0);
      WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(clients + 10)
          .setConnectTimeout(60_000));
      long connectStart = System.nanoTime();
      GeneratorLoad load = GeneratorLoad.watch(vertx);
      fans.connect(wsClient, List.of(url), target.token(), ns, 0, acks);
      double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
      JsonObject generatorConnecting = load.phase();
      long[] memAfter = memory(target.pid());
      for (int w = 1; w <= warm; w++) {
        long version = publishAndAwait(target, http, w, fans, v0, clients);
        if (acks) {
          target.acks(http, version).await(40, TimeUnit.SECONDS);
        }
        Thread.sleep(spacingMs);
      }
      if (warm > 0) {
        System.out.println(target.name() + ": " + warm + " warm-up writes, not counted");
        load.phase();
      }

      double[] first = new double[writes];
      double[] last = new double[writes];
      double[] durable = new double[writes];
      Histogram all = new Histogram(60_000_000L, 3);
      for (int w = 1; w <= writes; w++) {
        long sent = System.nanoTime();
        long version = publishAndAwait(target, http, warm + w, fans, v0, clients);
        int slot = (int) (version - v0);
        Receipts.Deliveries d = fans.receipts().deliveries(slot, sent, all);
        int have = d.count();
        first[w - 1] = (d.first() - sent) / 1e6;
        last[w - 1] = have < clients ? Double.NaN : (d.last() - sent) / 1e6;
        JsonObject rollout = acks ? target.acks(http, version).await(40, TimeUnit.SECONDS) : null;
        durable[w - 1] = rollout == null ? Double.NaN
            : rollout.getInteger("applied") == clients ? (System.nanoTime() - sent) / 1e6 : Double.NaN;
        System.out.printf("%s write %2d: first %.1f ms, last %.1f ms (%d/%d), all acks durable %.1f ms%n",
            target.name(), w, first[w - 1], last[w - 1], have, clients, durable[w - 1]);
        Thread.sleep(spacingMs);
      }
      JsonObject generator = load.phase();
      load.close();
      System.out.println(target.name() + " " + GeneratorLoad.describe(generator));
      JsonObject rollouts = target.name().equals("hub") && "true".equals(opts.get("rollout"))
          ? rollouts(target, http, fans, v0 + warm + writes, clients, warm + writes, spacingMs) : null;
      fans.closeAll();
      plots.put(target.name(), all);
      JsonObject result = new JsonObject()
          .put("generator_connecting", generatorConnecting)
          .put("generator", generator);
      if (rollouts != null) {
        Double plain = median(last);
        Double staged = rollouts.getDouble("median_last_ms");
        result.put("rollout", rollouts.put("ratio_to_plain_last_client", plain == null || staged == null ? null
            : Math.round(staged / plain * 100) / 100.0));
      }
      return result
          .put("connect_seconds", connectSeconds)
          .put("median_first_ms", median(first))
          .put("median_last_ms", median(last))
          .put("median_acks_durable_ms", median(durable))
          .put("deliveries", Report.percentiles(all))
          .put("heap_bytes_per_connection", (memAfter[0] - memBefore[0]) / (double) clients)
          .put("rss_bytes_per_connection", (memAfter[1] - memBefore[1]) / (double) clients);
    } finally {
      vertx.close().await();
    }
  }

  /** Publishes {@code value}, then waits (at most a minute) until every client holds it; its version. */
  private static long publishAndAwait(Target target, HttpClient http, int value, FanoutClients fans, long v0,
                                      int clients) throws Exception {
    long version = target.publish(http, value).await(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (fans.receipts().received((int) (version - v0)) < clients && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    return version;
  }

  /** The plan of the rollout variant: 1 % -> 10 % -> 100 %, each step advancing as soon as its clients acked. */
  static final JsonObject ROLLOUT_PLAN = new JsonObject().put("steps", new JsonArray()
      .add(new JsonObject().put("percent", 1)).add(new JsonObject().put("percent", 10))
      .add(new JsonObject().put("percent", 100))).put("bake", "0s");

  /**
   * The rollout variant on the same clients right after the plain writes: {@code --rollout-writes}
   * writes under {@link #ROLLOUT_PLAN}; per write, the time from the write request to the last
   * client receiving it (so through both gates) and until the hub says the rollout completed.
   */
  private JsonObject rollouts(Target target, HttpClient http, FanoutClients fans, long base, int clients, int slots,
                              long spacingMs) throws Exception {
    int n = Math.min(slots, Integer.parseInt(opts.getOrDefault("rollout-writes", "5")));
    double[] last = new double[n];
    double[] completed = new double[n];
    for (int w = 1; w <= n; w++) {
      long sent = System.nanoTime();
      long version = HubHttp.put(http, target.token(), "bench.fanout", "k", -w, ROLLOUT_PLAN)
          .map(r -> r.getLong("version")).await(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      long slot = version - base + slots; // FanoutClients counts versions from v0, base is v0 + slots
      while (fans.receipts().receivedLate(slot) < clients && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      long lastAt = fans.receipts().lastLateReceipt(slot);
      last[w - 1] = fans.receipts().receivedLate(slot) < clients ? Double.NaN : (lastAt - sent) / 1e6;
      JsonObject acks = HubHttp.get(http, target.token(), "/v1/namespaces/bench.fanout/versions/" + version + "/acks?wait=60s")
          .await(70, TimeUnit.SECONDS);
      JsonObject rollout = acks.getJsonObject("rollout");
      completed[w - 1] = rollout != null && "completed".equals(rollout.getString("state"))
          ? (System.nanoTime() - sent) / 1e6 : Double.NaN;
      System.out.printf("rollout write %2d: last client %.1f ms, rollout completed %.1f ms (%s)%n", w, last[w - 1],
          completed[w - 1], rollout == null ? "no rollout" : rollout.getString("state"));
      Thread.sleep(spacingMs);
    }
    return new JsonObject().put("plan", ROLLOUT_PLAN).put("writes", n)
        .put("median_last_ms", median(last)).put("median_completed_ms", median(completed));
  }

  /** Hub heap used after a full GC (jcmd) and RSS, from the process itself. */
  private static long[] memory(long pid) throws Exception {
    if (pid < 0) {
      return new long[] {0, 0};
    }
    new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String info = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    long heap = 0;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
    if (m.find()) {
      heap = Long.parseLong(m.group(1)) * 1024;
    }
    long rss = 0;
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    return new long[] {heap, rss};
  }

  /** The median, or null when there is nothing to take it of (no acks on the floor). */
  private static Double median(double[] xs) {
    double[] s = Arrays.stream(xs).filter(d -> !Double.isNaN(d)).sorted().toArray();
    return s.length == 0 ? null : Math.round(s[s.length / 2] * 10) / 10.0;
  }
}
