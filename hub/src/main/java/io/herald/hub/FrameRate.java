package io.herald.hub;

/**
 * The frame rate limit of one WebSocket connection: a token bucket of {@code burst} frames that
 * refills at {@code perSecond}. A frame without a token is dropped; the first drop of a second
 * earns the client an error frame, and a client that keeps sending past more than {@code burst}
 * dropped frames within a second is closed. Confined to the connection's event loop; the clock
 * is passed in so the rules can be tested without waiting.
 */
final class FrameRate {

  enum Verdict {
    /** Handle the frame. */
    ACCEPT,
    /** Drop it and tell the client once: {@code rate_limited}. */
    WARN,
    /** Drop it silently: the client was told this second already. */
    DROP,
    /** Drop it and close the connection (1008): the client ignores the limit. */
    CLOSE
  }

  private final double perSecond;
  private final int burst;
  private double tokens;
  private long refilledAt;
  private long windowStart;
  private int droppedInWindow;

  FrameRate(int perSecond, int burst, long nowNanos) {
    this.perSecond = perSecond;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.refilledAt = nowNanos;
    this.windowStart = nowNanos;
  }

  Verdict onFrame(long nowNanos) {
    if (perSecond <= 0) {
      return Verdict.ACCEPT;
    }
    tokens = Math.min(burst, tokens + (nowNanos - refilledAt) / 1e9 * perSecond);
    refilledAt = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return Verdict.ACCEPT;
    }
    if (nowNanos - windowStart >= 1_000_000_000L) {
      windowStart = nowNanos;
      droppedInWindow = 0;
    }
    droppedInWindow++;
    if (droppedInWindow > burst) {
      return Verdict.CLOSE;
    }
    return droppedInWindow == 1 ? Verdict.WARN : Verdict.DROP;
  }
}
