package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 5, unit = TimeUnit.SECONDS)
@DisplayName("Per-token limits on a clock the test moves")
class TokenLimitsTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Principal writer = Principal.of("writer", "writer", List.of("*"), "token-1");

  private TokenLimits limits(int writesPerSecond, int maxConnections) {
    return new TokenLimits(writesPerSecond, maxConnections, now::get);
  }

  private void advanceMillis(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  @DisplayName("a token writes a burst of one second's rate, then waits the Retry-After it is told")
  void writeRate() {
    TokenLimits limits = limits(5, 10);
    for (int i = 0; i < 5; i++) {
      assertEquals(0, limits.acquireWrite(writer), "write " + i + " of the burst");
    }
    long retryAfter = limits.acquireWrite(writer);
    assertEquals(1, retryAfter);
    advanceMillis(retryAfter * 1000);
    assertEquals(0, limits.acquireWrite(writer));
  }

  @Test
  @DisplayName("the bucket refills at the rate, never past one second's worth")
  void refill() {
    TokenLimits limits = limits(10, 10);
    for (int i = 0; i < 10; i++) {
      limits.acquireWrite(writer);
    }
    assertTrue(limits.acquireWrite(writer) > 0);
    advanceMillis(100); // one write's worth
    assertEquals(0, limits.acquireWrite(writer));
    assertTrue(limits.acquireWrite(writer) > 0);
    advanceMillis(60_000);
    for (int i = 0; i < 10; i++) {
      assertEquals(0, limits.acquireWrite(writer), "write " + i + " after a long pause");
    }
    assertTrue(limits.acquireWrite(writer) > 0, "a long pause still allows one second's burst only");
  }

  @Test
  @DisplayName("the bootstrap admin and a rate of 0 are not limited")
  void exempt() {
    TokenLimits limits = limits(1, 1);
    for (int i = 0; i < 100; i++) {
      assertEquals(0, limits.acquireWrite(Principal.bootstrapAdmin()));
    }
    TokenLimits unlimited = limits(0, 1);
    for (int i = 0; i < 100; i++) {
      assertEquals(0, unlimited.acquireWrite(writer));
    }
  }

  @Test
  @DisplayName("a token holds at most the configured WebSockets, and closing one frees its place")
  void connections() {
    TokenLimits limits = limits(1, 2);
    assertTrue(limits.openConnection(writer));
    assertTrue(limits.openConnection(writer));
    assertFalse(limits.openConnection(writer));
    limits.closeConnection(writer);
    assertTrue(limits.openConnection(writer));
    assertTrue(limits.openConnection(Principal.bootstrapAdmin()), "the bootstrap admin is not counted");
  }
}
