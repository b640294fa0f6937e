package io.herald.load;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The floor: a bare Vert.x WebSocket broadcast server with no database, no acks and no ordering
 * logic, deployed like the hub (one verticle per core). {@code POST /broadcast?version=N} encodes
 * one delta frame and every verticle writes the same string to each of its sockets. Fan-out
 * reports divide the hub's figures by this one's, measured in the same run.
 */
public final class FloorServer extends VerticleBase {

  static final String ADDRESS = "floor.broadcast";
  private final List<ServerWebSocket> sockets = new ArrayList<>();
  private final int port;

  FloorServer(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new FloorServer(port),
            new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .onSuccess(id -> System.out.println("floor listening on " + port))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<String>localConsumer(ADDRESS, msg -> {
      String frame = msg.body();
      for (ServerWebSocket ws : sockets) {
        if (!ws.writeQueueFull()) {
          ws.writeTextMessage(frame);
        }
      }
    });
    return vertx.createHttpServer()
        .webSocketHandler(ws -> {
          sockets.add(ws);
          ws.closeHandler(v -> sockets.remove(ws));
          ws.textMessageHandler(text -> {
            if (text.contains("\"subscribe\"")) {
              JsonObject f = new JsonObject(text);
              ws.writeTextMessage(new JsonObject().put("type", "snapshot").put("namespace", f.getString("namespace"))
                  .put("version", 0).put("entries", new JsonObject()).encode());
            }
          });
        })
        .requestHandler(req -> {
          if (req.path().equals("/broadcast")) {
            long v = Long.parseLong(req.getParam("version"));
            String frame = new JsonObject().put("type", "delta").put("namespace", "bench.fanout").put("base", v - 1)
                .put("version", v).put("changes", new io.vertx.core.json.JsonArray()
                    .add(new JsonObject().put("key", "k").put("op", "put").put("value", v))).encode();
            vertx.eventBus().publish(ADDRESS, frame);
            req.response().end(new JsonObject().put("version", v).encode());
          } else if (req.path().equals("/ready")) {
            req.response().end("{\"status\":\"ready\"}");
          } else {
            req.response().setStatusCode(404).end();
          }
        })
        .listen(port, "127.0.0.1");
  }
}
