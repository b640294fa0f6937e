package io.herald.load;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The one write every scenario makes: a revision that puts one key. */
final class HubHttp {

  private HubHttp() {
  }

  /** Completes with the 201 body ({@code version}, {@code created_at}, …); fails on any other answer. */
  static Future<JsonObject> put(HttpClient http, String token, String ns, String key, Object value) {
    return put(http, token, ns, key, value, null);
  }

  /** As {@link #put(HttpClient, String, String, String, Object)}, going out under a rollout plan (null: none). */
  static Future<JsonObject> put(HttpClient http, String token, String ns, String key, Object value, JsonObject plan) {
    JsonObject revision = new JsonObject().put("changes", new JsonArray().add(new JsonObject().put("key", key)
        .put("op", "put").put("value", value)));
    if (plan != null) {
      revision.put("rollout", plan);
    }
    String body = revision.encode();
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/namespaces/" + ns + "/revisions")
            .putHeader("Authorization", "Bearer " + token).putHeader("Content-Type", "application/json"))
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() == 201
            ? Future.succeededFuture(b.toJsonObject())
            : Future.failedFuture("write failed: " + resp.statusCode() + " " + b)));
  }

  /**
   * The rollout state of {@code version} (its {@code applied} count and so on), answered once every
   * subscribed client's ack is durable or after 30 s.
   */
  static Future<JsonObject> acks(HttpClient http, String token, String ns, long version) {
    return get(http, token, "/v1/namespaces/" + ns + "/versions/" + version + "/acks?wait=30s&clients=none");
  }

  /** A GET's JSON body, whatever its status; waits up to 60 s for the answer (long polls). */
  static Future<JsonObject> get(HttpClient http, String token, String uri) {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).setIdleTimeout(60_000)
            .putHeader("Authorization", "Bearer " + token))
        .compose(req -> req.send()).compose(resp -> resp.body()).map(b -> b.toJsonObject());
  }
}
