package io.herald.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random time in
 * [0, min(max, initial * 2^n)], so that many clients that lost the same hub do not come back in
 * lock step.
 */
final class Backoff {

  private final long initialMs;
  private final long maxMs;

  Backoff(Duration initial, Duration max) {
    this.initialMs = Math.max(1, initial.toMillis());
    this.maxMs = Math.max(initialMs, max.toMillis());
  }

  /** The ceiling of attempt {@code n} (0-based). */
  long ceilingMs(int attempt) {
    int shift = Math.min(attempt, 30);
    long ceiling = initialMs << shift;
    return ceiling <= 0 || ceiling > maxMs ? maxMs : ceiling;
  }

  long delayMs(int attempt) {
    return ThreadLocalRandom.current().nextLong(ceilingMs(attempt) + 1);
  }
}
