package io.herald.hub;

import io.herald.db.Database;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.herald.hub.Api.changes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps docs/openapi.yaml true: it describes exactly the routes of the hub's router, the hub
 * serves it, and real requests to a real hub provoke every documented status and error code,
 * each answer matching its documented schema, content type and required headers.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("docs/openapi.yaml describes the hub's routes and answers")
class OpenApiTest {

  private static final Path SPEC_FILE = Path.of(System.getProperty("user.dir")).resolve("../docs/openapi.yaml");
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
  /** What no cheap request provokes: PostgreSQL failing, a bug, a hub that is not ready. */
  private static final Set<String> NOT_PROVOKED_CODES = Set.of("database_unavailable", "internal");
  private static final Set<String> NOT_PROVOKED = Set.of("GET /ready 503");
  private static final Set<String> CODES_WITH_HEAD = Set.of("version_conflict", "version_not_found");
  /** Error codes whose body may carry details beyond error and message (DetailedError). */
  private static final Map<String, Set<String>> CODE_DETAILS = Map.of(
      "schema_violation", Set.of("errors", "schema_version", "head", "dry_run", "namespace", "base", "version", "kind",
          "diff", "valid", "rollout"),
      "invalid_schema", Set.of("errors"),
      "invalid_yaml", Set.of("line", "column"),
      "invalid_properties", Set.of("line", "column"),
      "duplicate_key", Set.of("line", "column"),
      "invalid_key", Set.of("line", "column"));
  private static final String NS = "/v1/namespaces/api.ns";
  private static final String JSON = "application/json";

  private static Map<String, Object> spec;
  private static TestHub hub;
  private static WebClient web;
  private static Vertx vertx;

