package io.herald.load;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Each scenario with a tiny profile, so the benchmarks keep working; no figure is judged here. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("Load-test scenarios, quick profiles against spawned hubs")
class QuickProfilesIT {

  private static Map<String, String> opts(Path reports, String... kv) {
    Map<String, String> m = new HashMap<>();
    m.put("spawn-hub", System.getProperty("herald.hub.jar", "../hub/target/herald-hub.jar"));
    m.put("report-dir", reports.toString());
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static JsonObject report(Path dir, String scenario) throws Exception {
    try (var files = Files.list(dir)) {
      Path f = files.filter(p -> p.getFileName().toString().startsWith(scenario + "-") && p.toString().endsWith(".json"))
          .findFirst().orElseThrow();
      return new JsonObject(Files.readString(f));
    }
  }

  @Test
  @DisplayName("latency: every counted write reaches the subscriber")
  void latency(@TempDir Path reports) throws Exception {
    new LatencyScenario(opts(reports, "writes", "60", "rate", "50", "warmup", "10")).run();
    JsonObject r = report(reports, "latency");
    assertEquals(50, r.getJsonObject("write_to_delta").getLong("count"));
    assertTrue(r.getJsonObject("write_to_delta").getDouble("p50_ms") > 0);
  }

  @Test
  @DisplayName("fanout --rollout: writes under 1% -> 10% -> 100% reach every client and complete, next to the plain ones")
  void fanoutRollout(@TempDir Path reports) throws Exception {
    new FanoutScenario(opts(reports, "clients", "50", "writes", "3", "spacing-ms", "50", "with-floor", "false",
        "rollout", "true", "rollout-writes", "2", "warmup-writes", "1")).run();
    JsonObject rollout = report(reports, "fanout").getJsonObject("hub").getJsonObject("rollout");
    assertNotNull(rollout.getDouble("median_last_ms"), "every client received every rollout write");
    assertNotNull(rollout.getDouble("median_completed_ms"), "every rollout completed");
    assertTrue(rollout.getDouble("ratio_to_plain_last_client") > 0);
  }

  @Test
  @DisplayName("fanout: every client gets every write, acks become durable, the floor ratio is reported")
  void fanout(@TempDir Path reports) throws Exception {
    new FanoutScenario(opts(reports, "clients", "50", "writes", "3", "spacing-ms", "50", "warmup-writes", "1")).run();
    JsonObject r = report(reports, "fanout");
    assertNotNull(r.getJsonObject("hub").getDouble("median_last_ms"), "every client received every write");
    assertNotNull(r.getJsonObject("hub").getDouble("median_acks_durable_ms"), "every ack became durable");
    assertNotNull(r.getJsonObject("floor").getDouble("median_last_ms"));
    assertTrue(r.getDouble("ratio_hub_to_floor_last_client") > 0);
    assertEquals(150, r.getJsonObject("hub").getJsonObject("deliveries").getLong("count"));
    try (var files = Files.list(reports)) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".svg")), "the report comes with its plot");
    }
  }

  @Test
  @DisplayName("throughput: writers commit revisions without failures")
  void throughput(@TempDir Path reports) throws Exception {
    new ThroughputScenario(opts(reports, "writers", "4", "namespaces", "5", "seconds", "3", "warmup-seconds", "1")).run();
    JsonObject r = report(reports, "throughput");
    assertEquals(0, r.getLong("failed"));
    assertTrue(r.getLong("revisions_per_second") > 0);
  }

  @Test
  @DisplayName("throughput --schema compare: writes with and without a 100-property schema both commit")
  void throughputSchema(@TempDir Path reports) throws Exception {
    new ThroughputScenario(opts(reports, "schema", "compare", "writers", "4", "namespaces", "2", "seconds", "2",
        "warmup-seconds", "1", "repeat", "1")).run();
    JsonObject r = report(reports, "throughput-schema");
    assertEquals(0, r.getLong("failed"));
    assertTrue(r.getLong("median_without_schema") > 0);
    assertTrue(r.getLong("median_with_schema") > 0);
  }

  @Test
  @DisplayName("storm: after the hub is killed and restarted every client resumes with no version lost")
  void storm(@TempDir Path reports) throws Exception {
    new StormScenario(opts(reports, "clients", "30")).run();
    JsonObject r = report(reports, "storm");
    assertEquals(0, r.getInteger("clients_not_at_head"));
    assertEquals(0, r.getInteger("versions_lost_or_out_of_order"));
    assertNotNull(r.getDouble("all_resumed_seconds_after_hub_up"));
  }

  @Test
  @DisplayName("peer: etcd and Herald both deliver every write to every watcher, and both take writes side by side")
  void peer(@TempDir Path reports) throws Exception {
    assumeTrue(EtcdProcess.installed(), EtcdProcess.BINARY + " is missing: install Debian's etcd-server "
        + "(scripts/ensure-etcd.sh) to run the etcd comparison");
    long start = System.nanoTime();
    new PeerScenario(opts(reports, "sizes", "200", "writes", "3", "spacing-ms", "50", "write-seconds", "1",
        "warmup-seconds", "0", "warmup-clients", "0", "warmup-writes", "2", "warmup-writes-max", "2",
        "warmup-jit-rounds", "1")).run();
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(40), "the quick profile stays under 40 s");
    JsonObject r = report(reports, "peer");
    JsonObject row = r.getJsonArray("fanout").getJsonObject(0);
    for (String server : new String[] {"etcd", "herald_acks", "herald_no_acks"}) {
      JsonObject x = row.getJsonObject(server);
      assertEquals(3, x.getLong("writes_fully_delivered"), server + ": every watcher received every write");
      assertEquals(600, x.getJsonObject("deliveries").getLong("count"), server);
      assertTrue(x.getJsonObject("cpu").getDouble("server_ms_per_write") >= 0, server);
      assertNotNull(x.getJsonObject("generator").getDouble("event_loop_lag_p99_ms"), server);
      assertEquals(3, x.getJsonObject("generator").getJsonArray("load_average_end").size(), server);
    }
    assertNotNull(row.getJsonObject("herald_acks").getDouble("median_acks_durable_ms"), "every ack became durable");
    assertTrue(row.getDouble("ratio_herald_acks_to_etcd_last") > 0);
    assertEquals(4, r.getJsonArray("throughput").size(), "1 and 32 writers, one key and spread");
    for (Object o : r.getJsonArray("throughput")) {
      JsonObject t = (JsonObject) o;
      assertTrue(t.getJsonObject("etcd").getLong("writes_per_second") > 0, "etcd took writes: " + t.encode());
      assertTrue(t.getJsonObject("herald").getLong("writes_per_second") > 0, "herald took writes: " + t.encode());
    }
  }
}
