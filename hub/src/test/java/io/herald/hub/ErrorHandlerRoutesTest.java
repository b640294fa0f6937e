package io.herald.hub;

import io.herald.db.StoreException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

@Timeout(value = 5, unit = TimeUnit.SECONDS)
@DisplayName("Failures of a request map to status codes and JSON error bodies")
class ErrorHandlerRoutesTest {

  private static ApiException mapped(Throwable failure) {
    return ErrorHandler.toApiException(new FakeContext().request(HttpMethod.POST, "/v1/x").failed(failure).context());
  }

  private static ApiException mapped(int status) {
    return ErrorHandler.toApiException(new FakeContext().request(HttpMethod.PATCH, "/v1/x").failed(status).context());
  }

  private static void assertMapped(int status, String code, ApiException e) {
    assertEquals(status, e.status(), e.body().encode());
    assertEquals(code, e.code(), e.body().encode());
  }

  @Test
  @DisplayName("an ApiException is answered as it is")
  void apiException() {
    ApiException e = new ApiException(429, "rate_limited", "slow down");
    assertSame(e, mapped(e));
  }

  @Test
  @DisplayName("store failures become 404 and 409 with the store's message, and the head where there is one")
  void storeFailures() {
    ApiException ns = mapped(new StoreException.NamespaceNotFound("payments"));
    assertMapped(404, "namespace_not_found", ns);
    assertEquals("namespace 'payments' does not exist", ns.getMessage());
    ApiException version = mapped(new StoreException.VersionNotFound("payments", 9, 4));
    assertMapped(404, "version_not_found", version);
    assertEquals(4, version.body().getLong("head"));
    assertMapped(404, "key_not_found", mapped(new StoreException.KeyNotFound("payments", "k")));
    ApiException conflict = mapped(new StoreException.VersionConflict("payments", 3, 5));
    assertMapped(409, "version_conflict", conflict);
    assertEquals(5, conflict.body().getLong("head"));
  }

  @Test
  @DisplayName("bad input is a 400 or 413: broken JSON, values PostgreSQL refuses, requests Netty could not decode")
  void clientMistakes() {
    assertMapped(400, "invalid_json", mapped(new DecodeException("bad")));
    assertMapped(400, "unsupported_value", mapped(new StoreException.InvalidValue(
        new PgException("bad escape", "ERROR", "22P05", null))));
    assertMapped(413, "payload_too_large", mapped(new TooLongFrameException("header too long")));
    assertMapped(400, "bad_request", mapped(new DecoderException("broken")));
  }

  @Test
  @DisplayName("router statuses become JSON: 404 and 405 name the request, 413 the body limit")
  void routerStatuses() {
    ApiException notFound = mapped(404);
    assertMapped(404, "not_found", notFound);
    assertEquals("no such endpoint: /v1/x", notFound.getMessage());
    ApiException method = mapped(new HttpException(405));
    assertMapped(405, "method_not_allowed", method);
    assertEquals("POST is not allowed on /v1/x", method.getMessage());
    assertMapped(413, "payload_too_large", mapped(413));
    assertMapped(400, "bad_request", mapped(new HttpException(400)));
    assertMapped(418, "bad_request", mapped(418));
  }

  @Test
  @DisplayName("anything else is a bland 500")
  void unexpected() {
    ApiException e = mapped(new IllegalStateException("bug"));
    assertMapped(500, "internal", e);
    assertEquals("the hub failed to handle the request", e.getMessage());
    assertMapped(500, "internal", mapped(new HttpException(500)));
  }
}
