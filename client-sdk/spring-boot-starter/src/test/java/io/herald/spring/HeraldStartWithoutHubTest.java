package io.herald.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import io.herald.hub.HubNode;

/** Start-up when no hub answers: from the local cache, without Herald, or not at all (fail-fast). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("Spring Boot starter when every hub is down")
class HeraldStartWithoutHubTest {

  private static HubFixture hub;
  /** Nothing listens here (but for a hub that comes back in {@link #startsFromCacheThenFollowsTheHub}). */
  private static final int DOWN_PORT = HubNode.freePort();
  private static final String DOWN = "http://127.0.0.1:" + DOWN_PORT;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    Limits limits() {
      return new Limits();
    }
  }

  static class Limits {
    @Value("${limits.max:-1}")
    int max;
  }

  @BeforeAll
  static void start() {
    hub = HubFixture.start(HeraldStartWithoutHubTest.class);
    hub.write("svc.limits", "limits/max", 42);
  }

  @AfterAll
  static void stop() throws Exception {
    hub.close();
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class WrongListenerApp {
    @Bean
    Object wrongListener() {
      return new Object() {
        @HeraldListener(namespace = "svc.other")
        void onChange() {
        }
      };
    }
  }

  /** Writes a version while the context is being built, and waits until it waits for the context. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class WriteDuringStartApp {
    @Bean
    Limits limits() {
      return new Limits();
    }

    @Bean
    Object writer(Limits createdBefore, HeraldRuntime runtime) {
      assertEquals(44, createdBefore.max);
      hub.write("svc.starting", "limits/max", 45);
      HubFixture.await(20_000, runtime::waitingForContext, "version 2 waits for the context");
      return new Object();
    }
  }

  private static ConfigurableApplicationContext run(String endpoints, Path cache, boolean failFast) {
    return run("herald:svc.limits", endpoints, cache, failFast);
  }

  private static ConfigurableApplicationContext run(String imports, String endpoints, Path cache, boolean failFast) {
    Map<String, Object> p = new java.util.HashMap<>(Map.of(
        "spring.config.import", imports,
        "herald.endpoints", endpoints,
        "herald.token", HubFixture.TOKEN,
        "herald.client-id", "without-hub-test",
        "herald.fail-fast", failFast,
        // Short where nothing answers; generous where a hub does (the box is shared and may be slow).
        "herald.initial-timeout", endpoints.equals(DOWN) ? "1500ms" : "20s"));
    if (cache != null) {
      p.put("herald.cache-dir", cache.toString());
    }
    return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(p).run();
  }

  @Test
  @DisplayName("with every hub down the application starts from the local cache, then follows a hub that comes up")
  void startsFromCacheThenFollowsTheHub(@TempDir Path cache) throws Exception {
    try (ConfigurableApplicationContext up = run(hub.url(), cache, false)) {
      assertEquals(42, up.getBean(Limits.class).max);
    }
    try (ConfigurableApplicationContext down = run(DOWN, cache, false)) {
      assertEquals(42, down.getBean(Limits.class).max, "the cached version 1");
      Health h = down.getBean(HeraldHealthIndicator.class).health();
      assertEquals(Status.UNKNOWN, h.getStatus(), "not DOWN: the application runs on the version it has");
      assertEquals(false, h.getDetails().get("connected"));
      @SuppressWarnings("unchecked")
      Map<String, String> why = (Map<String, String>) h.getDetails().get("startedWithoutHub");
      assertTrue(why.get("svc.limits").contains("local cache at version 1"), why.toString());
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> ns = (Map<String, Map<String, Object>>) h.getDetails().get("namespaces");
      assertEquals(true, ns.get("svc.limits").get("fromCache"));

      // A hub comes up where the application looks (on the same database): it confirms version 1,
      // and the next version (written through the first hub; the late one reads it from PostgreSQL
      // within its 3 s head check) reaches the bean like any live change.
      try (HubNode late = HubNode.start(HubNode.jar("../../hub/target/herald-hub.jar"), HubNode.TEST_JVM, DOWN_PORT,
          Map.of("HERALD_DB_URL", hub.db.url(), "HERALD_ADMIN_TOKEN", HubFixture.TOKEN, "HERALD_DB_POOL_SIZE", "4"))) {
        late.awaitReady(Duration.ofSeconds(60));
        HeraldHealthIndicator health = down.getBean(HeraldHealthIndicator.class);
        HubFixture.await(60_000, () -> health.health().getStatus().equals(Status.UP), "the client reaches the hub");
        hub.write("svc.limits", "limits/max", 43);
        HubFixture.await(20_000, () -> down.getBean(Limits.class).max == 43, "version 2 reaches the @Value field");
      }
    }
  }

  @Test
  @DisplayName("herald:a;b in one location: the namespace written later wins")
  void laterNamespaceWins() {
    hub.write("svc.override", "limits/max", 7);
    try (ConfigurableApplicationContext app = run("herald:svc.limits;svc.override", hub.url(), null, true)) {
      assertEquals(7, app.getBean(Limits.class).max);
    }
    try (ConfigurableApplicationContext app = run("herald:svc.override;svc.limits", hub.url(), null, true)) {
      assertEquals(42, app.getBean(Limits.class).max);
    }
  }

  @Test
  @DisplayName("with every hub down and no cache the application starts without Herald: defaults apply")
  void startsWithoutHerald() {
    try (ConfigurableApplicationContext down = run(DOWN, null, false)) {
      assertEquals(-1, down.getBean(Limits.class).max);
      Health h = down.getBean(HeraldHealthIndicator.class).health();
      @SuppressWarnings("unchecked")
      Map<String, String> why = (Map<String, String>) h.getDetails().get("startedWithoutHub");
      assertTrue(why.get("svc.limits").contains("WITHOUT it"), why.toString());
    }
  }

  @Test
  @DisplayName("a version that arrives while the context is built waits for it, then reaches beans created before it")
  void versionDuringContextStart() {
    hub.write("svc.starting", "limits/max", 44);
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(WriteDuringStartApp.class)
        .web(WebApplicationType.NONE).properties(Map.of("spring.config.import", "herald:svc.starting",
            "herald.endpoints", hub.url(), "herald.token", HubFixture.TOKEN, "herald.client-id", "during-start",
            "herald.initial-timeout", "20s")).run()) {
      HubFixture.await(20_000, () -> app.getBean(Limits.class).max == 45, "version 2 applied once the context is up");
      assertEquals("45", app.getEnvironment().getProperty("limits.max"));
      assertEquals(List.of("during-start"),
          hub.acks("svc.starting", 2).getJsonObject("clients").getJsonArray("applied").getList());
    }
  }

  @Test
  @DisplayName("a @HeraldListener of a namespace that is not imported stops start-up and names the namespace")
  void listenerOfUnimportedNamespace() {
    SpringApplicationBuilder b = new SpringApplicationBuilder(WrongListenerApp.class).web(WebApplicationType.NONE)
        .properties(Map.of("spring.config.import", "herald:svc.limits", "herald.endpoints", hub.url(),
            "herald.token", HubFixture.TOKEN, "herald.initial-timeout", "20s"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.run().close());
    assertTrue(e.getMessage().contains("'svc.other', which is not imported"), e.getMessage());
  }

  @Test
  @DisplayName("fail-fast=true refuses to start with a message naming the namespace, the hubs and the setting")
  void failFast(@TempDir Path cache) throws Exception {
    HeraldStartupException e = assertThrows(HeraldStartupException.class, () -> run(DOWN, cache, true).close());
    assertTrue(e.getMessage().contains("'svc.limits' is unavailable"), e.getMessage());
    assertTrue(e.getMessage().contains(DOWN), e.getMessage());
    assertTrue(e.getMessage().contains("herald.fail-fast=true"), e.getMessage());
  }
}
