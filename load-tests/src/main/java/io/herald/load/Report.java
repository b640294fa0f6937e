package io.herald.load;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Writes a scenario's JSON report with the machine it ran on. */
final class Report {

  private Report() {
  }

  static JsonObject machine() {
    long mem = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          mem = Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException ignored) {
      // not Linux: leave it out
    }
    return new JsonObject()
        .put("nproc", Runtime.getRuntime().availableProcessors())
        .put("memory_bytes", mem)
        .put("java", System.getProperty("java.version"))
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
  }

  /** Percentiles in milliseconds from a histogram recorded in microseconds. */
  static JsonObject percentiles(Histogram h) {
    return new JsonObject()
        .put("count", h.getTotalCount())
        .put("p50_ms", ms(h.getValueAtPercentile(50)))
        .put("p90_ms", ms(h.getValueAtPercentile(90)))
        .put("p99_ms", ms(h.getValueAtPercentile(99)))
        .put("p999_ms", ms(h.getValueAtPercentile(99.9)))
        .put("max_ms", ms(h.getMaxValue()))
        .put("mean_ms", Math.round(h.getMean()) / 1000.0);
  }

  static double ms(long micros) {
    return micros / 1000.0;
  }

  static Path write(String dir, String scenario, JsonObject report) throws IOException {
    Path d = Path.of(dir);
    Files.createDirectories(d);
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path file = d.resolve(scenario + "-" + stamp + ".json");
    Files.writeString(file, report.encodePrettily());
    return file;
  }
}
