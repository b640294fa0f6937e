package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongFunction;

/**
 * Herald against etcd (one member on loopback, Debian's etcd-server), from one generator process
 * with the same N and the same writes: fan-out to N watchers (etcd: one gRPC watch per HTTP/2
 * connection; Herald: N WebSocket clients, with acks and without), the servers' CPU per delivered
 * version, and write throughput with 1 and 32 writers on one key / namespace and spread over 32.
 * The servers' phases run one after the other and close everything in between (one process may
 * hold 20,000 files here), each fan-out phase from its own source address 127.0.0.x.
 */
final class PeerScenario {

  private static final int SPREAD = 32;

  private final Map<String, String> opts;

  PeerScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  void run() throws Exception {
    // "--sizes none": the write throughput part only.
    String sizesOpt = opts.getOrDefault("sizes", "1000,5000,10000");
    List<Integer> sizes = sizesOpt.equals("none") ? List.of() : Arrays.stream(sizesOpt.split(","))
        .map(s -> Integer.parseInt(s.trim())).toList();
    int writes = Integer.parseInt(opts.getOrDefault("writes", "20"));
    long spacingMs = Long.parseLong(opts.getOrDefault("spacing-ms", "500"));
    int writeSeconds = Integer.parseInt(opts.getOrDefault("write-seconds", "10"));
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup-seconds", "2"));
    int warmupClients = Integer.parseInt(opts.getOrDefault("warmup-clients", "500"));
    // Writes each fan-out phase makes, not counted, once its clients are connected: a fresh hub's
    // JIT compiles the ack path over the first 20-odd writes at a size (C2 threads then take more
    // CPU than the event loops), and a hub in service has long done that. At least --warmup-writes;
    // Herald's phases go on, 10 writes at a time up to --warmup-writes-max, until the hub's JIT
    // compilers used less than 5 % of a core over the last 10.
    int warmupWrites = Integer.parseInt(opts.getOrDefault("warmup-writes", "20"));
    int warmupWritesMax = Math.max(warmupWrites, Integer.parseInt(opts.getOrDefault("warmup-writes-max", "100")));
    // At most this many 5 s rounds at 32 writers until the hub's JIT has settled (throughput part).
    int jitRounds = Integer.parseInt(opts.getOrDefault("warmup-jit-rounds", "12"));
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    Path hubJar = Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar"));
    if (!EtcdProcess.installed()) {
      throw new IllegalStateException(EtcdProcess.BINARY + " is missing: install Debian's etcd-server (scripts/ensure-etcd.sh)");
    }
    JsonObject report = new JsonObject()
        .put("scenario", "peer")
        .put("date", Instant.now().toString())
        .put("machine", Report.machine())
        .put("command", "java -jar load-tests/target/herald-load.jar peer --sizes " + sizesOpt + " --writes " + writes
            + " --spacing-ms " + spacingMs + " --write-seconds " + writeSeconds + " --warmup-seconds " + warmupSeconds
            + " --warmup-clients " + warmupClients + " --warmup-writes " + warmupWrites
            + " --warmup-writes-max " + warmupWritesMax
            + " --warmup-jit-rounds " + jitRounds)
        .put("etcd", EtcdProcess.version() + ", one member on loopback, default settings (WAL fsync per commit)")
        .put("cpu_note", "server CPU from /proc/PID/stat over the write phase, spacing included; Herald's PostgreSQL "
            + "share is its database's backends (pg_stat_activity); postgres_all counts every PostgreSQL process "
            + "on the machine, other users' included");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    GeneratorLoad load = GeneratorLoad.watch(vertx);
    try (EtcdProcess etcd = EtcdProcess.start();
         HubProcess hub = HubProcess.start(hubJar, dbServer, Map.of())) {
      SocketAddress etcdAddress = SocketAddress.inetSocketAddress(etcd.clientPort, "127.0.0.1");
      GrpcClient etcdWriter = EtcdClients.writer(vertx);
      URI hubUrl = URI.create(hub.url);
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(hubUrl.getHost())
          .setDefaultPort(hubUrl.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(SPREAD + 8));
      Servers servers = new Servers(vertx, load, etcd, etcdAddress, etcdWriter, hub, http, warmupWrites,
          warmupWritesMax);
      int phase = 0;
      if (warmupClients > 0 && !sizes.isEmpty()) {
        // Both servers' code paths warmed (the hub's JIT above all) before anything is counted.
        System.out.println("warm-up, not counted: " + warmupClients + " clients, 10 writes, each server variant");
        servers.etcdFanout("warmup", warmupClients, 10, 50, phase++);
        servers.heraldFanout("warmup", warmupClients, 10, 50, phase++, true);
        servers.heraldFanout("warmup", warmupClients, 10, 50, phase++, false);
      }
      JsonArray fanout = new JsonArray();
      for (int n : sizes) {
        JsonObject row = new JsonObject().put("clients", n);
        row.put("etcd", servers.etcdFanout("c" + n, n, writes, spacingMs, phase++));
        row.put("herald_acks", servers.heraldFanout("c" + n, n, writes, spacingMs, phase++, true));
        row.put("herald_no_acks", servers.heraldFanout("c" + n, n, writes, spacingMs, phase++, false));
        row.put("ratio_herald_acks_to_etcd_last", ratio(row, "herald_acks", "etcd", "median_last_ms"));
        row.put("ratio_herald_no_acks_to_etcd_last", ratio(row, "herald_no_acks", "etcd", "median_last_ms"));
        Double durable = row.getJsonObject("herald_acks").getDouble("median_acks_durable_ms");
        Double last = row.getJsonObject("herald_acks").getDouble("median_last_ms");
        row.put("ratio_acks_durable_to_last", durable == null || last == null ? null : round2(durable / last));
        fanout.add(row);
      }
      report.put("fanout", fanout);
      JsonArray throughput = new JsonArray();
      boolean throughputRows = !"false".equals(opts.get("throughput")); // --throughput false: fan-out only
      // The write path warmed on both servers (a fresh hub's JIT above all: one writer alone makes
      // too few requests in a row's warm-up to get it compiled) before anything is counted.
      if (throughputRows) {
        System.out.println("warm-up, not counted: " + SPREAD + " writers for 5 s, each server; the hub's until its JIT"
            + " settles");
        servers.etcdThroughput(SPREAD, true, 0, 5);
        // A fresh hub's C2 compiles its HTTP write path for 10-20 s, a core's worth at times: rows
        // measured meanwhile measure the compiler. Rounds of 5 s until it has used less than 5 % of
        // a core in a round (at most --warmup-jit-rounds, default 12).
        ServerCpu.JitMeter jit = new ServerCpu.JitMeter(hub.pid());
        for (int round = 1; round <= jitRounds; round++) {
          servers.heraldThroughput(SPREAD, round % 2 == 0, 0, 5);
          double share = jit.lap();
          System.out.printf(Locale.ROOT, "hub warm-up round %d: JIT compilers used %.0f %% of a core%n", round,
              100 * share);
          report.put("hub_warmup_rounds", round);
          if (share < ServerCpu.JIT_SETTLED) {
            break;
          }
        }
      }
      for (int writers : throughputRows ? new int[] {1, SPREAD} : new int[0]) {
        for (boolean spread : new boolean[] {false, true}) {
          JsonObject row = new JsonObject().put("writers", writers).put("keys_or_namespaces", spread ? SPREAD : 1);
          row.put("etcd", servers.etcdThroughput(writers, spread, warmupSeconds, writeSeconds));
          row.put("herald", servers.heraldThroughput(writers, spread, warmupSeconds, writeSeconds));
          row.put("ratio_herald_to_etcd", round2(row.getJsonObject("herald").getDouble("writes_per_second")
              / Math.max(1, row.getJsonObject("etcd").getDouble("writes_per_second"))));
          throughput.add(row);
        }
      }
      report.put("throughput", throughput);
    } finally {
      load.close();
      vertx.close().await();
    }
    Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "peer", report);
    System.out.println(report.encodePrettily());
    System.out.print(table(report));
    System.out.println("report: " + file);
  }

  /** The two servers and the generator's clients of them. */
  private record Servers(Vertx vertx, GeneratorLoad load, EtcdProcess etcd, SocketAddress etcdAddress,
                         GrpcClient etcdWriter, HubProcess hub, HttpClient http, int warmupWrites,
                         int warmupWritesMax) {

    /** {@code name}: of the phase's key (and namespace), so that no two phases share one. */
    JsonObject etcdFanout(String name, int n, int writes, long spacingMs, int phase) throws Exception {
      byte[] key = EtcdClients.bytes("/bench/peer/" + name);
      EtcdClients.Watchers watchers = new EtcdClients.Watchers(vertx, n, warmupWritesMax + writes, sourceAddress(phase));
      try {
        load.phase();
        long start = System.nanoTime();
        watchers.connect(etcdAddress, key);
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        JsonObject connecting = load.phase();
        JsonObject out = spacedWrites("etcd", n, writes, spacingMs, watchers.receipts(),
            w -> EtcdClients.publish(etcdWriter, etcdAddress, key, w).map(revision -> (long) w), null, List.of(etcd.pid()), null);
        return out.put("connect_seconds", round2(connectSeconds)).put("generator_connecting", connecting);
      } finally {
        watchers.close();
      }
    }

    JsonObject heraldFanout(String name, int n, int writes, long spacingMs, int phase, boolean acks) throws Exception {
      String ns = "bench.peer." + name + (acks ? ".acks" : ".noacks");
      long v0 = HubHttp.put(http, hub.token, ns, "k", 0).await(30, TimeUnit.SECONDS).getLong("version");
      FanoutClients fans = new FanoutClients(n, warmupWritesMax + writes, v0);
      WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(n + 10)
          .setConnectTimeout(60_000).setLocalAddress(sourceAddress(phase)));
      try {
        load.phase();
        long start = System.nanoTime();
        fans.connect(ws, List.of(URI.create(hub.url)), hub.token, ns, phase * 100_000, acks);
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        JsonObject connecting = load.phase();
        JsonObject out = spacedWrites(acks ? "herald (acks)" : "herald (no acks)", n, writes, spacingMs, fans.receipts(),
            w -> HubHttp.put(http, hub.token, ns, "k", w).map(r -> r.getLong("version") - v0),
            acks ? version -> HubHttp.acks(http, hub.token, ns, v0 + version) : null,
            List.of(hub.pid()), hub);
        return out.put("connect_seconds", round2(connectSeconds)).put("generator_connecting", connecting);
      } finally {
        fans.closeAll();
        ws.close().await(60, TimeUnit.SECONDS);
      }
    }

    /**
     * Warm-up writes, not counted (at least {@code warmupWrites}; against the hub more, ten at a
     * time up to {@code warmupWritesMax}, until its JIT has settled), then W writes, all
     * {@code spacingMs} apart;
     * {@code write.apply(w)} makes write w (value w) and completes with its slot (w). Per counted
     * write: first and last receipt, and (with {@code acks}) when the hub says every ack is durable.
     * Server CPU over the counted writes.
     */
    private JsonObject spacedWrites(String label, int n, int writes, long spacingMs, Receipts receipts,
                                    IntFunction<Future<Long>> write, LongFunction<Future<JsonObject>> acks,
                                    List<Long> serverPids, HubProcess backendsOf) throws Exception {
      double[] first = new double[writes];
      double[] last = new double[writes];
      double[] durable = new double[writes];
      Histogram all = new Histogram(600_000_000L, 3);
      int warm = 0;
      ServerCpu.JitMeter jit = backendsOf == null ? null : new ServerCpu.JitMeter(backendsOf.pid());
      double jitShare = Double.NaN;
      while (warm < warmupWritesMax) {
        int w = ++warm;
        writeAndAwait(label, n, w, write, receipts);
        if (acks != null) {
          acks.apply(w).await(40, TimeUnit.SECONDS);
        }
        Thread.sleep(spacingMs);
        if (w % 10 == 0 && jit != null) {
          jitShare = jit.lap();
        }
        if (w >= warmupWrites && (jit == null || (w % 10 == 0 && jitShare < ServerCpu.JIT_SETTLED))) {
          break;
        }
      }
      System.out.printf(Locale.ROOT, "%s, %d clients: %d warm-up writes%s%n", label, n, warm, Double.isNaN(jitShare) ? ""
          : String.format(Locale.ROOT, ", the hub's JIT at %.0f %% of a core over the last 10", 100 * jitShare));
      int warmupDone = warm;
      load.phase();
      Cpu before = Cpu.sample(serverPids, backendsOf, null);
      for (int c = 1; c <= writes; c++) {
        int w = warmupDone + c;
        long sent = writeAndAwait(label, n, w, write, receipts);
        Receipts.Deliveries d = receipts.deliveries(w, sent, all);
        first[c - 1] = d.count() == 0 ? Double.NaN : (d.first() - sent) / 1e6;
        last[c - 1] = d.count() < n ? Double.NaN : (d.last() - sent) / 1e6;
        JsonObject rollout = acks == null ? null : acks.apply(w).await(40, TimeUnit.SECONDS);
        durable[c - 1] = rollout == null ? Double.NaN
            : rollout.getInteger("applied", 0) == n ? (System.nanoTime() - sent) / 1e6 : Double.NaN;
        System.out.printf(Locale.ROOT, "%s, %d clients, write %2d: first %.1f ms, last %.1f ms (%d/%d)%s%n", label, n, c,
            first[c - 1], last[c - 1], d.count(), n, acks == null ? "" : String.format(Locale.ROOT,
                ", all acks durable %.1f ms", durable[c - 1]));
        Thread.sleep(spacingMs);
      }
      JsonObject cpu = Cpu.sample(serverPids, backendsOf, before).since(before, writes, (long) writes * n);
      JsonObject generator = load.phase();
      System.out.println(label + ": " + GeneratorLoad.describe(generator));
      return new JsonObject()
          .put("warmup_writes", warmupDone)
          .put("median_first_ms", median(first))
          .put("median_last_ms", median(last))
          .put("median_acks_durable_ms", median(durable))
          .put("writes_fully_delivered", Arrays.stream(last).filter(x -> !Double.isNaN(x)).count())
          .put("deliveries", Report.percentiles(all))
          .put("cpu", cpu)
          .put("generator", generator);
    }

    /** Makes write {@code w}, then waits (at most a minute) until all {@code n} clients hold it; returns when it was sent. */
    private static long writeAndAwait(String label, int n, int w, IntFunction<Future<Long>> write, Receipts receipts)
        throws Exception {
      long sent = System.nanoTime();
      long slot = write.apply(w).await(30, TimeUnit.SECONDS);
      if (slot != w) {
        throw new IllegalStateException(label + ": write " + w + " became version " + slot + " of the phase");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (receipts.received(w) < n && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      return sent;
    }

    JsonObject etcdThroughput(int writers, boolean spread, int warmupSeconds, int seconds) throws Exception {
      return closedLoop(writers, warmupSeconds, seconds, List.of(etcd.pid()), null, writer -> {
        String key = "/bench/tp/" + (spread ? Integer.toString(ThreadLocalRandom.current().nextInt(SPREAD)) : "one");
        return EtcdClients.put(etcdWriter, etcdAddress, EtcdClients.bytes(key),
            EtcdClients.bytes(Long.toString(System.nanoTime())));
      });
    }

    JsonObject heraldThroughput(int writers, boolean spread, int warmupSeconds, int seconds) throws Exception {
      return closedLoop(writers, warmupSeconds, seconds, List.of(hub.pid()), hub, writer -> {
        String ns = "bench.peer.tp." + (spread ? Integer.toString(ThreadLocalRandom.current().nextInt(SPREAD)) : "one");
        return HubHttp.put(http, hub.token, ns, "k", System.nanoTime());
      });
    }

    private JsonObject closedLoop(int writers, int warmupSeconds, int seconds, List<Long> serverPids,
                                  HubProcess backendsOf, IntFunction<Future<?>> request) throws Exception {
      load.phase();
      Cpu before = Cpu.sample(serverPids, backendsOf, null);
      ClosedLoop.Result r = ClosedLoop.run(vertx, writers, warmupSeconds, seconds, request);
      JsonObject cpu = Cpu.sample(serverPids, backendsOf, before).since(before, 0, 0);
      JsonObject generator = load.phase();
      JsonObject latency = Report.percentiles(r.latency());
      System.out.printf(Locale.ROOT, "%s, %d writers: %d writes/s, p50 %.2f ms, p99 %.2f ms, %d failed; %s%n",
          backendsOf == null ? "etcd" : "herald", writers, r.perSecond(), latency.getDouble("p50_ms"),
          latency.getDouble("p99_ms"), r.failed(), GeneratorLoad.describe(generator));
      if (r.firstFailure() != null) {
        System.out.println("  first failure: " + r.firstFailure());
      }
      return new JsonObject()
          .put("writes_per_second", r.perSecond())
          .put("failed", r.failed())
          .put("first_failure", r.firstFailure())
          .put("latency", latency)
          .put("cpu", cpu)
          .put("generator", generator);
    }
  }

  /**
   * CPU used so far, per process: a server's processes, the PostgreSQL backends of a hub's
   * database, and every PostgreSQL process on the machine. Processes that start during a phase count
   * in full; processes that end during it are lost (they cannot be read any more).
   */
  private record Cpu(long wall, Map<Long, Long> server, Map<Long, Long> backends, Map<Long, Long> postgres) {

    static Cpu sample(List<Long> serverPids, HubProcess hub, Cpu start) throws Exception {
      List<Long> backends = new ArrayList<>(start == null ? List.of() : start.backends.keySet());
      if (hub != null) {
        backends.addAll(hub.databaseBackendPids());
      }
      return new Cpu(System.nanoTime(), nanos(serverPids), nanos(backends), nanos(ServerCpu.byName("postgres")));
    }

    private static Map<Long, Long> nanos(List<Long> pids) {
      Map<Long, Long> out = new java.util.HashMap<>();
      for (long pid : new LinkedHashSet<>(pids)) {
        long n = ServerCpu.nanos(pid);
        if (n > 0) {
          out.put(pid, n);
        }
      }
      return out;
    }

    private static double msSince(Map<Long, Long> now, Map<Long, Long> then) {
      long sum = 0;
      for (var e : now.entrySet()) {
        sum += e.getValue() - then.getOrDefault(e.getKey(), 0L);
      }
      return sum / 1e6;
    }

    /** This sample against {@code start}; per write and per delivery when {@code writes} > 0. */
    JsonObject since(Cpu start, int writes, long deliveries) {
      double wallMs = (wall - start.wall) / 1e6;
      double serverMs = msSince(server, start.server);
      double postgresMs = msSince(postgres, start.postgres);
      JsonObject out = new JsonObject()
          .put("phase_seconds", round2(wallMs / 1000))
          .put("server_ms", round2(serverMs))
          .put("server_core_pct", round1(100 * serverMs / wallMs));
      boolean hub = !backends.isEmpty();
      double backendMs = msSince(backends, start.backends);
      if (hub) {
        out.put("postgres_backends_ms", round2(backendMs))
            .put("postgres_backends_core_pct", round1(100 * backendMs / wallMs));
      }
      out.put("postgres_all_ms", round2(postgresMs)).put("postgres_all_core_pct", round1(100 * postgresMs / wallMs));
      if (writes > 0) {
        out.put("server_ms_per_write", round2(serverMs / writes))
            .put("server_us_per_delivery", round2(1000 * serverMs / deliveries));
        if (hub) {
          out.put("with_backends_ms_per_write", round2((serverMs + backendMs) / writes))
              .put("with_backends_us_per_delivery", round2(1000 * (serverMs + backendMs) / deliveries));
        }
      }
      return out;
    }
  }

  private static String sourceAddress(int phase) {
    return "127.0.0." + (10 + phase % 200);
  }

  private static Double ratio(JsonObject row, String a, String b, String field) {
    Double x = row.getJsonObject(a).getDouble(field);
    Double y = row.getJsonObject(b).getDouble(field);
    return x == null || y == null || y == 0 ? null : round2(x / y);
  }

  /** The median, or null when there is nothing to take it of. */
  private static Double median(double[] xs) {
    double[] s = Arrays.stream(xs).filter(d -> !Double.isNaN(d)).sorted().toArray();
    return s.length == 0 ? null : round1(s[s.length / 2]);
  }

  private static double round1(double x) {
    return Math.round(x * 10) / 10.0;
  }

  private static double round2(double x) {
    return Math.round(x * 100) / 100.0;
  }

  /** The side-by-side summary printed at the end (and pasted into load-tests/README.md). */
  static String table(JsonObject r) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%npeer: Herald against %s%n", r.getString("etcd")));
    out.append("fan-out, median over the writes (ms): first / last receiver; Herald with acks also all acks durable\n");
    out.append(String.format(Locale.ROOT, "%8s | %-15s | %-23s | %-15s | %-9s | %-9s%n",
        "clients", "etcd", "herald acks (durable)", "herald no acks", "acks/etcd", "noacks/etcd"));
    for (Object o : r.getJsonArray("fanout")) {
      JsonObject row = (JsonObject) o;
      JsonObject e = row.getJsonObject("etcd");
      JsonObject a = row.getJsonObject("herald_acks");
      JsonObject n = row.getJsonObject("herald_no_acks");
      out.append(String.format(Locale.ROOT, "%8d | %-15s | %-23s | %-15s | %-9s | %-9s%n", row.getInteger("clients"),
          e.getValue("median_first_ms") + " / " + e.getValue("median_last_ms"),
          a.getValue("median_first_ms") + " / " + a.getValue("median_last_ms") + " (" + a.getValue("median_acks_durable_ms") + ")",
          n.getValue("median_first_ms") + " / " + n.getValue("median_last_ms"),
          row.getValue("ratio_herald_acks_to_etcd_last"), row.getValue("ratio_herald_no_acks_to_etcd_last")));
    }
    out.append("server CPU per write (ms; Herald: hub + its PostgreSQL backends) and generator CPU / event-loop lag p99 in the write phase\n");
    for (Object o : r.getJsonArray("fanout")) {
      JsonObject row = (JsonObject) o;
      out.append(String.format(Locale.ROOT, "%8d |", row.getInteger("clients")));
      for (String v : List.of("etcd", "herald_acks", "herald_no_acks")) {
        JsonObject x = row.getJsonObject(v);
        JsonObject cpu = x.getJsonObject("cpu");
        JsonObject g = x.getJsonObject("generator");
        out.append(String.format(Locale.ROOT, " %s %s ms (gen %.0f%%, lag %.1f ms) |", v,
            cpu.getValue(cpu.containsKey("with_backends_ms_per_write") ? "with_backends_ms_per_write" : "server_ms_per_write"),
            g.getDouble("cpu_core_pct"), g.getDouble("event_loop_lag_p99_ms")));
      }
      out.append('\n');
    }
    out.append("write throughput, one request in flight per writer: writes/s (p50 / p99 ms)\n");
    out.append(String.format(Locale.ROOT, "%8s %6s | %-26s | %-26s | %s%n", "writers", "keys", "etcd", "herald", "herald/etcd"));
    for (Object o : r.getJsonArray("throughput")) {
      JsonObject row = (JsonObject) o;
      out.append(String.format(Locale.ROOT, "%8d %6d | %-26s | %-26s | %s%n", row.getInteger("writers"),
          row.getInteger("keys_or_namespaces"), throughputCell(row.getJsonObject("etcd")),
          throughputCell(row.getJsonObject("herald")), row.getValue("ratio_herald_to_etcd")));
    }
    return out.toString();
  }

  private static String throughputCell(JsonObject x) {
    JsonObject l = x.getJsonObject("latency");
    return String.format(Locale.ROOT, "%d (%.2f / %.2f)", x.getLong("writes_per_second"), l.getDouble("p50_ms"),
        l.getDouble("p99_ms"));
  }
}
