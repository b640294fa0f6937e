package io.herald.hub;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 5, unit = TimeUnit.SECONDS)
@DisplayName("Reading request parameters, headers and fields")
class RequestsTest {

  private static final long MAX = 120_000;

  private static ApiException refused(String code, Executable call) {
    ApiException e = assertThrows(ApiException.class, call);
    assertEquals(400, e.status());
    assertEquals(code, e.code());
    return e;
  }

  private static long duration(String value) {
    FakeContext ctx = new FakeContext();
    if (value != null) {
      ctx.param("wait", value);
    }
    return Requests.durationMillis(ctx.context(), "wait", 42, MAX);
  }

  private static Long ifMatch(String value) {
    FakeContext ctx = new FakeContext();
    if (value != null) {
      ctx.header("If-Match", value);
    }
    return Requests.ifMatch(ctx.context());
  }

  @Test
  @DisplayName("durations are seconds, milliseconds or minutes, plain numbers are seconds, and the maximum caps them")
  void durations() {
    assertEquals(42, duration(null), "absent: the default");
    assertEquals(42, duration(""), "empty: the default");
    assertEquals(30_000, duration("30s"));
    assertEquals(500, duration("500ms"));
    assertEquals(120_000, duration("2m"));
    assertEquals(7_000, duration("7"));
    assertEquals(0, duration("0s"));
    assertEquals(MAX, duration("10m"), "capped at the maximum");
  }

  @Test
  @DisplayName("a duration that is negative or not a duration is a 400 naming the parameter")
  void badDurations() {
    for (String bad : new String[] {"-1s", "soon", "5h", "s", "1.5s", "ms"}) {
      ApiException e = refused("invalid_parameter", () -> duration(bad));
      assertTrue(e.getMessage().contains("'wait'"), e.getMessage());
    }
  }

  @Test
  @DisplayName("If-Match takes 5, \"5\" and W/\"5\"; absent or * means no condition")
  void ifMatchForms() {
    assertEquals(5L, ifMatch("5"));
    assertEquals(5L, ifMatch("\"5\""));
    assertEquals(5L, ifMatch("W/\"5\""));
    assertEquals(7L, ifMatch("  \"7\" "));
    assertEquals(0L, ifMatch("\"0\""));
    assertNull(ifMatch(null));
    assertNull(ifMatch("*"));
    assertNull(ifMatch(" * "));
  }

  @Test
  @DisplayName("an If-Match that is not one version is a 400")
  void badIfMatch() {
    for (String bad : new String[] {"abc", "\"-1\"", "\"", "\"5\", \"6\"", "W/", "5.0"}) {
      refused("invalid_parameter", () -> ifMatch(bad));
    }
  }

  @Test
  @DisplayName("versions in the path and in the query are whole numbers >= 0")
  void versions() {
    assertEquals(12, Requests.pathVersion(new FakeContext().pathParam("version", "12").context(), "version"));
    assertEquals(0, Requests.pathVersion(new FakeContext().pathParam("version", "0").context(), "version"));
    for (String bad : new String[] {"-1", "v1", "", "99999999999999999999"}) {
      ApiException e = refused("invalid_parameter",
          () -> Requests.pathVersion(new FakeContext().pathParam("version", bad).context(), "version"));
      assertTrue(e.getMessage().contains("is not a version number"), e.getMessage());
    }
    assertEquals(5L, Requests.longParam(new FakeContext().param("since", "5").context(), "since", 0L));
    assertEquals(0L, Requests.longParam(new FakeContext().context(), "since", 0L), "absent: the default");
    assertNull(Requests.longParam(new FakeContext().param("to", "").context(), "to", null), "empty: the default");
    for (String bad : new String[] {"-5", "x", "1e3"}) {
      refused("invalid_parameter", () -> Requests.longParam(new FakeContext().param("since", bad).context(), "since", 0L));
    }
  }

  @Test
  @DisplayName("version fields of a JSON body are whole numbers >= 0, and a required one must be there")
  void versionFields() {
    JsonObject body = new JsonObject().put("int", 3).put("long", 4L).put("negative", -1).put("text", "3")
        .put("fraction", 1.5);
    assertEquals(3L, Requests.optionalVersion(body, "int"));
    assertEquals(4L, Requests.optionalVersion(body, "long"));
    assertNull(Requests.optionalVersion(body, "absent"));
    for (String bad : new String[] {"negative", "text", "fraction"}) {
      assertEquals("invalid_request", assertThrows(ApiException.class, () -> Requests.optionalVersion(body, bad)).code());
    }
    assertEquals(3L, Requests.requiredVersion(body, "int"));
    ApiException missing = assertThrows(ApiException.class, () -> Requests.requiredVersion(body, "to_version"));
    assertEquals("'to_version' is required", missing.getMessage());
  }
}
