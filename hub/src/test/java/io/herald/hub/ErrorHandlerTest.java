package io.herald.hub;

import io.herald.db.StoreException;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.EncodeException;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

@DisplayName("ErrorHandler maps failure types to answers (no server)")
class ErrorHandlerTest {

  private static void assertAnswer(int status, String code, Throwable failure) {
    ApiException answer = ErrorHandler.toApiException(failure);
    assertEquals(status, answer.status(), String.valueOf(failure));
    assertEquals(code, answer.code(), String.valueOf(failure));
  }

  @Test
  @DisplayName("the store's domain failures: 404s and 409 with the head where there is one")
  void domainFailures() {
    assertAnswer(404, "namespace_not_found", new StoreException.NamespaceNotFound("a"));
    assertAnswer(404, "key_not_found", new StoreException.KeyNotFound("a", "k"));
    ApiException version = ErrorHandler.toApiException(new StoreException.VersionNotFound("a", 9, 3));
    assertEquals(404, version.status());
    assertEquals("version_not_found", version.code());
    assertEquals(3, version.body().getLong("head"));
    ApiException conflict = ErrorHandler.toApiException(new StoreException.VersionConflict("a", 1, 4));
    assertEquals(409, conflict.status());
    assertEquals("version_conflict", conflict.code());
    assertEquals(4, conflict.body().getLong("head"));
  }

  @Test
  @DisplayName("the database's failures: unavailable 503, refused value 400, duplicate 409, anything else 500")
  void databaseFailures() {
    PgException pg = new PgException("boom", "ERROR", "08006", null);
    assertAnswer(503, "database_unavailable", new StoreException.Unavailable(pg));
    assertAnswer(400, "unsupported_value", new StoreException.InvalidValue(pg));
    assertAnswer(409, "duplicate", new StoreException.Duplicate("tokens_name_key", pg));
    assertAnswer(500, "internal", new StoreException.Refused(pg));
    assertAnswer(500, "internal", new StoreException.Unexpected(pg));
  }

  @Test
  @DisplayName("untranslated client or I/O failures are not taken for the database: 500, not 503")
  void noGuessing() {
    assertAnswer(500, "internal", new IOException("encoding failed"));
    assertAnswer(500, "internal", new ConnectException("refused"));
    assertAnswer(500, "internal", new EncodeException("cannot encode"));
    assertAnswer(500, "internal", new PgException("boom", "ERROR", "22P05", null));
    assertAnswer(500, "internal", new IllegalStateException("bug"));
  }

  @Test
  @DisplayName("API refusals pass through; bad JSON is 400; Netty's decoding failures keep their answers")
  void requestFailures() {
    ApiException refusal = ApiException.unprocessable("no_changes", "nothing to do");
    assertSame(refusal, ErrorHandler.toApiException(refusal));
    assertAnswer(400, "invalid_json", new DecodeException("not json"));
    assertAnswer(413, "payload_too_large", new TooLongFrameException("too long"));
    assertAnswer(400, "bad_request", new io.netty.handler.codec.DecoderException("broken"));
  }
}
