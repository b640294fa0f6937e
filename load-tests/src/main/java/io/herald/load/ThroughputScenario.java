package io.herald.load;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * W writers, each with one request in flight, over K namespaces for a fixed time: durable
 * revisions per second (every one is a committed PostgreSQL transaction) and write latency.
 *
 * <p>{@code --schema compare}: the cost of schema validation (issue #16). Two sets of K
 * namespaces of 100 keys each are filled first; the second set gets a 100-property schema
 * (every key required, an integer, no other key). Rounds then alternate between the sets on the
 * same hub, each writing one of the 100 keys per revision, and the report gives the median
 * revisions/s of each and their ratio.
 */
final class ThroughputScenario {

  private final Map<String, String> opts;

  ThroughputScenario(Map<String, String> opts) {
    this.opts = opts;
  }

  /** Keys per namespace and properties of the schema in {@code --schema compare}. */
  static final int SCHEMA_KEYS = 100;

  void run() throws Exception {
    if (opts.containsKey("schema")) {
      if (!"compare".equals(opts.get("schema"))) {
        throw new IllegalArgumentException("--schema takes 'compare'");
      }
      runSchemaCompare();
      return;
    }
    int writers = Integer.parseInt(opts.getOrDefault("writers", "32"));
    int namespaces = Integer.parseInt(opts.getOrDefault("namespaces", "100"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup-seconds", "5"));
    HubProcess hub = startHub();
    String token = token(hub);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      HttpClient http = client(vertx, hub, writers);
      GeneratorLoad load = GeneratorLoad.watch(vertx);
      ClosedLoop.Result r = writes(vertx, http, token, "bench.tp.", -1, writers, namespaces, warmupSeconds, seconds);
      JsonObject generator = load.phase();
      load.close();
      System.out.println(GeneratorLoad.describe(generator));
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
      publish("throughput", report, "write latency, " + writers + " writers over " + namespaces + " namespaces",
          Map.of("write sent -> 201", latency));
    } finally {
      close(vertx, hub);
    }
  }

  private void publish(String name, JsonObject report, String title, Map<String, Histogram> series) throws Exception {
    Path file = Report.write(opts.getOrDefault("report-dir", "load-tests/reports"), name, report);
    Report.plot(file, title, series);
    System.out.println(report.encodePrettily());
    System.out.println("report: " + file);
  }

  private static void close(Vertx vertx, HubProcess hub) throws Exception {
    vertx.close().await();
    if (hub != null) {
      hub.close();
    }
  }

  private void runSchemaCompare() throws Exception {
    int writers = Integer.parseInt(opts.getOrDefault("writers", "32"));
    int namespaces = Integer.parseInt(opts.getOrDefault("namespaces", "10"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "10"));
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup-seconds", "3"));
    int rounds = Integer.parseInt(opts.getOrDefault("repeat", "2"));
    HubProcess hub = startHub();
    String token = token(hub);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      HttpClient http = client(vertx, hub, writers);
      io.vertx.core.json.JsonArray fill = new io.vertx.core.json.JsonArray();
      JsonObject properties = new JsonObject();
      io.vertx.core.json.JsonArray required = new io.vertx.core.json.JsonArray();
      for (int k = 0; k < SCHEMA_KEYS; k++) {
        fill.add(new JsonObject().put("key", "k" + k).put("op", "put").put("value", k));
        properties.put("k" + k, new JsonObject().put("type", "integer").put("minimum", 0));
        required.add("k" + k);
      }
      String schema = new JsonObject().put("schema", new JsonObject().put("type", "object").put("required", required)
          .put("properties", properties).put("additionalProperties", false)).encode();
      for (int n = 0; n < namespaces; n++) {
        for (String prefix : new String[] {"bench.plain.", "bench.schema."}) {
          send(http, token, HttpMethod.POST, "/v1/namespaces/" + prefix + n + "/revisions",
              new JsonObject().put("changes", fill).encode(), 201);
        }
        send(http, token, HttpMethod.PUT, "/v1/namespaces/bench.schema." + n + "/schema", schema, 200);
      }
      List<Long> plain = new ArrayList<>();
      List<Long> checked = new ArrayList<>();
      Histogram plainLatency = new Histogram(60_000_000L, 3);
      Histogram checkedLatency = new Histogram(60_000_000L, 3);
      long failed = 0;
      for (int round = 0; round < rounds; round++) {
        for (String prefix : new String[] {"bench.plain.", "bench.schema."}) {
          boolean withSchema = prefix.equals("bench.schema.");
          ClosedLoop.Result r = writes(vertx, http, token, prefix, SCHEMA_KEYS, writers, namespaces, warmupSeconds,
              seconds);
          (withSchema ? checkedLatency : plainLatency).add(r.latency());
          long rate = r.perSecond();
          (withSchema ? checked : plain).add(rate);
          failed += r.failed();
          System.out.println("round " + (round + 1) + (withSchema ? " with schema: " : " without schema: ") + rate
              + " rev/s");
        }
      }
      long plainMedian = median(plain);
      long checkedMedian = median(checked);
      JsonObject report = new JsonObject()
          .put("scenario", "throughput-schema")
          .put("date", Instant.now().toString())
          .put("machine", Report.machine())
          .put("command", "java -jar load-tests/target/herald-load.jar throughput --schema compare --writers " + writers
              + " --namespaces " + namespaces + " --seconds " + seconds + " --warmup-seconds " + warmupSeconds
              + " --repeat " + rounds)
          .put("writers", writers).put("namespaces", namespaces).put("keys_per_namespace", SCHEMA_KEYS)
          .put("schema_properties", SCHEMA_KEYS).put("seconds", seconds).put("rounds", rounds)
          .put("revisions_per_second_without_schema", new io.vertx.core.json.JsonArray(plain))
          .put("revisions_per_second_with_schema", new io.vertx.core.json.JsonArray(checked))
          .put("median_without_schema", plainMedian).put("median_with_schema", checkedMedian)
          .put("cost_of_validation", plainMedian == 0 ? null
              : Math.round(1000.0 * (plainMedian - checkedMedian) / plainMedian) / 1000.0)
          .put("failed", failed)
          .put("write_latency_without_schema", Report.percentiles(plainLatency))
          .put("write_latency_with_schema", Report.percentiles(checkedLatency));
      publish("throughput-schema", report, "write latency, " + writers + " writers, 100-key namespaces",
          Map.of("without schema", plainLatency, "with a 100-property schema", checkedLatency));
    } finally {
      close(vertx, hub);
    }
  }

  private HubProcess startHub() throws Exception {
    String dbServer = opts.getOrDefault("db-server", "postgresql://postgres@127.0.0.1:5432/postgres");
    return opts.containsKey("url") ? null
        : HubProcess.start(Path.of(opts.getOrDefault("spawn-hub", "hub/target/herald-hub.jar")), dbServer,
            Map.of("HERALD_DB_POOL_SIZE", opts.getOrDefault("db-pool", "16")));
  }

  private String token(HubProcess hub) {
    return hub != null ? hub.token : opts.getOrDefault("token", System.getenv("HERALD_ADMIN_TOKEN"));
  }

  private HttpClient client(Vertx vertx, HubProcess hub, int writers) {
    URI url = URI.create(hub != null ? hub.url : opts.get("url"));
    return vertx.createHttpClient(new HttpClientOptions().setDefaultHost(url.getHost())
        .setDefaultPort(url.getPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(writers));
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n == 0 ? 0 : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** A setup request that must answer {@code status}. */
  private static void send(HttpClient http, String token, HttpMethod method, String uri, String body, int status)
      throws java.util.concurrent.TimeoutException {
    http.request(new io.vertx.core.http.RequestOptions().setMethod(method).setURI(uri)
            .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() == status ? io.vertx.core.Future.succeededFuture()
            : io.vertx.core.Future.failedFuture(method + " " + uri + " -> " + resp.statusCode() + " " + b)))
        .await(60, TimeUnit.SECONDS);
  }

  /**
   * W writers for warm-up plus {@code seconds}, each write to a random namespace of the set:
   * {@code keys} > 0 puts one of the keys k0 … k(keys-1) at random, otherwise the writer's own key.
   */
  private static ClosedLoop.Result writes(Vertx vertx, HttpClient http, String token, String prefix, int keys,
                                          int writers, int namespaces, int warmupSeconds, int seconds) throws Exception {
    return ClosedLoop.run(vertx, writers, warmupSeconds, seconds, writer -> HubHttp.put(http, token,
        prefix + ThreadLocalRandom.current().nextInt(namespaces),
        keys > 0 ? "k" + ThreadLocalRandom.current().nextInt(keys) : "w" + writer, System.nanoTime()));
  }
}