  /** One answer of the hub, from HTTP or from a WebSocket handshake. */
  private record Answer(String method, String uri, int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final List<String> problems = new ArrayList<>();
  private final Set<String> covered = new TreeSet<>();

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    spec = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(SPEC_FILE));
    // A write rate of 1/s, one WebSocket and one client row per scoped token make 429s cheap; the
    // admin token is exempt.
    hub = TestHub.start(OpenApiTest.class, Map.of("HERALD_WRITE_RATE_PER_TOKEN", "1",
        "HERALD_MAX_CONNECTIONS_PER_TOKEN", "1", "HERALD_MAX_CLIENT_ROWS_PER_TOKEN", "1"));
    web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(hub.port()));
  }

  @AfterAll
  static void stop() {
    web.close();
    hub.close();
  }

  @Test
  @DisplayName("every route of the hub's router is described, and every described operation is a route")
  void describesEveryRoute() {
    Map<String, String> env = Map.of("HERALD_HTTP_PORT", "0", "HERALD_HTTP_HOST", "127.0.0.1",
        "HERALD_DB_URL", hub.db.url(), "HERALD_ADMIN_TOKEN", TestHub.TOKEN, "HERALD_NODE_ID", "routes");
    Pool pool = Database.pool(vertx, hub.db.url(), 1);
    HttpVerticle verticle = new HttpVerticle(HubOptions.fromEnv(env), pool,
        new HubMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), ClusterStatus.SINGLE, new TokenLimits(1, 1, System::nanoTime), new FailureLog(60_000),
        new FrameCheck.Published(false), new RolloutControl(vertx, new RolloutRegistry(),
            new io.herald.db.RolloutStore(pool), new io.herald.db.ConfigStore(pool), (r, text) -> { }));
    String id = vertx.deployVerticle(verticle).await();
    Set<String> routed = new TreeSet<>();
    try {
      for (Route r : verticle.router.getRoutes()) {
        if (r.methods() == null || r.methods().isEmpty()) {
          // Handlers for every method of a prefix (the failure handler, the token check on /v1/*, the
          // form refusal on /v1/namespaces/:ns/*) pass requests on; they answer no request of their own.
          assertTrue(r.getPath() == null || !r.isExactPath(), "a route for every method of " + r.getPath());
          continue;
        }
        String path = r.getPath() + (r.isExactPath() ? "" : "*");
        r.methods().forEach(m -> routed.add(m.name() + " " + path));
      }
    } finally {
      vertx.undeploy(id).await();
      pool.close().await();
    }
    Set<String> described = new TreeSet<>();
    paths().forEach((path, item) -> {
      String route = item.containsKey("x-herald-route")
          ? (String) item.get("x-herald-route") : path.replaceAll("\\{([^}]+)}", ":$1");
      METHODS.stream().filter(item::containsKey).forEach(m -> described.add(m.toUpperCase() + " " + route));
    });
    Set<String> undescribed = new TreeSet<>(routed);
    undescribed.removeAll(described);
    Set<String> unrouted = new TreeSet<>(described);
    unrouted.removeAll(routed);
    assertTrue(undescribed.isEmpty() && unrouted.isEmpty(), "routes docs/openapi.yaml does not describe: " + undescribed
        + "; operations it describes that HttpVerticle does not route: " + unrouted);
  }

  @Test
  @DisplayName("the hub serves docs/openapi.yaml as it is, without a token")
  void servesTheDescription() throws Exception {
    HttpResponse<Buffer> r = web.get("/openapi.yaml").send().await();
    assertEquals(200, r.statusCode());
    assertEquals("application/yaml", r.getHeader("Content-Type"));
    assertEquals(Files.readString(SPEC_FILE), r.bodyAsString());
  }

  @Test
  @DisplayName("every documented status and error code is provoked, and each answer matches its description")
  void answersAsDescribed() throws Exception {
    // Data: api.ns at version 2, and scoped tokens for 403s, 429s and revocation.
    check(call("POST", NS + "/revisions", TestHub.TOKEN, changes("a", 1, "b", 2).put("message", "first").encode()), 201, null);
    check(call("PUT", NS + "/entries/a", TestHub.TOKEN, "{\"size\":20}", "Content-Type", JSON, "If-Match", "\"1\""), 200, null);
    String outsider = token("outsider", "client", "other.*");
    String writer = token("rl-writer", "writer", "rl.*");
    String follower = token("ws-client", "client", "*");
    String revoked = check(call("POST", "/v1/tokens", TestHub.TOKEN, tokenRequest("to-revoke", "reader", "x.*")), 201, null)
        .json().getString("id");
    String tooLarge = "x".repeat(Limits.MAX_REVISION_BYTES + 1);
    String hugeValue = "\"" + "v".repeat(Limits.MAX_VALUE_BYTES) + "\"";
    String longMessage = "m".repeat(Limits.MAX_MESSAGE_CHARS + 1);
    String nul = "\"a\\u0000b\"";
    String form = "application/x-www-form-urlencoded";

    // Every /v1 operation: no token is 401; a client token for other.* is 403, except where any token may call.
    Set<String> anyToken = Set.of("GET /v1/namespaces", "GET /v1/ws");
    List<List<String>> samples = List.of(
        List.of("GET", "/v1/namespaces", ""), List.of("GET", NS, ""), List.of("GET", NS + "/entries/b", ""),
        List.of("PUT", NS + "/entries/k", "1"), List.of("DELETE", NS + "/entries/a", ""),
        List.of("POST", NS + "/revisions", changes("k", 1).encode()), List.of("GET", NS + "/revisions", ""),
        List.of("GET", NS + "/revisions/1", ""), List.of("GET", NS + "/diff?from=1", ""),
        List.of("POST", NS + "/rollback", "{\"to_version\":1}"), List.of("GET", NS + "/watch", ""),
        List.of("GET", NS + "/clients", ""), List.of("GET", NS + "/versions/1/acks", ""),
        List.of("POST", NS + "/versions/1/acks", "{\"client_id\":\"c\",\"status\":\"applied\"}"), List.of("GET", "/v1/ws", ""),
        List.of("POST", "/v1/tokens", tokenRequest("t", "client", "a.*")), List.of("GET", "/v1/tokens", ""),
        List.of("DELETE", "/v1/tokens/" + revoked, ""), List.of("GET", "/v1/audit", ""),
        List.of("GET", NS + "/rollout-policy", ""), List.of("PUT", NS + "/rollout-policy", "{\"steps\":[{\"percent\":5}]}"),
        List.of("DELETE", NS + "/rollout-policy", ""), List.of("GET", NS + "/rollouts", ""),
        List.of("GET", NS + "/rollouts/1", ""), List.of("POST", NS + "/rollouts/1/promote", ""),
        List.of("POST", NS + "/rollouts/1/pause", ""), List.of("POST", NS + "/rollouts/1/resume", ""),
        List.of("POST", NS + "/rollouts/1/abort", ""),
        List.of("PUT", NS, "{}"), List.of("GET", NS + "/schema", ""), List.of("PUT", NS + "/schema", "{}"),
        List.of("DELETE", NS + "/schema", ""), List.of("GET", NS + "/schema/history", ""));
    for (List<String> s : samples) {
      String body = s.get(2).isEmpty() ? null : s.get(2);
      check(call(s.get(0), s.get(1), null, body), 401, "unauthorized");
      if (!anyToken.contains(s.get(0) + " " + s.get(1))) {
        check(call(s.get(0), s.get(1), outsider, body), 403, "forbidden");
      }
    }

    // GET /v1/namespaces
    check(call("GET", "/v1/namespaces", TestHub.TOKEN, null), 200, null);

    // GET /v1/namespaces/{ns}
    check(call("GET", NS, TestHub.TOKEN, null), 200, null);
    check(call("GET", NS, TestHub.TOKEN, null, "If-None-Match", "\"2\""), 304, null);
    check(call("GET", "/v1/namespaces/Bad", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "?version=x", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", NS + "?client_id=-x", TestHub.TOKEN, null), 400, "invalid_client_id");
    check(call("GET", "/v1/namespaces/nope.ns", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", NS + "?version=99", TestHub.TOKEN, null), 404, "version_not_found");

    // GET /v1/namespaces/{ns}/entries/{key}
    check(call("GET", NS + "/entries/b", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/entries/b", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "/entries/-b", TestHub.TOKEN, null), 400, "invalid_key");
    check(call("GET", NS + "/entries/b?version=x", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", "/v1/namespaces/nope.ns/entries/b", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", NS + "/entries/b?version=99", TestHub.TOKEN, null), 404, "version_not_found");
    check(call("GET", NS + "/entries/zzz", TestHub.TOKEN, null), 404, "key_not_found");

    // PUT /v1/namespaces/{ns}/entries/{key} (200 above)
    check(call("PUT", "/v1/namespaces/Bad/entries/k", TestHub.TOKEN, "1", "Content-Type", JSON), 400, "invalid_namespace");
    check(call("PUT", NS + "/entries/-k", TestHub.TOKEN, "1", "Content-Type", JSON), 400, "invalid_key");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "{", "Content-Type", JSON), 400, "invalid_json");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1e400", "Content-Type", JSON), 400, "invalid_value");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1", "Content-Type", JSON, "If-Match", "x"), 400, "invalid_parameter");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, nul, "Content-Type", JSON), 400, "unsupported_value");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1", "Content-Type", JSON, "X-Herald-Message", "\u00ff"), 400,
        "invalid_header");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "{\"a\":1,\"a\":2}", "Content-Type", JSON), 400, "invalid_json");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1e-400", "Content-Type", JSON), 400, "invalid_value");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1", "Content-Type", JSON, "If-Match", "\"1\""), 409, "version_conflict");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, tooLarge, "Content-Type", JSON), 413, "payload_too_large");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, hugeValue, "Content-Type", JSON), 413, "value_too_large");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "a=1", "Content-Type", form), 415, "unsupported_media_type");
    check(call("PUT", NS + "/entries/k", TestHub.TOKEN, "1", "Content-Type", JSON, "X-Herald-Message", longMessage),
        422, "message_too_long");
    check(rateLimited(writer, "PUT", "/v1/namespaces/rl.ns/entries/k"), 429, "rate_limited");

    // DELETE /v1/namespaces/{ns}/entries/{key}
    check(call("DELETE", NS + "/entries/b", TestHub.TOKEN, null), 200, null);
    check(call("DELETE", "/v1/namespaces/Bad/entries/a", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("DELETE", NS + "/entries/-a", TestHub.TOKEN, null), 400, "invalid_key");
    check(call("DELETE", NS + "/entries/a", TestHub.TOKEN, null, "If-Match", "x"), 400, "invalid_parameter");
    check(call("DELETE", NS + "/entries/a", TestHub.TOKEN, null, "X-Herald-Message", "\u00ff"), 400, "invalid_header");
    check(call("DELETE", NS + "/entries/zzz", TestHub.TOKEN, null), 404, "key_not_found");
    check(call("DELETE", NS + "/entries/a", TestHub.TOKEN, null, "If-Match", "\"1\""), 409, "version_conflict");
    check(call("DELETE", NS + "/entries/a", TestHub.TOKEN, null, "X-Herald-Message", longMessage), 422, "message_too_long");
    check(rateLimited(writer, "DELETE", "/v1/namespaces/rl.ns/entries/k"), 429, "rate_limited");

    // POST /v1/namespaces/{ns}/revisions (201 above)
    String revisions = NS + "/revisions";
    check(call("POST", "/v1/namespaces/Bad/revisions", TestHub.TOKEN, changes("k", 1).encode()), 400, "invalid_namespace");
    check(call("POST", revisions, TestHub.TOKEN, "nope"), 400, "invalid_json");
    check(call("POST", revisions, TestHub.TOKEN, "[]"), 400, "invalid_request");
    check(call("POST", revisions, TestHub.TOKEN, changes("-k", 1).encode()), 400, "invalid_key");
    check(call("POST", revisions, TestHub.TOKEN, "{\"changes\":[{\"key\":\"k\",\"op\":\"put\",\"value\":1e400}]}"), 400, "invalid_value");
    check(call("POST", revisions, TestHub.TOKEN, changes("k", 1).encode(), "If-Match", "x"), 400, "invalid_parameter");
    check(call("POST", revisions, TestHub.TOKEN, "{\"changes\":[{\"key\":\"k\",\"op\":\"put\",\"value\":" + nul + "}]}"),
        400, "unsupported_value");
    check(call("POST", revisions, TestHub.TOKEN, "{\"changes\":[{\"key\":\"zzz\",\"op\":\"delete\"}]}"), 404, "key_not_found");
    check(call("POST", revisions, TestHub.TOKEN, changes("k", 1).put("expected_version", 1).encode()), 409, "version_conflict");
    check(call("POST", revisions, TestHub.TOKEN, tooLarge), 413, "payload_too_large");
    check(call("POST", revisions, TestHub.TOKEN, "{\"changes\":[{\"key\":\"k\",\"op\":\"put\",\"value\":" + hugeValue + "}]}"),
        413, "value_too_large");
    check(call("POST", revisions, TestHub.TOKEN, "a=1", "Content-Type", form), 415, "unsupported_media_type");
    check(call("POST", revisions, TestHub.TOKEN, "{\"changes\":[]}"), 422, "no_changes");
    Object[] many = new Object[2 * (Limits.MAX_CHANGES + 1)];
    for (int i = 0; i < many.length; i += 2) {
      many[i] = "k" + i;
      many[i + 1] = i;
    }
    check(call("POST", revisions, TestHub.TOKEN, changes(many).encode()), 422, "too_many_changes");
    check(call("POST", revisions, TestHub.TOKEN, changes("k", 1, "k", 2).encode()), 422, "duplicate_key");
    check(call("POST", revisions, TestHub.TOKEN, changes("k", 1).put("message", longMessage).encode()), 422, "message_too_long");
    check(rateLimited(writer, "POST", "/v1/namespaces/rl.ns/revisions"), 429, "rate_limited");

    // GET /v1/namespaces/{ns}/revisions and /revisions/{version}
    check(call("GET", revisions + "?limit=1", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/revisions", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", revisions + "?limit=0", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", "/v1/namespaces/nope.ns/revisions", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", revisions + "/2", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/revisions/1", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", revisions + "/x", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", "/v1/namespaces/nope.ns/revisions/1", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", revisions + "/99", TestHub.TOKEN, null), 404, "version_not_found");

    // GET /v1/namespaces/{ns}/diff
    check(call("GET", NS + "/diff?from=1&to=2", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/diff?from=1", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "/diff", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", NS + "/diff?from=2&to=1", TestHub.TOKEN, null), 400, "invalid_range");
    check(call("GET", "/v1/namespaces/nope.ns/diff?from=0", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", NS + "/diff?from=0&to=99", TestHub.TOKEN, null), 404, "version_not_found");

    // POST /v1/namespaces/{ns}/rollback
    String rollback = NS + "/rollback";
    check(call("POST", rollback, TestHub.TOKEN, "{\"to_version\":1}"), 201, null);
    check(call("POST", "/v1/namespaces/Bad/rollback", TestHub.TOKEN, "{\"to_version\":1}"), 400, "invalid_namespace");
    check(call("POST", rollback, TestHub.TOKEN, "{"), 400, "invalid_json");
    check(call("POST", rollback, TestHub.TOKEN, "{}"), 400, "invalid_request");
    check(call("POST", rollback, TestHub.TOKEN, "{\"to_version\":1,\"message\":" + nul + "}"), 400, "unsupported_value");
    check(call("POST", "/v1/namespaces/nope.ns/rollback", TestHub.TOKEN, "{\"to_version\":1}"), 404, "namespace_not_found");
    check(call("POST", rollback, TestHub.TOKEN, "{\"to_version\":99}"), 404, "version_not_found");
    check(call("POST", rollback, TestHub.TOKEN, "{\"to_version\":1,\"expected_version\":1}"), 409, "version_conflict");
    check(call("POST", rollback, TestHub.TOKEN, tooLarge), 413, "payload_too_large");
    check(call("POST", rollback, TestHub.TOKEN, "a=1", "Content-Type", form), 415, "unsupported_media_type");
    check(call("POST", rollback, TestHub.TOKEN, new JsonObject().put("to_version", 1).put("message", longMessage).encode()),
        422, "message_too_long");
    check(rateLimited(writer, "POST", "/v1/namespaces/rl.ns/rollback"), 429, "rate_limited");

    // GET /v1/namespaces/{ns}/watch
    long head = call("GET", NS, TestHub.TOKEN, null).json().getLong("version");
    check(call("GET", NS + "/watch?since=0", TestHub.TOKEN, null), 200, null);
    check(call("GET", NS + "/watch?since=1", TestHub.TOKEN, null), 200, null);
    check(call("GET", NS + "/watch?since=" + head + "&timeout=100ms", TestHub.TOKEN, null), 304, null);
    check(call("GET", "/v1/namespaces/Bad/watch", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "/watch?timeout=soon", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", NS + "/watch?since=" + head + "&timeout=0&client_id=poller", TestHub.TOKEN, null), 304, null);
    check(call("GET", NS + "/watch?client_id=-x", TestHub.TOKEN, null), 400, "invalid_client_id");

    // GET /v1/namespaces/{ns}/clients and /versions/{version}/acks
    check(call("GET", NS + "/clients", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/clients", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "/clients?limit=0", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", NS + "/clients?limit=2&after=a", TestHub.TOKEN, null), 200, null);
    check(call("GET", NS + "/versions/1/acks?wait=0s", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/versions/1/acks", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", NS + "/versions/x/acks", TestHub.TOKEN, null), 400, "invalid_parameter");
    check(call("GET", "/v1/namespaces/nope.ns/versions/1/acks", TestHub.TOKEN, null), 404, "namespace_not_found");
    check(call("GET", NS + "/versions/99/acks", TestHub.TOKEN, null), 404, "version_not_found");

    // POST /v1/namespaces/{ns}/versions/{version}/acks: one client row per scoped token here
    String ackerA = token("acker-a", "client", "*");
    String ackerB = token("acker-b", "client", "*");
    String acks = NS + "/versions/1/acks";
    String ack = "{\"client_id\":\"acker-1\",\"status\":\"applied\"}";
    check(call("POST", acks, ackerA, ack), 200, null);
    check(call("POST", NS + "/versions/2/acks", TestHub.TOKEN, "{\"client_id\":\"admin-1\",\"status\":\"rejected\","
        + "\"error\":\"no\",\"labels\":{\"app\":\"cron\"}}"), 200, null);
    check(call("POST", "/v1/namespaces/Bad/versions/1/acks", ackerA, ack), 400, "invalid_namespace");
    check(call("POST", NS + "/versions/x/acks", ackerA, ack), 400, "invalid_parameter");
    check(call("POST", acks, ackerA, "{"), 400, "invalid_json");
    check(call("POST", acks, ackerA, "[]"), 400, "invalid_request");
    check(call("POST", acks, ackerA, "{\"status\":\"applied\"}"), 400, "invalid_client_id");
    check(call("POST", acks, ackerA, "{\"client_id\":\"acker-1\",\"status\":\"ok\"}"), 400, "invalid_status");
    check(call("POST", acks, ackerA, "{\"client_id\":\"acker-1\",\"status\":\"applied\",\"labels\":[]}"), 400,
        "invalid_labels");
    check(call("POST", "/v1/namespaces/nope.ns/versions/1/acks", ackerA, ack), 404, "namespace_not_found");
    check(call("POST", NS + "/versions/99/acks", ackerA, ack), 404, "version_not_found");
    check(call("POST", acks, ackerB, ack), 409, "client_id_taken");
    check(call("POST", acks, ackerA, "x".repeat(HttpClientEndpoint.MAX_ACK_BYTES + 1)), 413, "payload_too_large");
    check(call("POST", acks, ackerA, "a=1", "Content-Type", form), 415, "unsupported_media_type");
    check(call("POST", acks, ackerA, "{\"client_id\":\"acker-2\",\"status\":\"applied\"}"), 429, "too_many_clients");

    // GET /v1/ws: one WebSocket per scoped token here, so the second handshake is refused.
    WebSocketClient wsClient = vertx.createWebSocketClient();
    try {
      Answer first = webSocket(wsClient, follower);
      check(first, 101, null);
      check(webSocket(wsClient, follower), 429, "too_many_connections");
    } finally {
      wsClient.close().await();
    }
    check(call("GET", "/v1/ws", TestHub.TOKEN, null), 400, "websocket_required");

    // Tokens and audit (201 above)
    check(call("POST", "/v1/tokens", TestHub.TOKEN, "{"), 400, "invalid_json");
    check(call("POST", "/v1/tokens", TestHub.TOKEN, "{\"name\":\"x\"}"), 400, "invalid_request");
    check(call("POST", "/v1/tokens", TestHub.TOKEN, tokenRequest("admin", "reader", "a.*")), 400, "reserved_name");
    check(call("POST", "/v1/tokens", TestHub.TOKEN, tokenRequest("outsider", "client", "a.*")), 409, "name_taken");
    check(call("POST", "/v1/tokens", TestHub.TOKEN, "x".repeat(64 * 1024 + 1)), 413, "payload_too_large");
    check(call("GET", "/v1/tokens", TestHub.TOKEN, null), 200, null);
    check(call("DELETE", "/v1/tokens/" + revoked, TestHub.TOKEN, null), 200, null);
    check(call("DELETE", "/v1/tokens/" + revoked, TestHub.TOKEN, null), 404, "token_not_found");
    check(call("GET", "/v1/audit?limit=5", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/audit?limit=0", TestHub.TOKEN, null), 400, "invalid_parameter");

    progressiveRollouts();
    schemasAndFiles(writer, tooLarge, hugeValue, longMessage, form);

    // No token
    for (String path : List.of("/health", "/ready", "/metrics", "/openapi.yaml", "/")) {
      check(call("GET", path, null, null), 200, null);
    }

    for (Map.Entry<String, Map<String, Object>> path : paths().entrySet()) {
      for (String method : METHODS) {
        if (path.getValue().get(method) instanceof Map<?, ?> op) {
          String name = method.toUpperCase() + " " + path.getKey();
          responses(op).forEach((status, response) -> {
            for (String expected : documentedOutcomes(name, status, response)) {
              if (!covered.contains(expected)) {
                problems.add("documented but never provoked: " + expected);
              }
            }
          });
        }
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
  }

  /** Schemas, dry runs and files (issue #16), on namespaces of their own. */
  private void schemasAndFiles(String writer, String tooLarge, String hugeValue, String longMessage, String form) {
    String sns = "/v1/namespaces/api.schema";
    String fns = "/v1/namespaces/api.files";
    String props = "text/x-java-properties";
    check(call("POST", sns + "/revisions", TestHub.TOKEN, changes("n", 50).encode()), 201, null);
    check(call("POST", sns + "/revisions", TestHub.TOKEN, changes("n", 5).encode()), 201, null);
    JsonObject schema = new JsonObject().put("type", "object").put("required", new JsonArray().add("n"))
        .put("properties", new JsonObject().put("n", new JsonObject().put("type", "integer").put("maximum", 10)));

    // PUT/GET/DELETE schema, history
    check(call("GET", sns + "/schema", TestHub.TOKEN, null), 404, "schema_not_found");
    check(call("DELETE", sns + "/schema", TestHub.TOKEN, null), 404, "schema_not_found");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, new JsonObject().put("schema", schema).encode(),
        "Content-Type", JSON), 200, null);
    check(call("GET", sns + "/schema", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/schema", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("PUT", "/v1/namespaces/Bad/schema", TestHub.TOKEN, "{}", "Content-Type", JSON), 400, "invalid_namespace");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "{", "Content-Type", JSON), 400, "invalid_json");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "[]", "Content-Type", JSON), 400, "invalid_request");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "{\"schema\":{\"type\":7}}", "Content-Type", JSON), 400,
        "invalid_schema");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, new JsonObject().put("schema", new JsonObject()
        .put("description", "d".repeat(70_000))).encode(), "Content-Type", JSON), 400, "schema_too_large");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "x".repeat(SchemaEndpoint.MAX_BODY_BYTES + 1),
        "Content-Type", JSON), 413, "payload_too_large");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "a=1", "Content-Type", form), 415, "unsupported_media_type");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, "{\"schema\":{\"properties\":{\"n\":{\"type\":\"string\"}}}}",
        "Content-Type", JSON), 422, "schema_violation");
    check(call("PUT", sns + "/schema", TestHub.TOKEN, new JsonObject().put("schema", schema).put("message", longMessage)
        .encode(), "Content-Type", JSON), 422, "message_too_long");
    check(call("GET", sns + "/schema/history", TestHub.TOKEN, null), 200, null);
    check(call("GET", "/v1/namespaces/Bad/schema/history", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("GET", sns + "/schema/history?limit=0", TestHub.TOKEN, null), 400, "invalid_parameter");

    // Writes judged against it, and dry runs
    check(call("POST", sns + "/revisions", TestHub.TOKEN, changes("n", 50).encode()), 422, "schema_violation");
    check(call("POST", sns + "/revisions?dry_run=true", TestHub.TOKEN, changes("n", 6).encode()), 200, null);
    check(call("POST", sns + "/revisions?dry_run=true", TestHub.TOKEN, changes("n", 60).encode()), 422, "schema_violation");
    check(call("PUT", sns + "/entries/n", TestHub.TOKEN, "50", "Content-Type", JSON), 422, "schema_violation");
    check(call("PUT", sns + "/entries/n?dry_run=true", TestHub.TOKEN, "7", "Content-Type", JSON), 200, null);
    check(call("DELETE", sns + "/entries/n", TestHub.TOKEN, null), 422, "schema_violation");
    check(call("DELETE", sns + "/entries/n?dry_run=true", TestHub.TOKEN, null), 422, "schema_violation");
    check(call("POST", sns + "/rollback", TestHub.TOKEN, "{\"to_version\":1}"), 422, "schema_violation");
    check(call("POST", sns + "/rollback?dry_run=true", TestHub.TOKEN, "{\"to_version\":2}"), 200, null);
    check(call("POST", sns + "/rollback?dry_run=x", TestHub.TOKEN, "{\"to_version\":2}"), 400, "invalid_parameter");
    check(call("PUT", sns, TestHub.TOKEN, "n=50\n", "Content-Type", props), 422, "schema_violation");
    check(call("DELETE", sns + "/schema", TestHub.TOKEN, null, "X-Herald-Message", longMessage), 422, "message_too_long");
    check(call("DELETE", sns + "/schema", TestHub.TOKEN, null, "X-Herald-Message", "\u00ff"), 400, "invalid_header");
    check(call("DELETE", "/v1/namespaces/Bad/schema", TestHub.TOKEN, null), 400, "invalid_namespace");
    check(call("DELETE", sns + "/schema", TestHub.TOKEN, null), 200, null);

    // Files in and out
    check(call("PUT", fns, TestHub.TOKEN, "a=1\nb=two\n", "Content-Type", props), 200, null);
    check(call("PUT", fns, TestHub.TOKEN, "a: 1\nb: two\n", "Content-Type", "application/yaml"), 200, null);
    check(call("PUT", fns + "?dry_run=true", TestHub.TOKEN, "{\"a\":2}", "Content-Type", JSON), 200, null);
    check(call("GET", fns + "?format=properties", TestHub.TOKEN, null), 200, null);
    check(call("GET", fns, TestHub.TOKEN, null, "Accept", "application/yaml"), 200, null);
    check(call("GET", fns + "?format=json", TestHub.TOKEN, null), 200, null);
    check(call("PUT", fns + "/entries/o", TestHub.TOKEN, "{\"x\":1}", "Content-Type", JSON), 200, null);
    check(call("GET", fns + "?format=yaml", TestHub.TOKEN, null), 406, "not_representable");
    check(call("PUT", "/v1/namespaces/Bad", TestHub.TOKEN, "a=1", "Content-Type", props), 400, "invalid_namespace");
    check(call("PUT", fns, TestHub.TOKEN, "a=\\u12G4", "Content-Type", props), 400, "invalid_properties");
    check(call("PUT", fns, TestHub.TOKEN, "a: [1", "Content-Type", "application/yaml"), 400, "invalid_yaml");
    check(call("PUT", fns, TestHub.TOKEN, "a=1\na=2\n", "Content-Type", props), 400, "duplicate_key");
    check(call("PUT", fns, TestHub.TOKEN, "-a=1\n", "Content-Type", props), 400, "invalid_key");
    check(call("PUT", fns, TestHub.TOKEN, "{", "Content-Type", JSON), 400, "invalid_json");
    check(call("PUT", fns, TestHub.TOKEN, "[]", "Content-Type", JSON), 400, "invalid_request");
    check(call("PUT", fns, TestHub.TOKEN, "{\"k\":1e400}", "Content-Type", JSON), 400, "invalid_value");
    check(answer("PUT", fns, Buffer.buffer(new byte[] {'a', '=', (byte) 0xff}), "Content-Type", props), 400,
        "invalid_encoding");
    check(call("PUT", fns + "?dry_run=x", TestHub.TOKEN, "a=1", "Content-Type", props), 400, "invalid_parameter");
    check(call("PUT", fns, TestHub.TOKEN, "a=1", "Content-Type", props, "X-Herald-Message", "\u00ff"), 400,
        "invalid_header");
    check(call("PUT", fns, TestHub.TOKEN, "a=1", "Content-Type", props, "If-Match", "\"1\""), 409, "version_conflict");
    check(call("PUT", fns, TestHub.TOKEN, tooLarge, "Content-Type", props), 413, "payload_too_large");
    check(call("PUT", fns, TestHub.TOKEN, "{\"k\":" + hugeValue + "}", "Content-Type", JSON), 413, "value_too_large");
    check(call("PUT", fns, TestHub.TOKEN, "a=1", "Content-Type", "text/plain"), 415, "unsupported_media_type");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= Limits.MAX_CHANGES; i++) {
      many.append("k").append(i).append("=1\n");
    }
    check(call("PUT", fns, TestHub.TOKEN, many.toString(), "Content-Type", props), 422, "too_many_changes");
    check(call("PUT", fns, TestHub.TOKEN, "a=1", "Content-Type", props, "X-Herald-Message", longMessage), 422,
        "message_too_long");
    check(rateLimited(writer, "PUT", "/v1/namespaces/rl.ns"), 429, "rate_limited");
  }

  /** A request with a body of raw bytes, as the admin token. */
  private Answer answer(String method, String uri, Buffer body, String... headers) {
    HttpRequest<Buffer> r = web.request(HttpMethod.valueOf(method), uri);
    r.bearerTokenAuthentication(TestHub.TOKEN);
    for (int i = 0; i < headers.length; i += 2) {
      r.putHeader(headers[i], headers[i + 1]);
    }
    HttpResponse<Buffer> res = r.sendBuffer(body).await();
    return new Answer(method, uri, res.statusCode(), res.headers(), res.body() == null ? Buffer.buffer() : res.body());
  }

  /** Every documented outcome of the rollout calls, and the rollout errors of the write calls. */
  private void progressiveRollouts() throws InterruptedException {
    String ro = "/v1/namespaces/ro.api";
    String bad = "/v1/namespaces/Bad";
    String t = TestHub.TOKEN;
    String plan = "{\"steps\":[{\"selector\":{\"ring\":\"canary\"}},{\"percent\":100}]}";
    check(call("POST", ro + "/revisions", t, changes("k", 1).encode()), 201, null);
    // An HTTP client of the canary ring keeps step 0 pending until it acks.
    check(call("POST", ro + "/versions/1/acks", t, "{\"client_id\":\"canary-1\",\"status\":\"applied\","
        + "\"labels\":{\"ring\":\"canary\"}}"), 200, null);

    check(call("GET", ro + "/rollout-policy", t, null), 404, "no_rollout_policy");
    check(call("GET", bad + "/rollout-policy", t, null), 400, "invalid_namespace");
    check(call("PUT", bad + "/rollout-policy", t, plan), 400, "invalid_namespace");
    check(call("PUT", ro + "/rollout-policy", t, "{"), 400, "invalid_json");
    check(call("PUT", ro + "/rollout-policy", t, "[]"), 400, "invalid_request");
    check(call("PUT", ro + "/rollout-policy", t, "{\"steps\":[]}"), 400, "invalid_rollout");
    check(call("PUT", ro + "/rollout-policy", t, "x".repeat(RolloutsEndpoint.MAX_PLAN_BYTES + 1)), 413, "payload_too_large");
    check(call("DELETE", bad + "/rollout-policy", t, null), 400, "invalid_namespace");
    check(call("DELETE", ro + "/rollout-policy", t, null), 404, "no_rollout_policy");
    check(call("PUT", ro + "/rollout-policy", t, plan), 200, null);
    check(call("GET", ro + "/rollout-policy", t, null), 200, null);
    check(call("DELETE", ro + "/rollout-policy", t, null), 204, null);

    String badPlan = "{\"steps\":[{\"percent\":101}]}";
    check(call("POST", ro + "/revisions", t, changes("k", 2).put("rollout", new JsonObject(badPlan)).encode()), 400,
        "invalid_rollout");
    check(call("PUT", ro + "/entries/k", t, "2", "X-Herald-Rollout", badPlan), 400, "invalid_rollout");
    check(call("DELETE", ro + "/entries/k", t, null, "X-Herald-Rollout", "{"), 400, "invalid_rollout");
    check(call("POST", ro + "/rollback", t, "{\"to_version\":1,\"rollout\":" + badPlan + "}"), 400, "invalid_rollout");

    check(call("POST", ro + "/revisions", t, changes("k", 2).put("rollout", new JsonObject(plan)).encode()), 201, null);
    check(call("GET", ro, t, null), 200, null);
    check(call("POST", ro + "/revisions", t, changes("k", 3).encode()), 409, "rollout_in_progress");
    check(call("PUT", ro + "/entries/k", t, "3"), 409, "rollout_in_progress");
    check(call("DELETE", ro + "/entries/k", t, null), 409, "rollout_in_progress");
    check(call("POST", ro + "/rollback", t, "{\"to_version\":1}"), 409, "rollout_in_progress");
    check(call("PUT", ro, t, "k=3", "Content-Type", "text/x-java-properties"), 409, "rollout_in_progress");

    check(call("GET", ro + "/rollouts", t, null), 200, null);
    check(call("GET", ro + "/rollouts?limit=0", t, null), 400, "invalid_parameter");
    check(call("GET", bad + "/rollouts", t, null), 400, "invalid_namespace");
    check(call("GET", ro + "/rollouts/2", t, null), 200, null);
    check(call("GET", ro + "/rollouts/x", t, null), 400, "invalid_parameter");
    check(call("GET", bad + "/rollouts/2", t, null), 400, "invalid_namespace");
    check(call("GET", ro + "/rollouts/9", t, null), 404, "rollout_not_found");
    for (String action : List.of("promote", "pause", "resume", "abort")) {
      check(call("POST", bad + "/rollouts/2/" + action, t, null), 400, "invalid_namespace");
      check(call("POST", ro + "/rollouts/x/" + action, t, null), 400, "invalid_parameter");
      check(call("POST", ro + "/rollouts/2/" + action, t, "{\"why\":1}"), 400, "invalid_request");
      check(call("POST", ro + "/rollouts/9/" + action, t, null), 404, "rollout_not_found");
    }
    check(call("POST", ro + "/rollouts/2/pause", t, null), 200, null);
    check(call("POST", ro + "/rollouts/2/pause", t, null), 409, "rollout_state");
    check(call("POST", ro + "/rollouts/2/resume", t, null), 200, null);
    check(call("POST", ro + "/rollouts/2/resume", t, null), 409, "rollout_state");
    check(call("POST", ro + "/rollouts/2/promote", t, null), 200, null);
    check(call("POST", ro + "/versions/2/acks", t, "{\"client_id\":\"canary-1\",\"status\":\"rejected\"}"), 200, null);
    long deadline = System.currentTimeMillis() + 15_000;
    while (!"halted".equals(call("GET", ro + "/rollouts/2", t, null).json().getString("state"))) {
      assertTrue(System.currentTimeMillis() < deadline, "the rejection did not halt the rollout");
      Thread.sleep(20); // polling the rollout's state with a deadline
    }
    check(call("POST", ro + "/rollouts/2/promote", t, null), 409, "rollout_state");
    check(call("POST", ro + "/rollouts/2/abort", t, null), 200, null);
    for (String action : List.of("promote", "pause", "resume", "abort")) {
      check(call("POST", ro + "/rollouts/2/" + action, t, null), 409, "rollout_finished");
    }
  }

  // ---- requests ----

  private Answer call(String method, String uri, String token, String body, String... headers) {
    HttpRequest<Buffer> r = web.request(HttpMethod.valueOf(method), uri);
    if (token != null) {
      r.bearerTokenAuthentication(token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      r.putHeader(headers[i], headers[i + 1]);
    }
    HttpResponse<Buffer> res = (body == null ? r.send() : r.sendBuffer(Buffer.buffer(body))).await();
    return new Answer(method, uri, res.statusCode(), res.headers(), res.body() == null ? Buffer.buffer() : res.body());
  }

  /** Repeats a write of the rate-limited token until it is refused (its bucket holds one write). */
  private Answer rateLimited(String token, String method, String uri) {
    Answer a = null;
    for (int i = 0; i < 5 && (a == null || a.status() != 429); i++) {
      a = call(method, uri, token, null); // no body: when not limited it is a 400 or 404, and nothing is written
    }
    return a;
  }

  private Answer webSocket(WebSocketClient client, String token) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(hub.port())
        .setURI("/v1/ws").putHeader("Authorization", "Bearer " + token);
    try {
      WebSocket ws = client.connect(options).await();
      return new Answer("GET", "/v1/ws", 101, ws.headers(), Buffer.buffer());
    } catch (UpgradeRejectedException e) {
      return new Answer("GET", "/v1/ws", e.getStatus(), e.getHeaders(), e.getBody());
    }
  }

  private String token(String name, String role, String pattern) {
    return check(call("POST", "/v1/tokens", TestHub.TOKEN, tokenRequest(name, role, pattern)), 201, null).json().getString("token");
  }

  private static String tokenRequest(String name, String role, String pattern) {
    return new JsonObject().put("name", name).put("role", role).put("namespaces", new JsonArray().add(pattern)).encode();
  }

  // ---- checking an answer against the description ----

  /** Records what the answer covers and every way it differs from the expectation or the description. */
  private Answer check(Answer a, int expectedStatus, String expectedCode) {
    String call = a.method() + " " + a.uri() + " -> " + a.status();
    String code = null;
    if (a.status() >= 400) {
      try {
        code = a.json().getString("error");
      } catch (DecodeException | ClassCastException e) {
        problems.add(call + ": the error body is not a JSON object: " + a.body());
      }
    }
    if (a.status() != expectedStatus || !Objects.equals(code, expectedCode)) {
      problems.add(call + " " + code + ": the test expected " + expectedStatus + " " + expectedCode + ": " + shorten(a.body()));
    }
    String op = operation(a.method(), a.uri());
    if (op == null) {
      problems.add(call + ": no operation in docs/openapi.yaml has this path and method");
      return a;
    }
    Map<String, Object> response = responses(operationObject(op)).get(Integer.toString(a.status()));
    if (response == null) {
      problems.add(call + ": status " + a.status() + " is not documented for " + op);
      return a;
    }
    covered.add(op + " " + a.status() + (code == null ? "" : " " + code));
    checkHeaders(call, a, response);
    checkContent(call, a, response, code);
    return a;
  }

  private void checkHeaders(String call, Answer a, Map<String, Object> response) {
    Map<String, Object> headers = map(response.get("headers"));
    if (headers != null) {
      headers.forEach((name, header) -> {
        if (Boolean.TRUE.equals(resolve(map(header)).get("required")) && a.headers().get(name) == null) {
          problems.add(call + ": the documented header " + name + " is missing");
        }
      });
    }
  }

  private void checkContent(String call, Answer a, Map<String, Object> response, String code) {
    Map<String, Object> content = map(response.get("content"));
    if (content == null) {
      if (a.body().length() > 0) {
        problems.add(call + ": documented without a body, but has one: " + shorten(a.body()));
      }
      return;
    }
    String type = a.headers().get("Content-Type");
    String mediaType = type == null ? null : type.split(";")[0].trim().toLowerCase();
    Map<String, Object> media = map(content.get(mediaType));
    if (media == null) {
      problems.add(call + ": Content-Type " + type + " is not one of the documented " + content.keySet());
      return;
    }
    if (!JSON.equals(mediaType)) {
      return;
    }
    Object body;
    try {
      body = Json.decodeValue(a.body());
    } catch (DecodeException e) {
      problems.add(call + ": the body is not JSON: " + shorten(a.body()));
      return;
    }
    Map<String, Object> schema = map(media.get("schema"));
    validate(schema, body, call, "body");
    if (code != null) {
      List<Object> codes = errorCodes(schema);
      if (!codes.contains(code)) {
        problems.add(call + ": error code " + code + " is not documented for this status " + codes);
      }
      Set<String> expectedKeys = CODES_WITH_HEAD.contains(code) ? Set.of("error", "message", "head")
          : code.equals("invalid_rollout") ? Set.of("error", "message", "field")
          : code.equals("rollout_in_progress") ? Set.of("error", "message", "rollout_version", "state")
          : code.equals("rollout_state") || code.equals("rollout_finished") ? Set.of("error", "message", "state")
          : Set.of("error", "message");
      Set<String> keys = ((JsonObject) body).fieldNames();
      Set<String> allowed = new TreeSet<>(expectedKeys);
      allowed.addAll(CODE_DETAILS.getOrDefault(code, Set.of()));
      if (!keys.containsAll(expectedKeys) || !allowed.containsAll(keys)) {
        problems.add(call + ": an error body must hold " + expectedKeys + " and nothing beyond " + allowed + ": "
            + shorten(a.body()));
      }
    }
  }

  /** The {@code error} codes an error response documents: the enum next to the reference to Error. */
  private static List<Object> errorCodes(Map<String, Object> schema) {
    Map<String, Object> properties = map(schema.get("properties"));
    Map<String, Object> error = properties == null ? null : map(properties.get("error"));
    return error == null || error.get("enum") == null ? List.of() : list(error.get("enum"));
  }

  /** Every outcome of one documented response that the test must provoke: "GET /path 404 code", or "GET /path 200". */
  private static List<String> documentedOutcomes(String op, String status, Map<String, Object> response) {
    if (status.equals("default") || NOT_PROVOKED.contains(op + " " + status)) {
      return List.of();
    }
    Map<String, Object> content = map(response.get("content"));
    Map<String, Object> json = content == null ? null : map(content.get(JSON));
    List<Object> codes = json == null ? List.of() : errorCodes(map(json.get("schema")));
    if (codes.isEmpty()) {
      return List.of(op + " " + status);
    }
    return codes.stream().filter(c -> !NOT_PROVOKED_CODES.contains(c)).map(c -> op + " " + status + " " + c).toList();
  }

  /**
   * The parts of JSON Schema this description uses: $ref (with sibling keywords), type, const,
   * enum, oneOf, required, properties, additionalProperties and items. Others (format, pattern,
   * minimum, ...) are documentation only.
   */
  private void validate(Map<String, Object> schema, Object value, String call, String where) {
    if (schema.get("$ref") != null) {
      validate(resolve(Map.of("$ref", schema.get("$ref"))), value, call, where);
    }
    List<String> own = new ArrayList<>();
    checkOne(schema, value, call, where, own);
    problems.addAll(own);
  }

  private void checkOne(Map<String, Object> schema, Object value, String call, String where, List<String> out) {
    Object type = schema.get("type");
    if (type != null) {
      List<Object> types = type instanceof List<?> l ? new ArrayList<>(l) : List.of(type);
      if (types.stream().noneMatch(t -> hasType(value, (String) t))) {
        out.add(call + ": " + where + " should be " + types + ": " + shorten(value));
        return;
      }
    }
    if (schema.containsKey("const") && !sameJson(schema.get("const"), value)) {
      out.add(call + ": " + where + " should be " + schema.get("const") + ", is " + shorten(value));
    }
    if (schema.get("enum") != null && list(schema.get("enum")).stream().noneMatch(e -> sameJson(e, value))
        && !where.endsWith(".error")) { // error codes are checked against the enum of their status
      out.add(call + ": " + where + " should be one of " + schema.get("enum") + ", is " + shorten(value));
    }
    if (schema.get("oneOf") != null) {
      int matching = 0;
      for (Object alternative : list(schema.get("oneOf"))) {
        int before = problems.size();
        validate(map(alternative), value, call, where);
        if (problems.size() == before) {
          matching++;
        }
        problems.subList(before, problems.size()).clear();
      }
      if (matching != 1) {
        out.add(call + ": " + where + " matches " + matching + " of the oneOf alternatives instead of one: " + shorten(value));
      }
    }
    if (value instanceof JsonObject o) {
      Map<String, Object> properties = map(schema.get("properties"));
      if (schema.get("required") != null) {
        for (Object name : list(schema.get("required"))) {
          if (!o.containsKey((String) name)) {
            out.add(call + ": " + where + " lacks the required " + name + ": " + shorten(o));
          }
        }
      }
      for (String name : o.fieldNames()) {
        Map<String, Object> property = properties == null ? null : map(properties.get(name));
        if (property != null) {
          validate(property, o.getValue(name), call, where + "." + name);
        } else if (Boolean.FALSE.equals(schema.get("additionalProperties"))) {
          out.add(call + ": " + where + " has the undocumented field " + name);
        } else if (schema.get("additionalProperties") instanceof Map<?, ?> extra) {
          validate(map(extra), o.getValue(name), call, where + "." + name);
        }
      }
    }
    if (value instanceof JsonArray array && schema.get("items") != null) {
      for (int i = 0; i < array.size(); i++) {
        validate(map(schema.get("items")), array.getValue(i), call, where + "[" + i + "]");
      }
    }
  }

  private static boolean hasType(Object v, String type) {
    return switch (type) {
      case "object" -> v instanceof JsonObject;
      case "array" -> v instanceof JsonArray;
      case "string" -> v instanceof String;
      case "integer" -> v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger;
      case "number" -> v instanceof Number;
      case "boolean" -> v instanceof Boolean;
      case "null" -> v == null;
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
  }

  private static boolean sameJson(Object documented, Object actual) {
    if (documented instanceof Number d && actual instanceof Number n) {
      return d.doubleValue() == n.doubleValue();
    }
    return Objects.equals(documented, actual);
  }

  // ---- reading the description ----

  private static Map<String, Map<String, Object>> paths() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    map(spec.get("paths")).forEach((path, item) -> out.put(path, map(item)));
    return out;
  }

  /** "GET /v1/namespaces/{ns}" for a request, matching path templates ({key} of a wildcard route takes the rest). */
  private static String operation(String method, String uri) {
    String path = uri.split("\\?")[0];
    List<String> found = new ArrayList<>();
    paths().forEach((template, item) -> {
      boolean rest = String.valueOf(item.get("x-herald-route")).endsWith("*");
      Matcher params = Pattern.compile("\\{[^}]+}").matcher(template);
      StringBuilder regex = new StringBuilder();
      int at = 0;
      while (params.find()) {
        regex.append(Pattern.quote(template.substring(at, params.start())));
        regex.append(rest && params.end() == template.length() ? ".+" : "[^/]+");
        at = params.end();
      }
      regex.append(Pattern.quote(template.substring(at)));
      if (path.matches(regex.toString()) && item.containsKey(method.toLowerCase())) {
        found.add(method + " " + template);
      }
    });
    return found.size() == 1 ? found.get(0) : null;
  }

  private static Map<String, Object> operationObject(String op) {
    String[] parts = op.split(" ", 2);
    return map(paths().get(parts[1]).get(parts[0].toLowerCase()));
  }

  private static Map<String, Map<String, Object>> responses(Map<?, ?> operation) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    map(operation.get("responses")).forEach((status, response) -> out.put(status, resolve(map(response))));
    return out;
  }

  /** Follows a $ref such as '#/components/responses/Unauthorized'; anything else as it is. */
  private static Map<String, Object> resolve(Map<String, Object> node) {
    Object ref = node.get("$ref");
    if (ref == null) {
      return node;
    }
    Object target = spec;
    for (String part : ((String) ref).substring(2).split("/")) {
      target = map(target).get(part);
      if (target == null) {
        throw new AssertionError("docs/openapi.yaml: " + ref + " does not resolve");
      }
    }
    return resolve(map(target));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  private static String shorten(Object o) {
    String s = String.valueOf(o);
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }
}
