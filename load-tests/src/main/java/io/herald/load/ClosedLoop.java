package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * W writers, each with one request in flight, for a warm-up and then a measured time: completed
 * requests per second and their latency (requests started during the warm-up are not counted).
 */
final class ClosedLoop {

  /** {@code firstFailure}: the first failed request's error (null when none failed), to tell what went wrong. */
  record Result(long done, long failed, String firstFailure, int seconds, Histogram latency) {
    long perSecond() {
      return Math.round(done / (double) seconds);
    }
  }

  private ClosedLoop() {
  }

  /** Blocking; {@code request.apply(writer)} makes writer {@code writer}'s next request. */
  static Result run(Vertx vertx, int writers, int warmupSeconds, int seconds, IntFunction<Future<?>> request)
      throws Exception {
    Histogram latency = new Histogram(60_000_000L, 3);
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
    long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    Promise<Void> finished = Promise.promise();
    AtomicLong running = new AtomicLong(writers);
    for (int w = 0; w < writers; w++) {
      int writer = w;
      vertx.runOnContext(v -> loop(writer, request, measureFrom, end, latency, done, failed, firstFailure, () -> {
        if (running.decrementAndGet() == 0) {
          finished.complete();
        }
      }));
    }
    finished.future().await(seconds + warmupSeconds + 60, TimeUnit.SECONDS);
    return new Result(done.get(), failed.get(), firstFailure.get(), seconds, latency);
  }

  private static void loop(int writer, IntFunction<Future<?>> request, long measureFrom, long end, Histogram latency,
                           AtomicLong done, AtomicLong failed,
                           java.util.concurrent.atomic.AtomicReference<String> firstFailure, Runnable stopped) {
    long now = System.nanoTime();
    if (now >= end) {
      stopped.run();
      return;
    }
    request.apply(writer).onComplete(ar -> {
      long t = System.nanoTime();
      if (now >= measureFrom) {
        if (ar.succeeded()) {
          done.incrementAndGet();
          synchronized (latency) {
            latency.recordValue(Math.min(latency.getHighestTrackableValue(), (t - now) / 1000));
          }
        } else {
          failed.incrementAndGet();
          firstFailure.compareAndSet(null, String.valueOf(ar.cause().getMessage()));
        }
      }
      loop(writer, request, measureFrom, end, latency, done, failed, firstFailure, stopped);
    });
  }
}
