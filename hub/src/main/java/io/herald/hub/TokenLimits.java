package io.herald.hub;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Per-token limits on this node, shared by its event loops: a write rate (token bucket: the rate
 * per second, with a burst of one second's worth) and a cap on open WebSockets. The bootstrap
 * admin token is exempt: it is the operator's key, used by automation and benchmarks.
 */
final class TokenLimits {

  private final int writesPerSecond;
  private final int maxConnections;
  /** {@code System::nanoTime}; tests pass a clock they move themselves. */
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> connections = new ConcurrentHashMap<>();

  TokenLimits(int writesPerSecond, int maxConnections, LongSupplier nanoTime) {
    this.writesPerSecond = writesPerSecond;
    this.maxConnections = maxConnections;
    this.nanoTime = nanoTime;
  }

  private static final class Bucket {
    double tokens;
    long refilledAt;
  }

  /** 0 when the write may go ahead, else the seconds to wait before retrying. */
  long acquireWrite(Principal p) {
    if (p.tokenId() == null || writesPerSecond <= 0) {
      return 0;
    }
    Bucket b = buckets.computeIfAbsent(p.tokenId(), id -> {
      Bucket n = new Bucket();
      n.tokens = writesPerSecond;
      n.refilledAt = nanoTime.getAsLong();
      return n;
    });
    synchronized (b) {
      long now = nanoTime.getAsLong();
      b.tokens = Math.min(writesPerSecond, b.tokens + (now - b.refilledAt) / 1e9 * writesPerSecond);
      b.refilledAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - b.tokens) / writesPerSecond));
    }
  }

  /** Counts a new WebSocket for the token; false (nothing counted) when it already holds the maximum. */
  boolean openConnection(Principal p) {
    if (p.tokenId() == null) {
      return true;
    }
    AtomicInteger n = connections.computeIfAbsent(p.tokenId(), id -> new AtomicInteger());
    if (n.incrementAndGet() > maxConnections) {
      n.decrementAndGet();
      return false;
    }
    return true;
  }

  void closeConnection(Principal p) {
    if (p.tokenId() != null) {
      AtomicInteger n = connections.get(p.tokenId());
      if (n != null) {
        n.decrementAndGet();
      }
    }
  }
}
