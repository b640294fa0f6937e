package io.herald.load;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How busy the generator itself was during a phase, so that a reader can tell when it, not the
 * server, was the bottleneck: this JVM's CPU (% of one core) and the lag of its event loops (a
 * probe on every event loop of the watched Vert.x instance asks to run again in 5 ms and records how
 * late it runs), plus the machine's load average at the start and end of the phase.
 */
final class GeneratorLoad implements AutoCloseable {

  private static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final Histogram lag = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
  private final List<ScheduledFuture<?>> probes = new ArrayList<>();
  private volatile boolean closed;
  private long cpuStart;
  private long wallStart;
  private double[] loadStart;

  private GeneratorLoad() {
    begin();
  }

  /** Starts watching the generator, with lag probes on every event loop of {@code vertx}. */
  static GeneratorLoad watch(Vertx vertx) {
    GeneratorLoad load = new GeneratorLoad();
    EventLoopGroup loops = ((VertxInternal) vertx).nettyEventLoopGroup();
    for (EventExecutor loop : loops) {
      load.probe(loop, System.nanoTime() + PROBE_NANOS);
    }
    return load;
  }

  private void probe(EventExecutor loop, long due) {
    if (closed) {
      return;
    }
    synchronized (probes) {
      probes.add(loop.schedule(() -> {
        long now = System.nanoTime();
        synchronized (lag) {
          lag.recordValue(Math.min(lag.getHighestTrackableValue(), Math.max(0, (now - due) / 1000)));
        }
        probe(loop, now + PROBE_NANOS);
      }, PROBE_NANOS, TimeUnit.NANOSECONDS));
      probes.removeIf(ScheduledFuture::isDone);
    }
  }

  private void begin() {
    cpuStart = processCpuNanos();
    wallStart = System.nanoTime();
    loadStart = loadAverage();
    synchronized (lag) {
      lag.reset();
    }
  }

  /** The figures since the watch began or since the previous call; starts the next phase. */
  JsonObject phase() {
    long cpu = processCpuNanos() - cpuStart;
    long wall = System.nanoTime() - wallStart;
    JsonObject out = new JsonObject()
        .put("seconds", Math.round(wall / 1e7) / 100.0)
        .put("cpu_core_pct", Math.round(1000.0 * cpu / wall) / 10.0);
    synchronized (lag) {
      out.put("event_loop_lag_p99_ms", Report.ms(lag.getValueAtPercentile(99)))
          .put("event_loop_lag_max_ms", Report.ms(lag.getMaxValue()));
    }
    out.put("load_average_start", json(loadStart)).put("load_average_end", json(loadAverage()));
    begin();
    return out;
  }

  /** One line for the console. */
  static String describe(JsonObject phase) {
    return String.format(java.util.Locale.ROOT,
        "generator: %.0f %% of a core, event-loop lag p99 %.1f ms / max %.1f ms; load average %s -> %s",
        phase.getDouble("cpu_core_pct"), phase.getDouble("event_loop_lag_p99_ms"), phase.getDouble("event_loop_lag_max_ms"),
        phase.getJsonArray("load_average_start").getValue(0), phase.getJsonArray("load_average_end").getValue(0));
  }

  @Override
  public void close() {
    closed = true;
    synchronized (probes) {
      probes.forEach(p -> p.cancel(false));
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** 1, 5 and 15 minute load averages from /proc/loadavg (empty when not on Linux). */
  static double[] loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
    } catch (IOException | RuntimeException e) {
      return new double[0];
    }
  }

  private static JsonArray json(double[] xs) {
    JsonArray a = new JsonArray();
    for (double x : xs) {
      a.add(x);
    }
    return a;
  }
}
