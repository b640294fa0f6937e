package io.herald.db;

import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.DecodeException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

@DisplayName("Sql.translate turns database and client failures into StoreExceptions (no server)")
class SqlTranslateTest {

  private static final Sql.AppendCall CALL = new Sql.AppendCall("payments.prod", 3L, 2L);

  private static PgException pg(String state, String detail) {
    return new PgException("boom", "ERROR", state, detail);
  }

  private static PgException pgWithConstraint(String state, String constraint) {
    // message, severity, state, detail, hint, position, internal position and query, where, file,
    // line, routine, schema, table, column, data type, constraint
    return new PgException("boom", "ERROR", state, null, null, null, null, null, null, null, null, null,
        "public", "tokens", null, null, constraint);
  }

  @Test
  @DisplayName("herald_append's own codes become the domain failures, in the call's terms")
  void heraldCodes() {
    var conflict = assertInstanceOf(StoreException.VersionConflict.class, Sql.translate(pg("HR409", "7"), CALL));
    assertEquals(7, conflict.head);
    assertEquals("namespace 'payments.prod' is at version 7, not 3", conflict.getMessage());
    var key = assertInstanceOf(StoreException.KeyNotFound.class, Sql.translate(pg("HR404", "ghost"), CALL));
    assertEquals("namespace 'payments.prod' has no key 'ghost'", key.getMessage());
    assertInstanceOf(StoreException.NamespaceNotFound.class, Sql.translate(pg("HR410", null), CALL));
    var version = assertInstanceOf(StoreException.VersionNotFound.class, Sql.translate(pg("HR411", "9"), CALL));
    assertEquals(9, version.head);
    assertEquals("namespace 'payments.prod' has no version 2 (head is 9)", version.getMessage());
  }

  @Test
  @DisplayName("herald codes from a statement that is not herald_append are unexpected")
  void heraldCodesWithoutCall() {
    assertInstanceOf(StoreException.Unexpected.class, Sql.translate(pg("HR409", "7")));
  }

  @Test
  @DisplayName("a unique violation is a Duplicate naming its constraint, and is refused data")
  void duplicate() {
    PgException cause = pgWithConstraint("23505", "tokens_name_key");
    var dup = assertInstanceOf(StoreException.Duplicate.class, Sql.translate(cause));
    assertEquals("tokens_name_key", dup.constraint);
    assertSame(cause, dup.getCause());
    assertInstanceOf(StoreException.Refused.class, dup);
    assertNull(assertInstanceOf(StoreException.Duplicate.class, Sql.translate(pg("23505", null))).constraint);
  }

  @Test
  @DisplayName("class 22 is an InvalidValue; other class 23 states are refused data of no finer type")
  void refusedData() {
    for (String state : new String[] {"22P05", "22021", "22003", "22P02"}) {
      assertInstanceOf(StoreException.InvalidValue.class, Sql.translate(pg(state, null)), state);
    }
    for (String state : new String[] {"23514", "23502", "23503"}) {
      StoreException e = Sql.translate(pg(state, null));
      assertEquals(StoreException.Refused.class, e.getClass(), state);
    }
  }

  @Test
  @DisplayName("connection, resource, shutdown and transient-conflict states are Unavailable")
  void unavailableStates() {
    for (String state : new String[] {"08006", "08001", "08P01", "53300", "53100", "57P01", "57P02", "57P03",
        "57014", "40001", "40P01", "58030"}) {
      assertInstanceOf(StoreException.Unavailable.class, Sql.translate(pg(state, null)), state);
    }
  }

  @Test
  @DisplayName("client failures without a server answer are Unavailable: refused, closed, pool full or timed out")
  void unavailableClient() {
    Throwable[] failures = {
        new ConnectException("Connection refused"),
        new IOException("Connection reset by peer"),
        ClosedConnectionException.INSTANCE,
        new ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 10000"),
        new VertxException("Timeout waiting for connection", true),
        new VertxException("Pool closed", true),
        new TimeoutException("connect timed out"),
    };
    for (Throwable t : failures) {
      StoreException e = assertInstanceOf(StoreException.Unavailable.class, Sql.translate(t), t.toString());
      assertSame(t, e.getCause());
    }
  }

  @Test
  @DisplayName("anything else is Unexpected with the original as its cause; StoreExceptions pass through")
  void unexpected() {
    for (Throwable t : new Throwable[] {pg("42P01", null), pg("XX000", null), pg(null, null),
        new IllegalStateException("bug"), new DecodeException("not json"), new NullPointerException()}) {
      StoreException e = assertInstanceOf(StoreException.Unexpected.class, Sql.translate(t), String.valueOf(t));
      assertSame(t, e.getCause());
    }
    StoreException known = new StoreException.NamespaceNotFound("a");
    assertSame(known, Sql.translate(known));
    assertSame(known, Sql.translate(known, CALL));
  }
}
