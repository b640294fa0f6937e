package io.herald.hub;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One Vert.x event loop for unit tests of classes confined to theirs (feeds, writers, reads): each
 * step runs on it, timers included, and the test thread waits for the step. No server, no database.
 * A test class holds one as {@code @RegisterExtension static final EventLoop loop = new EventLoop();},
 * which closes it after the class.
 */
final class EventLoop implements AfterAllCallback {

  private static final long STEP_TIMEOUT_MS = 5_000;

  final Vertx vertx = Vertx.vertx();
  private final Context context = vertx.getOrCreateContext();

  /** Runs {@code step} on the loop and returns what it returns. */
  <T> T call(Supplier<T> step) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        done.complete(step.get());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      return done.get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new AssertionError("a step on the event loop took over " + STEP_TIMEOUT_MS + " ms");
    }
  }

  void run(Runnable step) {
    call(() -> {
      step.run();
      return null;
    });
  }

  /** Checks {@code condition} on the loop until it holds, for at most a few seconds. */
  void await(BooleanSupplier condition, String what) {
    long deadline = System.currentTimeMillis() + STEP_TIMEOUT_MS;
    while (!call(condition::getAsBoolean)) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.onSpinWait();
    }
  }

  /** Lets the loop run its timers for {@code ms}, for checks that something did not happen. */
  void idle(long ms) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> vertx.setTimer(ms, t -> done.complete(null)));
    done.orTimeout(ms + STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS).join();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    vertx.close().await();
  }
}
