package io.herald.hub;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Many concurrent writers to one namespace")
class ConcurrentWritersTest {

  private static TestHub hub;
  private static Api api;

  @BeforeAll
  static void start(Vertx vertx) {
    hub = TestHub.start(ConcurrentWritersTest.class);
    api = new Api(vertx, hub.port(), TestHub.TOKEN);
  }

  @AfterAll
  static void stop() {
    api.close();
    hub.close();
  }

  private static Future<HttpResponse<Buffer>> write(String ns, String key, int value, Long expected) {
    JsonObject body = new JsonObject().put("changes", new JsonArray()
        .add(new JsonObject().put("key", key).put("op", "put").put("value", value)));
    if (expected != null) {
      body.put("expected_version", expected);
    }
    return api.request(HttpMethod.POST, "/v1/namespaces/" + ns + "/revisions").sendJsonObject(body);
  }

  @Test
  @DisplayName("versions stay contiguous 1..N with no gap or duplicate, including the namespace's first writes")
  void contiguousVersions() {
    String ns = "contended";
    int writers = 32;
    int each = 20;
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < each; i++) {
        all.add(write(ns, "writer-" + w, i, null));
      }
    }
    Future.all(all).await();
    Set<Long> versions = new TreeSet<>();
    for (Future<HttpResponse<Buffer>> f : all) {
      assertEquals(201, f.result().statusCode(), f.result().bodyAsString());
      versions.add(f.result().bodyAsJsonObject().getLong("version"));
    }
    int total = writers * each;
    assertEquals(LongStream.rangeClosed(1, total).boxed().collect(Collectors.toSet()), versions);

    JsonObject history = api.json("/v1/namespaces/" + ns + "/revisions?limit=1000");
    assertEquals(total, history.getLong("head"));
    List<Long> listed = history.getJsonArray("revisions").stream().map(o -> ((JsonObject) o).getLong("version")).toList();
    assertEquals(LongStream.iterate(total, v -> v >= 1, v -> v - 1).boxed().toList(), listed);
    JsonObject entries = api.json("/v1/namespaces/" + ns).getJsonObject("entries");
    assertEquals(writers, entries.size());
  }

  @Test
  @DisplayName("of many writers racing with the same expected_version exactly one wins, the rest get 409")
  void compareAndSet() {
    String ns = "cas.race";
    api.write(ns, "k", 0);
    List<Future<HttpResponse<Buffer>>> racers = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      racers.add(write(ns, "k", i + 1, 1L));
    }
    Future.join(racers).await();
    long wins = racers.stream().filter(f -> f.result().statusCode() == 201).count();
    long conflicts = racers.stream().filter(f -> f.result().statusCode() == 409).count();
    assertEquals(1, wins);
    assertEquals(23, conflicts);
    racers.stream().filter(f -> f.result().statusCode() == 409)
        .forEach(f -> assertEquals(2, f.result().bodyAsJsonObject().getLong("head")));
    assertEquals(2, api.json("/v1/namespaces/" + ns).getLong("version"));
  }
}
