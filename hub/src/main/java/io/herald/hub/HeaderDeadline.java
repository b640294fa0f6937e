package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Closes a connection that has not finished the headers of its first request within the
 * deadline: the idle timeout alone lets a client that trickles one byte a minute hold a
 * connection (and a file descriptor) forever without ever authenticating. One sweep timer per
 * event loop, not one timer per connection. Confined to one event loop; connections of one
 * server instance stay on its loop.
 */
final class HeaderDeadline {

  private final Vertx vertx;
  private final long timeoutMs;
  /** Connections still waiting for their first request's headers, with when they were accepted. */
  private final Map<HttpConnection, Long> waiting = new HashMap<>();
  private long sweeper = -1;

  HeaderDeadline(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** Starts the sweep; call from the verticle's start, on its event loop. */
  void start() {
    if (timeoutMs > 0) {
      sweeper = vertx.setPeriodic(Math.max(50, timeoutMs / 4), t -> sweep());
    }
  }

  void connected(HttpConnection conn) {
    if (timeoutMs <= 0) {
      return;
    }
    // No close handler needed: a connection closed before its first request stays listed until
    // the sweep after its deadline, where closing it again is harmless.
    waiting.put(conn, System.nanoTime());
  }

  void requestStarted(HttpServerRequest req) {
    if (!waiting.isEmpty()) {
      waiting.remove(req.connection());
    }
  }

  private void sweep() {
    long cutoff = System.nanoTime() - timeoutMs * 1_000_000L;
    List<HttpConnection> late = new ArrayList<>();
    waiting.forEach((conn, since) -> {
      if (since < cutoff) {
        late.add(conn);
      }
    });
    for (HttpConnection conn : late) {
      waiting.remove(conn);
      conn.close();
    }
  }

  void stop() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
    }
  }
}
