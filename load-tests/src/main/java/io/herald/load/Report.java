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

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

  /**
   * An SVG percentile plot (latency in ms against percentile on the usual 1/(1-p) log scale, up to
   * 99.99 %) of one or more histograms recorded in microseconds, next to the JSON report.
   */
  static Path plot(Path json, String title, java.util.Map<String, Histogram> series) throws IOException {
    int w = 820;
    int h = 460;
    int left = 70;
    int right = 190;
    int top = 40;
    int bottom = 60;
    double maxX = 4;
    double maxY = 0;
    for (Histogram hist : series.values()) {
      maxY = Math.max(maxY, hist.getValueAtPercentile(99.99) / 1000.0);
    }
    maxY = maxY <= 0 ? 1 : niceCeiling(maxY * 1.05);
    double plotW = w - left - right;
    double plotH = h - top - bottom;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
        .append("\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append("<text x=\"").append(left).append("\" y=\"24\" font-size=\"15\">").append(escape(title)).append("</text>\n");
    String[] xLabels = {"0%", "90%", "99%", "99.9%", "99.99%"};
    for (int i = 0; i <= 4; i++) {
      double x = left + plotW * i / maxX;
      svg.append(String.format(java.util.Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n",
          x, top, x, top + plotH, x, top + plotH + 18, xLabels[i]));
    }
    for (int i = 0; i <= 5; i++) {
      double v = maxY * i / 5;
      double y = top + plotH - plotH * i / 5;
      svg.append(String.format(java.util.Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
          left, y, left + plotW, y, left - 6, y + 4, trim(v)));
    }
    svg.append(String.format(java.util.Locale.ROOT,
        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n", left + plotW / 2, h - 16));
    svg.append(String.format(java.util.Locale.ROOT,
        "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">latency (ms)</text>%n",
        top + plotH / 2, top + plotH / 2));
    int k = 0;
    for (var e : series.entrySet()) {
      StringBuilder points = new StringBuilder();
      for (var v : e.getValue().percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo() / 100.0;
        if (p >= 0.9999) {
          break;
        }
        double x = left + plotW * Math.log10(1 / (1 - p)) / maxX;
        double y = top + plotH - plotH * Math.min(1, (v.getValueIteratedTo() / 1000.0) / maxY);
        points.append(String.format(java.util.Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      String color = COLORS[k % COLORS.length];
      svg.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
          .append(points).append("\"/>\n");
      double ly = top + 16 + 20 * k;
      svg.append(String.format(java.util.Locale.ROOT,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/><text x=\"%.1f\" y=\"%.1f\">%s</text>%n",
          left + plotW + 12, ly - 4, left + plotW + 32, ly - 4, color, left + plotW + 38, ly, escape(e.getKey())));
      k++;
    }
    svg.append("</svg>\n");
    Path file = json.resolveSibling(json.getFileName().toString().replace(".json", ".svg"));
    Files.writeString(file, svg.toString());
    return file;
  }

  private static double niceCeiling(double v) {
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
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
