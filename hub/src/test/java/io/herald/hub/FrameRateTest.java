package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static io.herald.hub.FrameRate.Verdict.ACCEPT;
import static io.herald.hub.FrameRate.Verdict.CLOSE;
import static io.herald.hub.FrameRate.Verdict.DROP;
import static io.herald.hub.FrameRate.Verdict.WARN;
import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Per-connection frame rate limit")
class FrameRateTest {

  private static final long MS = 1_000_000L;

  @Test
  @DisplayName("a burst is accepted, the next frame warns once, then frames drop silently")
  void burstThenWarnThenDrop() {
    FrameRate rate = new FrameRate(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      assertEquals(ACCEPT, rate.onFrame(0));
    }
    assertEquals(WARN, rate.onFrame(0));
    assertEquals(DROP, rate.onFrame(0));
  }

  @Test
  @DisplayName("tokens come back at the configured rate")
  void refill() {
    FrameRate rate = new FrameRate(10, 1, 0);
    assertEquals(ACCEPT, rate.onFrame(0));
    assertEquals(WARN, rate.onFrame(50 * MS));
    assertEquals(ACCEPT, rate.onFrame(150 * MS));
  }

  @Test
  @DisplayName("more than a burst of dropped frames within a second closes the connection")
  void closesAbusers() {
    FrameRate rate = new FrameRate(10, 3, 0);
    for (int i = 0; i < 3; i++) {
      assertEquals(ACCEPT, rate.onFrame(0));
    }
    assertEquals(WARN, rate.onFrame(1));
    assertEquals(DROP, rate.onFrame(2));
    assertEquals(DROP, rate.onFrame(3));
    assertEquals(CLOSE, rate.onFrame(4));
  }

  @Test
  @DisplayName("a client that slows down after a warning is warned again next second, not closed")
  void newWindow() {
    FrameRate rate = new FrameRate(1, 1, 0);
    assertEquals(ACCEPT, rate.onFrame(0));
    assertEquals(WARN, rate.onFrame(10 * MS));
    assertEquals(ACCEPT, rate.onFrame(1_100 * MS));
    assertEquals(WARN, rate.onFrame(1_200 * MS));
  }

  @Test
  @DisplayName("a rate of 0 turns the limit off")
  void off() {
    FrameRate rate = new FrameRate(0, 1, 0);
    for (int i = 0; i < 10_000; i++) {
      assertEquals(ACCEPT, rate.onFrame(0));
    }
  }
}
