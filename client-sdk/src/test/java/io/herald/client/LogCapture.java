package io.herald.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** What the client logs (logger io.herald.client.HeraldClient) while the capture is open. */
final class LogCapture extends Handler implements AutoCloseable {

  private final Logger logger = Logger.getLogger(HeraldClient.class.getName());
  final List<LogRecord> records = new CopyOnWriteArrayList<>();

  LogCapture() {
    logger.addHandler(this);
  }

  /** The messages logged at exactly {@code level} that contain {@code fragment}. */
  List<String> at(Level level, String fragment) {
    return records.stream().filter(r -> r.getLevel().equals(level)).map(LogRecord::getMessage)
        .filter(m -> m.contains(fragment)).toList();
  }

  @Override
  public void publish(LogRecord record) {
    records.add(record);
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
