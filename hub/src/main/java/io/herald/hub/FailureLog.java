package io.herald.hub;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs failures the way an operator wants them during an outage: the first failure of a kind
 * at once, in one line; the rest of that interval as one line with a count. A database outage
 * under load is then a line every few seconds, not a stack trace per request. Shared by every
 * event loop of a hub; {@link #flush()} runs on a timer so the last counts are not lost.
 */
final class FailureLog {

  private static final Logger DEFAULT = Logger.getLogger("io.herald.hub.failures");

  private final Logger log;
  private final long intervalMs;
  private final LongSupplier clock;
  private final Map<String, Kind> kinds = new LinkedHashMap<>();

  private static final class Kind {
    boolean started;
    long windowStart;
    long suppressed;
    String last;
  }

  FailureLog(long intervalMs) {
    this(DEFAULT, intervalMs, System::currentTimeMillis);
  }

  FailureLog(Logger log, long intervalMs, LongSupplier clock) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.clock = clock;
  }

  /** One failure of {@code kind} ("database unavailable", "internal error", …). */
  void report(String kind, Throwable cause) {
    report(kind, cause, false);
  }

  /** As {@link #report(String, Throwable)}, with the stack trace on the first line of each interval (for bugs). */
  void report(String kind, Throwable cause, boolean withStackTrace) {
    String summary = summary(cause);
    long now = clock.getAsLong();
    String countLine = null;
    boolean first;
    synchronized (this) {
      Kind k = kinds.computeIfAbsent(kind, x -> new Kind());
      if (k.started && now - k.windowStart < intervalMs) {
        k.suppressed++;
        k.last = summary;
        first = false;
      } else {
        countLine = countLine(kind, k);
        k.started = true;
        k.windowStart = now;
        k.suppressed = 0;
        k.last = null;
        first = true;
      }
    }
    if (countLine != null) {
      log.warning(countLine);
    }
    if (first) {
      String line = kind + ": " + summary + " (more of this kind are counted, one line every "
          + intervalMs / 1000 + " s)";
      if (withStackTrace) {
        log.log(Level.WARNING, line, cause);
      } else {
        log.warning(line);
        log.log(Level.FINE, kind, cause);
      }
    }
  }

  /** Reports the counts of intervals that have ended. */
  void flush() {
    long now = clock.getAsLong();
    StringBuilder lines = new StringBuilder();
    synchronized (this) {
      for (var e : kinds.entrySet()) {
        Kind k = e.getValue();
        if (k.suppressed > 0 && now - k.windowStart >= intervalMs) {
          lines.append(countLine(e.getKey(), k)).append('\n');
          k.suppressed = 0;
          k.last = null;
        }
      }
    }
    if (lines.length() > 0) {
      lines.setLength(lines.length() - 1);
      for (String line : lines.toString().split("\n")) {
        log.warning(line);
      }
    }
  }

  private String countLine(String kind, Kind k) {
    if (k.suppressed == 0) {
      return null;
    }
    return kind + ": " + k.suppressed + " more in the last " + Math.max(1, (clock.getAsLong() - k.windowStart) / 1000)
        + " s (last: " + k.last + ")";
  }

  static String summary(Throwable t) {
    if (t == null) {
      return "no cause";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + (msg.length() > 200 ? msg.substring(0, 200) + "…" : msg));
  }
}
