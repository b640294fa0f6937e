package io.herald.hub;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Failure log during outages")
class FailureLogTest {

  private final List<LogRecord> records = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final FailureLog log;

  FailureLogTest() {
    Logger logger = Logger.getLogger("test.failures." + System.nanoTime());
    logger.setUseParentHandlers(false);
    logger.setLevel(Level.ALL);
    logger.addHandler(new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          records.add(r);
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    });
    log = new FailureLog(logger, 10_000, now::get);
  }

  @Test
  @DisplayName("a thousand failures of one kind in an interval make one line at once and one line with the count")
  void oneLinePerKindPerInterval() {
    for (int i = 0; i < 1_000; i++) {
      log.report("database unavailable", new ConnectException("Connection refused"));
    }
    assertEquals(1, records.size());
    assertTrue(records.get(0).getMessage().contains("Connection refused"), records.get(0).getMessage());
    assertNull(records.get(0).getThrown(), "no stack trace for an outage");
    log.flush();
    assertEquals(1, records.size(), "the interval has not ended");
    now.addAndGet(10_000);
    log.flush();
    assertEquals(2, records.size());
    assertTrue(records.get(1).getMessage().contains("999 more"), records.get(1).getMessage());
    log.flush();
    assertEquals(2, records.size(), "counts are reported once");
  }

  @Test
  @DisplayName("kinds are counted apart, and bugs carry their stack trace on their first line")
  void kinds() {
    log.report("database unavailable", new ConnectException("refused"));
    log.report("internal error", new IllegalStateException("bug"), true);
    log.report("internal error", new IllegalStateException("bug"), true);
    assertEquals(2, records.size());
    assertTrue(records.get(1).getThrown() instanceof IllegalStateException);
    now.addAndGet(10_001);
    log.report("internal error", new IllegalStateException("bug again"), true);
    assertEquals(4, records.size(), "the count of the last interval, then the new first failure");
    assertTrue(records.get(2).getMessage().contains("1 more"), records.get(2).getMessage());
  }
}
