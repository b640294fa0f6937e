package io.herald.load;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * W writers, each with one request in flight, over K namespaces for a fixed time: durable
 * revisions per second (every one is a committed PostgreSQL transaction) and write latency.
 */
final class ThroughputScenario {

  private final Map<String, String> opts;

  ThroughputScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  void run() throws Exception {
    int writers = Integer.parseInt(opts.getOrDefault("writers", "32"));
    int namespaces = Integer.parseInt(opts.getOrDefault("namespaces", "100"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup-seconds", "5"));
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    HubProcess hub = opts.containsKey("url") ? null
        : HubProcess.start(Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar")), dbServer,
            Map.of("HERALD_DB_POOL_SIZE", opts.getOrDefault("db-pool", "16")));
    String token = hub != null ? hub.token : opts.getOrDefault("token", System.getenv("HERALD_ADMIN_TOKEN"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      URI url = URI.create(hub != null ? hub.url : opts.get("url"));
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
          .setDefaultPort(url.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(writers));
      GeneratorLoad load = GeneratorLoad.watch(vertx);
      ClosedLoop.Result r = ClosedLoop.run(vertx, writers, warmupSeconds, seconds, writer ->
          HubHttp.put(http, token, "bench.tp." + ThreadLocalRandom.current().nextInt(namespaces), "w" + writer,
              System.nanoTime()));
      JsonObject generator = load.phase();
      load.close();
      Histogram latency = r.latency();
      JsonObject report = new JsonObject()
          .put("scenario", "throughput")
          .put("date", Instant.now().toString())
          .put("machine", Report.machine())
          .put("command", "java -jar load-tests/target/herald-load.jar throughput --writers " + writers
              + " --namespaces " + namespaces + " --seconds " + seconds)
          .put("writers", writers).put("namespaces", namespaces).put("seconds", seconds)
          .put("revisions_per_second", r.perSecond())
          .put("failed", r.failed())
          .put("first_failure", r.firstFailure())
          .put("write_latency", Report.percentiles(latency))
          .put("generator", generator);
      Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), "throughput", report);
      Report.plot(file, "write latency, " + writers + " writers over " + namespaces + " namespaces",
          Map.of("write sent -> 201", latency));
      System.out.println(report.encodePrettily());
      System.out.println("report: " + file);
    } finally {
      vertx.close().await();
      if (hub != null) {
        hub.close();
      }
    }
  }
}
