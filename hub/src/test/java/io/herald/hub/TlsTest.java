package io.herald.hub;

import io.herald.db.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** HTTPS and WSS with a self-signed certificate made by the test. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("TLS for HTTP and WebSocket")
class TlsTest {

  private static TestDatabase db;
  private static HeraldHub hub;
  private static SelfSignedCertificate cert;

  @BeforeAll
  static void start() {
    cert = SelfSignedCertificate.create("localhost");
    db = TestDatabase.create(TlsTest.class);
    hub = TestHub.startOn(db, Map.of("HERALD_TLS_CERT", cert.certificatePath(), "HERALD_TLS_KEY", cert.privateKeyPath()));
  }

  @AfterAll
  static void stop() {
    hub.stop().await();
    db.close();
    cert.delete();
  }

  @Test
  @DisplayName("clients that trust the certificate talk HTTPS and WSS; plain HTTP and untrusting clients get nowhere")
  void handshake(Vertx vertx) throws Exception {
    WebClient https = WebClient.create(vertx, new WebClientOptions().setSsl(true).setTrustOptions(cert.trustOptions())
        .setVerifyHost(false).setDefaultHost("127.0.0.1").setDefaultPort(hub.port()));
    HttpResponse<Buffer> health = https.get("/health").send().await();
    assertEquals(200, health.statusCode());
    HttpResponse<Buffer> write = https.post("/v1/namespaces/tls.ns/revisions").bearerTokenAuthentication(TestHub.TOKEN)
        .sendJsonObject(new JsonObject().put("changes", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("key", "k").put("op", "put").put("value", "secret")))).await();
    assertEquals(201, write.statusCode());

    WebSocketClient wss = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(cert.trustOptions()).setVerifyHost(false));
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    var ws = wss.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(hub.port()).setURI("/v1/ws")
        .putHeader("Authorization", "Bearer " + TestHub.TOKEN)).await();
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    ws.writeTextMessage("{\"type\":\"hello\",\"client_id\":\"tls-client\"}");
    ws.writeTextMessage("{\"type\":\"subscribe\",\"namespace\":\"tls.ns\"}");
    assertEquals("welcome", frames.poll(10, TimeUnit.SECONDS).getString("type"));
    JsonObject snapshot = frames.poll(10, TimeUnit.SECONDS);
    assertNotNull(snapshot);
    assertEquals("secret", snapshot.getJsonObject("entries").getString("k"));
    ws.close().await();

    WebClient plain = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(hub.port()));
    assertThrows(RuntimeException.class, () -> plain.get("/health").timeout(5_000).send().await());
    WebClient untrusting = WebClient.create(vertx, new WebClientOptions().setSsl(true).setDefaultHost("127.0.0.1")
        .setDefaultPort(hub.port()));
    assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> untrusting.get("/health").send().await());
    https.close();
    plain.close();
    untrusting.close();
    wss.close();
  }
}
