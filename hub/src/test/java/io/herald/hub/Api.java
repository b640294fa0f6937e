package io.herald.hub;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.Map;

/** A blocking HTTP client for tests: each call waits for the real response. */
final class Api {

  private final WebClient client;
  private final String token;

  Api(Vertx vertx, int port, String token) {
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(64));
    this.token = token;
  }

  HttpRequest<Buffer> request(HttpMethod method, String path) {
    HttpRequest<Buffer> r = client.request(method, path);
    if (token != null) {
      r.bearerTokenAuthentication(token);
    }
    return r;
  }

  HttpResponse<Buffer> get(String path) {
    return request(HttpMethod.GET, path).send().await();
  }

  HttpResponse<Buffer> send(HttpMethod method, String path, String body, Map<String, String> headers) {
    HttpRequest<Buffer> r = request(method, path);
    headers.forEach(r::putHeader);
    return (body == null ? r.send() : r.sendBuffer(Buffer.buffer(body))).await();
  }

  HttpResponse<Buffer> post(String path, JsonObject body) {
    return request(HttpMethod.POST, path).sendJsonObject(body).await();
  }

  /** A revision request of puts: {@code changes("a", 1, "b", 2)}. */
  static JsonObject changes(Object... keyValues) {
    JsonArray changes = new JsonArray();
    for (int i = 0; i < keyValues.length; i += 2) {
      changes.add(new JsonObject().put("key", keyValues[i]).put("op", "put").put("value", keyValues[i + 1]));
    }
    return new JsonObject().put("changes", changes);
  }

  /** Appends one revision of puts and returns its version; fails the test on anything but 201. */
  long write(String ns, Object... keyValues) {
    HttpResponse<Buffer> r = post("/v1/namespaces/" + ns + "/revisions", changes(keyValues));
    if (r.statusCode() != 201) {
      throw new AssertionError("write failed: " + r.statusCode() + " " + r.bodyAsString());
    }
    return r.bodyAsJsonObject().getLong("version");
  }

  JsonObject json(String path) {
    HttpResponse<Buffer> r = get(path);
    if (r.statusCode() != 200) {
      throw new AssertionError("GET " + path + " -> " + r.statusCode() + " " + r.bodyAsString());
    }
    return r.bodyAsJsonObject();
  }

  void close() {
    client.close();
  }
}
