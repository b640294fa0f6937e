package io.herald.load;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Herald's load generator. {@code java -jar herald-load.jar SCENARIO [--option value ...]}.
 * Scenarios talk to a hub only over HTTP and WebSocket on loopback; with {@code --spawn-hub} the
 * generator starts a hub process from the hub jar on a fresh database and stops it afterwards.
 */
public final class LoadMain {

  private LoadMain() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("--help")) {
      usage();
      return;
    }
    Map<String, String> opts = parse(Arrays.copyOfRange(args, 1, args.length));
    switch (args[0]) {
      case "latency" -> new LatencyScenario(opts).run();
      case "fanout" -> new FanoutScenario(opts).run();
      case "throughput" -> new ThroughputScenario(opts).run();
      case "storm" -> new StormScenario(opts).run();
      case "peer" -> new PeerScenario(opts).run();
      default -> {
        System.err.println("unknown scenario: " + args[0]);
        usage();
        System.exit(2);
      }
    }
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got " + args[i]);
      }
      String key = args[i].substring(2);
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        out.put(key, args[++i]);
      } else {
        out.put(key, "true");
      }
    }
    return out;
  }

  private static void usage() {
    System.out.println("""
        usage: java -jar load-tests/target/herald-load.jar SCENARIO [options]

        scenarios:
          latency   one subscriber; writes at a fixed rate; write -> delta percentiles
          fanout    N clients on one hub; W spaced writes; first/last delivery, acks durable, heap per connection
          throughput W writers over K namespaces for a fixed time; durable revisions/s and write latency
          storm     N clients; the hub is killed and restarted; time until all resumed, versions lost
          peer      Herald against etcd (/usr/bin/etcd, started here): fan-out to N watchers, server CPU per
                    write, write throughput with 1 and 32 writers; side by side from one generator

        common options:
          --spawn-hub PATH    start a hub from this jar on a fresh database (default: hub/target/herald-hub.jar
                              when --url is not given)
          --url URL           use a running hub instead (e.g. http://127.0.0.1:8080)
          --token TOKEN       its admin token (default: $HERALD_ADMIN_TOKEN)
          --db-server URL     PostgreSQL for spawned hubs (default postgresql://postgres@127.0.0.1:5432/postgres)
          --report-dir DIR    where JSON reports go (default load-tests/reports)

        latency options:
          --writes N          number of writes (default 2000)
          --rate N            writes per second (default 100)
          --warmup N          writes not counted (default 200)
          --cluster N         spawn N clustered hubs; write on the first, subscribe on the second
          --subscriber-url U  with --url: subscribe on this hub instead (cross-node latency)
          --tls MODE          with --cluster: false (default), true (event bus over mutual TLS, certificates
                              made by scripts/cluster-certs.sh), or compare (plain, then TLS, in one run)
          --baseline-hub JAR  also measure this hub jar first, in the same run (e.g. a build before a change)
          --repeat N          measure every variant N times, alternating between their hubs (all of them
                              run throughout), and report each percentile's median over the rounds (default 1)

        fanout options (spawns its hub unless --url; the floor is always spawned):
          --clients N         connected clients (default 10000)
          --writes N          writes (default 20)
          --spacing-ms N      pause between writes (default 1000)
          --with-floor false  skip the bare-broadcast floor run
          --acks false        clients do not ack (to see what acking costs)
          --rollout true      then, on the same clients, writes under the plan 1% -> 10% -> 100% (zero bake):
                              last client received and rollout completed, with the ratio to the plain writes
          --rollout-writes N  how many rollout writes (default 5)
          --cluster N         N clustered hubs, clients spread over them, writes on the first (no floor)
          --generators G      G generator processes, each from its own source address 127.0.0.(2+g);
                              one process holds at most ~19,500 sockets here: 50,000 clients need 3

        throughput options (spawns its hub unless --url):
          --writers N         concurrent writers, one request in flight each (default 32)
          --namespaces N      namespaces written at random (default 100)
          --seconds N         measured time (default 20) after --warmup-seconds (default 5)
          --db-pool N         the hub's HERALD_DB_POOL_SIZE (default 16)
          --schema compare    the cost of schema validation: 100-key namespaces without and with a
                              100-property schema, in alternating rounds on one hub (--repeat, default 2;
                              --namespaces default 10 per set, --seconds 10, --warmup-seconds 3)

        storm options (always spawns its hub):
          --clients N         connected clients (default 10000)

        peer options (always spawns its hub and an etcd member; $HERALD_BENCH_ETCD overrides /usr/bin/etcd):
          --sizes N,N,...     fan-out sizes (default 1000,5000,10000); each runs etcd, Herald with acks,
                              Herald without acks, one after the other
          --writes N          writes per fan-out phase (default 20)
          --spacing-ms N      pause between writes (default 500)
          --write-seconds N   measured time of each throughput run (default 10) after --warmup-seconds (default 2)
          --warmup-clients N  a fan-out of N clients and 10 writes per server variant first, not counted (default
                              500; 0: none), so that the first measured phase does not pay the hub's JIT warm-up

        every scenario reports the generator's own CPU (% of a core), its event loops' lag (p99, max) and
        the load average, so that a run where the generator was the bottleneck can be told apart
        """);
  }
}
