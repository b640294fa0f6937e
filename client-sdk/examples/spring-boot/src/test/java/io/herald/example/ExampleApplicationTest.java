package io.herald.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.util.Version;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The example as a user builds it (Spring Boot's parent, the starter): its class path has one
 * Netty, and it starts with no hub at all (herald.fail-fast=false), on its defaults. The starter's
 * own tests run it against a real hub.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
    "herald.endpoints=http://127.0.0.1:9", // nothing listens on the discard port
    "herald.token=unused",
    "herald.initial-timeout=500ms",
    "herald.cache-dir=target/herald-test-cache"})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("Spring Boot example application")
class ExampleApplicationTest {

  @Autowired
  ExampleApplication.ConfigController controller;

  @Test
  @DisplayName("with every hub down it starts without Herald and serves its defaults")
  void startsWithoutHub() {
    assertEquals(Map.of("payments.limit", 10, "payments.currency", "EUR", "greeting", "hello"), controller.config());
  }

  @Test
  @DisplayName("Spring Boot's dependency management gives Vert.x one Netty 4.2 for every module")
  void oneNetty() {
    var versions = Version.identify().values().stream().map(Version::artifactVersion).distinct().toList();
    assertEquals(1, versions.size(), "Netty modules of several versions: " + Version.identify());
    assertTrue(versions.get(0).startsWith("4.2."), versions.toString());
  }
}
