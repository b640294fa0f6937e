package io.herald.client;

import io.herald.hub.HubNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A proxy between an SDK client and a hub, on its own Vert.x instance: forwards HTTP requests and
 * WebSockets (handshake refusals included), counts every request it receives, and can rewrite or
 * drop the text frames the hub sends to the client, to inject drift.
 */
final class TestProxy implements AutoCloseable {

  final int port = HubNode.freePort();
  /** Every HTTP request and WebSocket handshake received. */
  final AtomicInteger requests = new AtomicInteger();
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private volatile UnaryOperator<String> toClient = UnaryOperator.identity();

  TestProxy(int hubPort) {
    HttpClient http = vertx.createHttpClient();
    WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024));
    server = vertx.createHttpServer().requestHandler(req -> {
      requests.incrementAndGet();
      if (req.headers().contains("Upgrade", "websocket", true)) {
        webSocket(req, ws, hubPort);
      } else {
        forward(req, http, hubPort);
      }
    }).listen(port, "127.0.0.1").await();
  }

  /** Hub → client text frames go through {@code f}; null drops the frame. */
  void toClient(UnaryOperator<String> f) {
    this.toClient = f;
  }

  String url() {
    return Hubs.url(port);
  }

  private void webSocket(HttpServerRequest req, WebSocketClient ws, int hubPort) {
    req.pause();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(hubPort).setURI(req.uri());
    String auth = req.getHeader("Authorization");
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    ws.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        int status = ar.cause() instanceof UpgradeRejectedException r ? r.getStatus() : 502;
        Buffer body = ar.cause() instanceof UpgradeRejectedException r && r.getBody() != null ? r.getBody() : Buffer.buffer();
        req.response().setStatusCode(status).end(body);
        return;
      }
      var up = ar.result();
      req.toWebSocket().onSuccess(down -> {
        up.textMessageHandler(text -> {
          String out = toClient.apply(text);
          if (out != null) {
            down.writeTextMessage(out);
          }
        });
        down.textMessageHandler(up::writeTextMessage);
        up.closeHandler(v -> down.close());
        down.closeHandler(v -> up.close());
      }).onFailure(e -> up.close());
    });
  }

  private static void forward(HttpServerRequest req, HttpClient http, int hubPort) {
    req.body()
        .compose(body -> http.request(new RequestOptions().setMethod(req.method()).setHost("127.0.0.1").setPort(hubPort)
                .setURI(req.uri()).setHeaders(req.headers()).setIdleTimeout(60_000))
            .compose(up -> up.send(body)))
        .compose(resp -> resp.body().map(b -> {
          req.response().setStatusCode(resp.statusCode());
          for (String h : new String[] {"Content-Type", "ETag", "X-Herald-Digest", "WWW-Authenticate"}) {
            if (resp.getHeader(h) != null) {
              req.response().putHeader(h, resp.getHeader(h));
            }
          }
          req.response().end(b);
          return b;
        }))
        .onFailure(e -> req.response().setStatusCode(502).end());
  }

  @Override
  public void close() {
    server.close().await();
    vertx.close().await();
  }
}
