package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * etcd's gRPC API through Vert.x's own gRPC client, messages encoded by {@link EtcdWire}: a Put, and
 * N watchers of one key, each on its own HTTP/2 connection (as N separate applications would be),
 * recording when each receives each write. A write's value is its number (1..W), which is how a
 * watcher's event is matched to its write.
 */
final class EtcdClients {

  private static final int IN_FLIGHT = 200;

  private EtcdClients() {
  }

  /** A client for Puts: one HTTP/2 connection, requests multiplexed on it (what etcd's own clients do). */
  static GrpcClient writer(Vertx vertx) {
    return GrpcClient.client(vertx);
  }

  /** Puts {@code value} at {@code key}; completes with the new revision, fails on any gRPC error. */
  static Future<Long> put(GrpcClient client, SocketAddress server, byte[] key, byte[] value) {
    return client.request(server)
        .compose(req -> req.fullMethodName("etcdserverpb.KV/Put").send(EtcdWire.putRequest(key, value)))
        .compose(resp -> resp.last().compose(msg -> resp.status() == null || resp.status() == GrpcStatus.OK
            ? Future.succeededFuture(EtcdWire.putResponseRevision(msg))
            : Future.failedFuture("etcd Put failed: " + resp.status() + " " + resp.statusMessage())));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** N watchers of one key. */
  static final class Watchers {
    private final int count;
    private final Receipts receipts;
    private final HttpClient http;
    private final GrpcClient grpc;

    /** Connections come from {@code localAddress} (127.0.0.x), so phases do not share source ports. */
    Watchers(Vertx vertx, int count, int writes, String localAddress) {
      this.count = count;
      this.receipts = new Receipts(count, writes);
      // One connection per stream: a multiplexing limit of 1 and a pool as large as the watchers.
      this.http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
              .setHttp2ClearTextUpgrade(false).setHttp2MultiplexingLimit(1).setConnectTimeout(60_000)
              .setLocalAddress(localAddress),
          new PoolOptions().setHttp2MaxSize(count + 10));
      this.grpc = GrpcClient.client(vertx, http);
    }

    Receipts receipts() {
      return receipts;
    }

    /** Blocking: opens every watch ({@value IN_FLIGHT} at a time) and waits until etcd says each is created. */
    void connect(SocketAddress server, byte[] key) throws Exception {
      for (int start = 0; start < count; start += IN_FLIGHT) {
        List<Future<?>> batch = new ArrayList<>();
        for (int i = start; i < Math.min(count, start + IN_FLIGHT); i++) {
          batch.add(watch(server, key, i));
        }
        Future.all(batch).await(300, TimeUnit.SECONDS);
      }
    }

    private Future<Void> watch(SocketAddress server, byte[] key, int id) {
      Promise<Void> created = Promise.promise();
      grpc.request(server).compose(req -> {
        req.fullMethodName("etcdserverpb.Watch/Watch");
        req.write(EtcdWire.watchCreateRequest(key, 0));
        return req.response().map(resp -> {
          resp.handler(msg -> {
            long now = System.nanoTime();
            EtcdWire.WatchResponse r = EtcdWire.watchResponse(msg);
            if (r.created()) {
              created.tryComplete();
            }
            if (r.canceled()) {
              created.tryFail("etcd cancelled the watch: " + r.cancelReason());
            }
            for (EtcdWire.Event e : r.events()) {
              receipts.record(id, Long.parseLong(e.kv().valueText()), now);
            }
          });
          resp.endHandler(v -> created.tryFail("etcd ended the watch stream: " + resp.status()));
          resp.exceptionHandler(created::tryFail);
          return req;
        });
      }).onFailure(created::tryFail);
      return created.future();
    }

    /** Closes every watcher's connection. */
    void close() throws java.util.concurrent.TimeoutException {
      http.close().await(60, TimeUnit.SECONDS);
    }
  }

  /** Writes to etcd as the fan-out's publisher: value {@code w} for write {@code w}. */
  static Future<Long> publish(GrpcClient writer, SocketAddress server, byte[] key, int w) {
    return put(writer, server, key, bytes(Integer.toString(w)));
  }
}
