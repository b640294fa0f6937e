package io.herald.hub;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * One asynchronous read at a time for something that watches the database: a request while a
 * read is in flight is remembered, and the read runs once more when it returns, however many
 * requests came meanwhile. With a minimum interval, a read starts at the earliest that long after
 * the previous one returned, and covers every request made while it waited. Confined to one event
 * loop.
 */
final class CoalescedRead<T> {

  private final Vertx vertx;
  private final long minIntervalMs;
  private final Supplier<Future<T>> read;
  private final Handler<AsyncResult<T>> onResult;
  private boolean busy;
  private boolean again;
  private boolean stopped;
  private long lastReturnedAt;

  /** Reads as soon as asked. */
  CoalescedRead(Supplier<Future<T>> read, Handler<AsyncResult<T>> onResult) {
    this(null, 0, read, onResult);
  }

  /** Reads at most once per {@code minIntervalMs}, timed on {@code vertx}. */
  CoalescedRead(Vertx vertx, long minIntervalMs, Supplier<Future<T>> read, Handler<AsyncResult<T>> onResult) {
    this.vertx = vertx;
    this.minIntervalMs = minIntervalMs;
    this.read = read;
    this.onResult = onResult;
  }

  /** Reads now, or once more after the read in flight (or the interval) is over. */
  void request() {
    if (stopped) {
      return;
    }
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    long wait = minIntervalMs > 0 ? lastReturnedAt + minIntervalMs - System.currentTimeMillis() : 0;
    if (wait > 0) {
      vertx.setTimer(wait, t -> {
        busy = false;
        request();
      });
      return;
    }
    again = false; // this read covers every request made until now
    read.get().onComplete(ar -> {
      busy = false;
      lastReturnedAt = System.currentTimeMillis();
      if (stopped) {
        return;
      }
      onResult.handle(ar);
      if (again && !stopped) {
        request();
      }
    });
  }

  /** True inside the result handler when a newer read will follow: this result is already outdated. */
  boolean rerunPending() {
    return again;
  }

  /** No read starts any more, and the result of one in flight is dropped. */
  void stop() {
    stopped = true;
  }
}
