package io.herald.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.herald.client.ConfigChange;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.Version;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.annotation.DirtiesContext;

/**
 * A Spring Boot application importing two namespaces from a real hub process on a fresh PostgreSQL
 * database: what it sees at start, live updates, rejections, health and meters. The methods run in
 * order: each builds on the versions the previous ones wrote.
 */
@SpringBootTest(classes = TestApp.class, webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
    "spring.config.import=herald:app.shared,app.prod",
    "herald.endpoints=${herald.test.hub}",
    "herald.token=" + HubFixture.TOKEN,
    "herald.client-id=starter-test",
    "herald.labels.team=payments",
    "herald.cache-dir=${herald.test.cache}",
    "override.me=from-test-properties"})
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Spring Boot starter against a real hub")
class HeraldStarterTest {

  private static final HubFixture HUB;

  // The hub and its first versions must exist before Spring loads the application's configuration.
  static {
    HUB = HubFixture.start(HeraldStarterTest.class);
    try {
      System.setProperty("herald.test.hub", HUB.url());
      System.setProperty("herald.test.cache", Files.createTempDirectory("herald-starter-cache").toString());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    HUB.write("app.shared", "payments/currency", "USD", "payments/region", "eu-shared", "greeting.text", "from shared");
    HUB.write("app.prod", "payments/currency", "CHF", "payments/limit", 50, "payments/hosts", new JsonArray().add("a").add("b"),
        "db/pool", new JsonObject().put("size", 10).put("timeout", "5s"), "greeting.text", "hi", "feature.retries", 3,
        "override/me", "from-herald");
  }

  @Autowired
  TestApp.Payments payments;
  @Autowired
  TestApp.Pool pool;
  @Autowired
  TestApp.Greeter greeter;
  @Autowired
  TestApp.Recorder recorder;
  @Autowired
  Environment env;
  @Autowired
  HeraldHealthIndicator health;
  @Autowired
  MeterRegistry meters;

  @AfterAll
  static void stopHub() throws Exception {
    HUB.close();
    org.springframework.util.FileSystemUtils.deleteRecursively(java.nio.file.Path.of(System.getProperty("herald.test.cache")));
  }

  @Test
  @Order(1)
  @DisplayName("at start: keys map to property names, the later namespace wins, other sources keep their precedence")
  void resolvedAtStart() {
    assertEquals("CHF", payments.getCurrency(), "app.prod is imported after app.shared, so it wins");
    assertEquals("eu-shared", payments.getRegion(), "only app.shared has it");
    assertEquals(50, payments.getLimit());
    assertEquals(List.of("a", "b"), payments.getHosts(), "a JSON array binds as a list");
    assertEquals(10, pool.getSize(), "db/pool = {size: 10} is db.pool.size");
    assertEquals(Duration.ofSeconds(5), pool.getTimeout());
    assertEquals("hi", greeter.text);
    assertEquals(3, greeter.retries);
    assertEquals("from-test-properties", env.getProperty("override.me"),
        "test (and command-line, system, environment) properties rank above Herald");
    assertEquals("50", env.getProperty("payments.limit"));
  }

  @Test
  @Order(2)
  @DisplayName("a new version rebinds @ConfigurationProperties, sets @Value members, calls the listener, then is acked applied")
  void liveUpdate() {
    long v = HUB.write("app.prod", "payments/limit", 70, "db/pool", new JsonObject().put("size", 20).put("timeout", "2s"),
        "greeting.text", "changed", "feature.retries", 5, "payments/hosts", new JsonArray().add("c"));
    JsonObject rollout = HUB.acks("app.prod", v);
    assertEquals(List.of("starter-test"), rollout.getJsonObject("clients").getJsonArray("applied").getList(), rollout.encode());
    // Acked only after the beans changed: no waiting needed here.
    assertEquals(70, payments.getLimit());
    assertEquals(20, pool.getSize());
    assertEquals(Duration.ofSeconds(2), pool.getTimeout());
    assertEquals(List.of("c"), payments.getHosts(), "a shorter list replaces the longer one");
    assertEquals("changed", greeter.text);
    assertEquals(5, greeter.retries);
    assertEquals("70", env.getProperty("payments.limit"));
    assertEquals("CHF", payments.getCurrency(), "untouched keys keep their values");
    ConfigChange last = recorder.changes.get(recorder.changes.size() - 1);
    assertEquals(v, last.toVersion());
    assertEquals(70, last.changes().get("payments/limit").newValue());
    HeraldChangeAppliedEvent applied = recorder.applied.get(recorder.applied.size() - 1);
    assertEquals("app.prod", applied.namespace());
    assertEquals(v, applied.version());
    assertEquals(java.util.Set.of("payments.limit", "db.pool.size", "db.pool.timeout", "greeting.text", "feature.retries",
        "payments.hosts[0]", "payments.hosts[1]"), applied.changedProperties());
  }

  @Test
  @Order(3)
  @DisplayName("a Bean Validation failure rejects the version: the beans keep their values and /acks shows the error")
  void validationFailureRejects() {
    long v = HUB.write("app.prod", "payments/limit", 5000, "greeting.text", "must not appear");
    int appliedBefore = recorder.applied.size();
    JsonObject rejected = rejection(v);
    assertTrue(rejected.getString("error").contains("limit"), rejected.encode());
    assertEquals(appliedBefore, recorder.applied.size(), "no HeraldChangeAppliedEvent for a rejected version");
    assertEquals(70, payments.getLimit());
    assertEquals("changed", greeter.text, "nothing of a rejected version is applied");
    assertEquals("70", env.getProperty("payments.limit"));
  }

  @Test
  @Order(4)
  @DisplayName("a value @Value cannot convert rejects the version")
  void typeMismatchRejects() {
    // A rejected version is skipped over, not forgotten: this one fixes payments/limit.
    long v = HUB.write("app.prod", "payments/limit", 70, "feature.retries", "many");
    JsonObject rejected = rejection(v);
    assertTrue(rejected.getString("error").contains("feature.retries"), rejected.encode());
    assertEquals(5, greeter.retries);
  }

  @Test
  @Order(5)
  @DisplayName("a @HeraldListener that throws rejects the version with its message")
  void listenerRejects() {
    long v = HUB.write("app.prod", "feature.retries", 5, "reject/me", true, "greeting.text", "nope");
    JsonObject rejected = rejection(v);
    assertTrue(rejected.getString("error").contains("reject/me is set"), rejected.encode());
    assertFalse(rejected.getString("error").contains("feature.retries"), "the bindings of this version passed");
    assertEquals("changed", greeter.text);
  }

  @Test
  @Order(6)
  @DisplayName("after rejections a good version applies as a whole against what the application runs")
  void recoversAfterRejections() {
    long v = HUB.write("app.prod", "reject/me", false, "payments/limit", 80);
    JsonObject rollout = HUB.acks("app.prod", v);
    assertEquals(List.of("starter-test"), rollout.getJsonObject("clients").getJsonArray("applied").getList(), rollout.encode());
    assertEquals(80, payments.getLimit());
    assertEquals("nope", greeter.text, "the rejected versions' other keys arrive with the accepted one");
    assertEquals(5, greeter.retries);
  }

  @Test
  @Order(7)
  @DisplayName("the herald health indicator shows the endpoint, versions and the last rejection")
  void healthIndicator() {
    Health h = health.health();
    assertEquals(Status.UP, h.getStatus());
    Map<String, Object> d = h.getDetails();
    assertEquals("starter-test", d.get("clientId"));
    assertEquals(HUB.url(), d.get("endpoint"));
    assertEquals(true, d.get("connected"));
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> ns = (Map<String, Map<String, Object>>) d.get("namespaces");
    assertEquals(6L, ns.get("app.prod").get("version"));
    assertEquals(false, ns.get("app.prod").get("fromCache"));
    @SuppressWarnings("unchecked")
    Map<String, Object> rejection = (Map<String, Object>) ns.get("app.prod").get("lastRejection");
    assertNotNull(rejection);
    assertEquals(5L, rejection.get("version"));
    assertTrue(((String) rejection.get("error")).contains("reject/me is set"));
    assertEquals(1L, ns.get("app.shared").get("version"));
    assertFalse(d.containsKey("startedWithoutHub"));
  }

  @Test
  @Order(10)
  @DisplayName("the hub lists the application under its client id with the labels from herald.labels.*")
  void clientAndLabelsAtTheHub() {
    JsonObject clients = HUB.get("/v1/namespaces/app.shared/clients");
    JsonObject me = clients.getJsonArray("clients").stream().map(JsonObject.class::cast)
        .filter(c -> "starter-test".equals(c.getString("client_id"))).findFirst().orElseThrow(() -> new AssertionError(clients));
    assertEquals("payments", me.getJsonObject("labels").getString("team"), me.encode());
  }

  @Test
  @Order(8)
  @DisplayName("the SDK's meters are in the application's registry")
  void meters() {
    assertEquals(1.0, meters.get("herald.client.connected").tag("client_id", "starter-test").gauge().value());
    assertEquals(6.0, meters.get("herald.client.version").tag("namespace", "app.prod").gauge().value());
    assertEquals(3.0, meters.get("herald.client.rejections").tag("namespace", "app.prod").counter().count());
  }

  @Test
  @Order(9)
  @DisplayName("under Spring Boot's dependency management every Netty module is of one 4.2 version, as Vert.x 5 needs")
  void oneNettyVersion() {
    var versions = Version.identify().values().stream().map(Version::artifactVersion).distinct().toList();
    assertEquals(1, versions.size(), "Netty modules of several versions: " + Version.identify());
    assertTrue(versions.get(0).startsWith("4.2."), versions.toString());
  }

  private JsonObject rejection(long v) {
    JsonObject rollout = HUB.acks("app.prod", v);
    JsonArray rejected = rollout.getJsonObject("clients").getJsonArray("rejected");
    assertEquals(1, rejected.size(), rollout.encode());
    assertEquals("starter-test", rejected.getJsonObject(0).getString("client_id"));
    return rejected.getJsonObject(0);
  }
}
