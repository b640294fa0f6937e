package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Every SQL statement Herald runs, in one place, and the one translation of their failures into
 * {@link StoreException}s. Parameters are positional ($n) prepared params.
 */
final class Sql {

  private Sql() {
  }

  /**
   * Group commit without a subtransaction per write (V12); the changes of all writes concatenated
   * in $9..$11, write i owning $8[i] of them; $12 the rollout of each write. Anything PostgreSQL
   * refuses fails the whole statement: then send the batch to {@link #APPEND_EACH}.
   */
  static final String APPEND_BATCH = appendCall("herald_append_batch");

  /** The same batch, each write alone in a subtransaction, so refused data fails its write alone (V12). */
  static final String APPEND_EACH = appendCall("herald_append_each");

  private static String appendCall(String function) {
    return "SELECT o_index, o_version, o_created_at, o_keys, o_ops, o_values, o_state, o_detail FROM " + function
        + "($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bytea[], $7::bigint[], $8::int[], "
        + "$9::text[], $10::text[], $11::text[], $12::bigint[]) ORDER BY o_index";
  }

  /** Locks the head rows of the namespaces in $1 (those that exist): their head and schema state (V9). */
  static final String LOCK_HEADS = """
      SELECT name, head, schema_version, has_schema FROM namespaces
      WHERE name = ANY($1::text[]) ORDER BY name COLLATE "C" FOR UPDATE""";

  private static final String SCHEMA_COLUMNS =
      "namespace, version, schema, at_head, allow_invalid_head, head_violations::text AS head_violations, author, "
      + "message, created_at";

  /** The namespace's current schema change, if it has one that sets a schema. */
  static final String SCHEMA_CURRENT = "SELECT " + SCHEMA_COLUMNS + """
       FROM namespace_schemas s
      WHERE (s.namespace, s.version) IN (SELECT name, schema_version FROM namespaces WHERE name = $1 AND has_schema)""";

  /** Schema changes newest first, with version < $2, at most $3. */
  static final String SCHEMA_HISTORY = "SELECT " + SCHEMA_COLUMNS
      + " FROM namespace_schemas WHERE namespace = $1 AND version < $2 ORDER BY version DESC LIMIT $3";

  /** A namespace row for a schema set before the first write (head 0); nothing when it exists. */
  static final String ENSURE_NAMESPACE = """
      INSERT INTO namespaces (name, head) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING""";

  static final String INSERT_SCHEMA = "INSERT INTO namespace_schemas (namespace, version, schema, at_head, "
      + "allow_invalid_head, head_violations, author, message) VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8) "
      + "RETURNING " + SCHEMA_COLUMNS;

  static final String SET_SCHEMA_STATE = "UPDATE namespaces SET schema_version = $2, has_schema = $3 WHERE name = $1";

  /**
   * For each ($1[i], $2[i]) that is a committed revision: its commit time and its digest (null for
   * rollbacks and revisions older than V7). Pairs that are not revisions are left out.
   */
  static final String DIGESTS = """
      SELECT r.namespace, r.version, r.created_at, d.changes_sha256
      FROM unnest($1::text[], $2::bigint[]) AS q(namespace, version)
      JOIN revisions r ON r.namespace = q.namespace AND r.version = q.version
      LEFT JOIN revision_digests d ON d.namespace = q.namespace AND d.version = q.version""";

  /** herald_append's own SQLSTATEs; see the header of V4__rollback_through_append.sql. */
  static final String VERSION_CONFLICT = "HR409";
  static final String KEY_NOT_FOUND = "HR404";
  static final String NO_REVISIONS = "HR410";
  static final String VERSION_OUT_OF_RANGE = "HR411";
  static final String SCHEMA_PRESENT = "HR412";
  static final String ROLLOUT_ACTIVE = "HR413";

  static final String UNIQUE_VIOLATION = "23505";

  static final String HEAD = "SELECT head FROM namespaces WHERE name = $1";

  static final String HEADS = "SELECT name, head FROM namespaces WHERE name = ANY($1::text[])";

  static final String LIST_NAMESPACES = """
      SELECT n.name, n.head, n.created_at, n.updated_at,
             (SELECT count(*) FROM entries e WHERE e.namespace = n.name) AS keys,
             (SELECT count(*) FROM client_state c WHERE c.namespace = n.name AND c.connected) AS clients
      FROM namespaces n ORDER BY n.name""";

  /** Head and current entries in one statement, so both come from the same database snapshot. */
  static final String SNAPSHOT_HEAD = """
      SELECT n.head, e.key, e.value::text AS value
      FROM namespaces n LEFT JOIN entries e ON e.namespace = n.name
      WHERE n.name = $1 ORDER BY e.key COLLATE "C\"""";

  static final String SNAPSHOT_AT = """
      SELECT key, value::text AS value FROM (
        SELECT DISTINCT ON (key) key, op, value FROM revision_changes
        WHERE namespace = $1 AND version <= $2
        ORDER BY key, version DESC
      ) latest WHERE op = 'put' ORDER BY key COLLATE "C\"""";

  private static final String REVISION_COLUMNS =
      "namespace, version, parent_version, kind, rollback_to, author, message, change_count, created_at";

  static final String HISTORY = "SELECT " + REVISION_COLUMNS + """
       FROM revisions
      WHERE namespace = $1 AND version < $2 AND version > $3
      ORDER BY version DESC LIMIT $4""";

  static final String REVISIONS_IN_RANGE = "SELECT " + REVISION_COLUMNS + """
       FROM revisions
      WHERE namespace = $1 AND version > $2 AND version <= $3
      ORDER BY version""";

  static final String CHANGES_IN_RANGE = """
      SELECT version, key, op, value::text AS value FROM revision_changes
      WHERE namespace = $1 AND version > $2 AND version <= $3
      ORDER BY version, key COLLATE "C\"""";

  /**
   * Every key touched between $2 and $3, with its value as of $2 ("before") and as of $3
   * ("after"); herald_diff (V4) is the one diff query, rollbacks use it too.
   */
  static final String DIFF = """
      SELECT key, before_op, before_value::text AS before_value, after_op, after_value::text AS after_value
      FROM herald_diff($1, $2, $3) ORDER BY key COLLATE "C\"""";

  /** In UPSERT_CLIENTS: an applied ack below the recorded rejection leaves the rejection in place. */
  private static final String KEEPS_REJECTION = " (excluded.status = 'applied' AND cs.status = 'rejected'"
      + " AND cs.rejected_version > GREATEST(cs.applied_version, excluded.applied_version)) ";

  /** In UPSERT_CLIENTS: the row written is of the same or a newer connection than the stored one. */
  private static final String NEWER = " (cs.connected_at IS NULL OR excluded.connected_at >= cs.connected_at) ";

  /**
   * One row per (namespace, client): this node's whole view of the client, merged into the table.
   * Rows another token owns are not touched, nor new rows past their token's cap ($15; the
   * bootstrap admin has none): the statement returns those, with the reason, and writes the rest.
   * The cap is checked against the rows counted when the batch starts, so concurrent batches of
   * one token may pass it by at most a batch. A row without status ($10 null) or labels ($5 null)
   * keeps the recorded ack or labels, and an applied ack below a recorded rejection keeps the
   * rejection; a row of an older connection changes nothing, except that two HTTP rows (which
   * have no connection) merge in either order. {@link ClientRow#then} is the same rule in Java.
   */
  static final String UPSERT_CLIENTS = """
      WITH u AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bigint[],
                             $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[])
          AS u(ns, cid, node, session, labels, connected, connected_at, seen, applied, status, rejected, error, owner,
               transport)
      ), existing AS (
        SELECT cs.namespace, cs.client_id, cs.owner FROM client_state cs JOIN u ON cs.namespace = u.ns AND cs.client_id = u.cid
      ), taken AS (
        SELECT u.ns, u.cid FROM u JOIN existing e ON e.namespace = u.ns AND e.client_id = u.cid
        WHERE e.owner <> '' AND e.owner <> u.owner
      ), fresh AS (
        SELECT u.ns, u.cid, u.owner, row_number() OVER (PARTITION BY u.owner ORDER BY u.ns, u.cid) AS n FROM u
        WHERE u.owner <> '@admin'
          AND NOT EXISTS (SELECT 1 FROM existing e WHERE e.namespace = u.ns AND e.client_id = u.cid)
      ), owned AS (
        SELECT cs.owner, count(*) AS n FROM client_state cs
        WHERE cs.owner IN (SELECT DISTINCT owner FROM fresh) GROUP BY cs.owner
      ), over_cap AS (
        SELECT f.ns, f.cid FROM fresh f LEFT JOIN owned o ON o.owner = f.owner WHERE COALESCE(o.n, 0) + f.n > $15
      ), written AS (
        INSERT INTO client_state AS cs (namespace, client_id, node, session, labels, connected, connected_at, last_seen,
                                        applied_version, status, rejected_version, error, owner, transport)
        SELECT u.ns, u.cid, u.node, u.session,
               -- no labels: '{}' for a new row; for an existing one JSON null, which the update reads as "keep"
               CASE WHEN u.labels IS NOT NULL THEN u.labels::jsonb
                    WHEN e.client_id IS NOT NULL THEN 'null'::jsonb ELSE '{}'::jsonb END,
               u.connected, to_timestamp(u.connected_at / 1000.0), to_timestamp(u.seen / 1000.0), u.applied, u.status,
               u.rejected, u.error, u.owner, u.transport
        FROM u LEFT JOIN existing e ON e.namespace = u.ns AND e.client_id = u.cid
        WHERE NOT EXISTS (SELECT 1 FROM taken t WHERE t.ns = u.ns AND t.cid = u.cid)
          AND NOT EXISTS (SELECT 1 FROM over_cap o WHERE o.ns = u.ns AND o.cid = u.cid)
        ON CONFLICT (namespace, client_id) DO UPDATE SET
          -- Two HTTP rows have no connection to order them (an ack and the pull sent next to it may
          -- reach two event loops and be written in either order): they merge, the newer row's
          -- node and labels win, times only move forward.
          node = CASE WHEN @NEWER@ THEN excluded.node ELSE cs.node END,
          session = CASE WHEN @NEWER@ THEN excluded.session ELSE cs.session END,
          labels = CASE WHEN excluded.labels = 'null'::jsonb OR NOT @NEWER@ THEN cs.labels ELSE excluded.labels END,
          connected = excluded.connected,
          connected_at = GREATEST(cs.connected_at, excluded.connected_at),
          last_seen = GREATEST(cs.last_seen, excluded.last_seen),
          applied_version = GREATEST(cs.applied_version, excluded.applied_version),
          status = CASE WHEN excluded.status IS NULL OR @KEEPS@ OR (cs.status IS NOT NULL AND NOT @NEWER@)
                        THEN cs.status ELSE excluded.status END,
          rejected_version = CASE WHEN excluded.status IS NULL OR @KEEPS@ OR (cs.status IS NOT NULL AND NOT @NEWER@)
                                  THEN cs.rejected_version ELSE excluded.rejected_version END,
          error = CASE WHEN excluded.status IS NULL OR @KEEPS@ OR (cs.status IS NOT NULL AND NOT @NEWER@)
                       THEN cs.error ELSE excluded.error END,
          owner = excluded.owner, transport = excluded.transport
        WHERE (cs.connected_at IS NULL OR excluded.connected_at >= cs.connected_at
               OR (cs.transport = 'http' AND excluded.transport = 'http'))
          AND (cs.owner = '' OR cs.owner = excluded.owner)
      )
      SELECT ns, cid, 'taken' AS reason FROM taken
      UNION ALL SELECT ns, cid, 'over_cap' FROM over_cap""".replace("@NEWER@", NEWER).replace("@KEEPS@", KEEPS_REJECTION);

  /**
   * The ack fields of rows this node wrote for the same connection (session and owner unchanged):
   * a plain update by primary key, what UPSERT_CLIENTS would do to such a row at a fraction of its
   * cost. Returns the 1-based positions of the rows it did not update (usually none, so an
   * answer carries no row per ack); the caller sends those through UPSERT_CLIENTS.
   */
  static final String UPDATE_ACKS = """
      WITH u AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[],
                             $8::bigint[], $9::text[]) WITH ORDINALITY
          AS u(ns, cid, session, owner, seen, applied_version, status, rejected, error, i)
      ), updated AS (
        UPDATE client_state AS cs SET
          last_seen = to_timestamp(u.seen / 1000.0),
          applied_version = GREATEST(cs.applied_version, u.applied_version),
          status = CASE WHEN u.status IS NULL OR @KEEPS@
                        THEN cs.status ELSE u.status END,
          rejected_version = CASE WHEN u.status IS NULL OR @KEEPS@
                                  THEN cs.rejected_version ELSE u.rejected END,
          error = CASE WHEN u.status IS NULL OR @KEEPS@
                       THEN cs.error ELSE u.error END
        FROM u
        WHERE cs.namespace = u.ns AND cs.client_id = u.cid AND cs.session = u.session AND cs.owner = u.owner
        RETURNING u.i
      )
      SELECT u.i FROM u WHERE NOT EXISTS (SELECT 1 FROM updated WHERE updated.i = u.i) ORDER BY u.i"""
      .replace("@KEEPS@", KEEPS_REJECTION.replace("excluded.", "u."));

  /** Disconnected rows not seen for a while: a fleet that churns client ids must not grow the table forever. */
  static final String PRUNE_CLIENTS = """
      DELETE FROM client_state WHERE NOT connected AND last_seen < now() - make_interval(secs => $1)""";

  static final String LIST_CLIENTS = """
      SELECT client_id, node, session, labels::text AS labels, applied_version, status, rejected_version, error,
             connected, connected_at, last_seen, owner, transport
      FROM client_state WHERE namespace = $1 ORDER BY client_id COLLATE "C\"""";

  /** One page of a namespace's clients after the cursor $2 (a client id; '' for the first page). */
  static final String PAGE_CLIENTS = """
      SELECT client_id, node, session, labels::text AS labels, applied_version, status, rejected_version, error,
             connected, connected_at, last_seen, owner, transport
      FROM client_state WHERE namespace = $1 AND client_id COLLATE "C" > $2
      ORDER BY client_id COLLATE "C" LIMIT $3""";

  /**
   * Whether any live client still lacks version $2 (bucket 2 of ROLLOUT): what a waiting request
   * polls; it stops at the first such row. Live ({@link ClientRow#live}): connected, or over HTTP
   * and seen at or after $3 (epoch milliseconds, by the hub's clock like last_seen itself).
   */
  static final String ROLLOUT_ANY_PENDING = """
      SELECT EXISTS (SELECT 1 FROM client_state WHERE namespace = $1 AND applied_version < $2
                       AND NOT COALESCE(status = 'rejected' AND rejected_version >= $2, false)
                       AND (connected OR (transport = 'http' AND last_seen >= to_timestamp($3 / 1000.0))))""";

  /**
   * The rollout of version $2: each client's bucket (0 applied, 1 rejected, 2 pending, 3
   * disconnected: the first rule that matches, as docs/http-api.md states them), each bucket's
   * total, and the first $4 clients of each bucket in client-id order (at least one row per
   * non-empty bucket, so $4 = 0 still counts). The database buckets and counts: a 10,000-client
   * answer does not ship 10,000 rows to the hub.
   */
  static final String ROLLOUT = """
      WITH b AS (
        SELECT client_id, rejected_version, error,
               CASE WHEN applied_version >= $2 THEN 0
                    WHEN COALESCE(status = 'rejected' AND rejected_version >= $2, false) THEN 1
                    WHEN connected OR (transport = 'http' AND last_seen >= to_timestamp($3 / 1000.0)) THEN 2
                    ELSE 3 END AS bucket
        FROM client_state WHERE namespace = $1
      ), n AS (
        SELECT b.*, row_number() OVER (PARTITION BY bucket ORDER BY client_id COLLATE "C") AS rn,
               count(*) OVER (PARTITION BY bucket) AS total
        FROM b
      )
      SELECT bucket, total, client_id, rejected_version, error FROM n WHERE rn <= GREATEST($4, 1)
      ORDER BY bucket, rn""";

  static final String DISCONNECT_NODE = """
      UPDATE client_state SET connected = false, last_seen = now() WHERE node = $1 AND connected""";

  /** What a herald_append call asked for: its own error codes are answered in these terms. */
  record AppendCall(String namespace, Long expectedVersion, Long rollbackTo) {
  }

  /** For {@code recover}: fails with the translation of {@code failure}. */
  static <T> Future<T> translated(Throwable failure) {
    return Future.failedFuture(translate(failure, null));
  }

  static StoreException translate(Throwable failure) {
    return translate(failure, null);
  }

  /**
   * Turns any failure of a statement into a StoreException, keeping the original as the cause.
   * Modelled on Eclipse Hono's {@code SQL.translateException}: SQL states and connection failures
   * become types here, so nothing above the store looks at states, messages or client classes.
   *
   * @param call the herald_append call that failed, or null for any other statement
   */
  static StoreException translate(Throwable failure, AppendCall call) {
    if (failure instanceof StoreException known) {
      return known;
    }
    if (failure instanceof PgException pg) {
      return translate(pg, call);
    }
    if (failure instanceof ClosedConnectionException || failure instanceof ConnectionPoolTooBusyException
        || failure instanceof IOException || failure instanceof TimeoutException) {
      // Connection refused, reset or closed, the pool's wait queue full, a connect timeout.
      return new StoreException.Unavailable(failure);
    }
    if (failure instanceof VertxException && !(failure instanceof DatabaseException)) {
      // The client's own failures without a type of their own: "Timeout waiting for connection",
      // "Pool closed", requests pending on a connection that closed. None is an answer of the server.
      return new StoreException.Unavailable(failure);
    }
    return new StoreException.Unexpected(failure);
  }

  private static StoreException translate(PgException pg, AppendCall call) {
    String state = pg.getSqlState() == null ? "" : pg.getSqlState();
    if (call != null) {
      switch (state) {
        case VERSION_CONFLICT -> {
          long expected = call.expectedVersion() == null ? -1 : call.expectedVersion();
          return new StoreException.VersionConflict(call.namespace(), expected, Long.parseLong(pg.getDetail()));
        }
        case KEY_NOT_FOUND -> {
          return new StoreException.KeyNotFound(call.namespace(), pg.getDetail());
        }
        case NO_REVISIONS -> {
          return new StoreException.NamespaceNotFound(call.namespace());
        }
        case VERSION_OUT_OF_RANGE -> {
          long to = call.rollbackTo() == null ? -1 : call.rollbackTo();
          return new StoreException.VersionNotFound(call.namespace(), to, Long.parseLong(pg.getDetail()));
        }
        case SCHEMA_PRESENT -> {
          return new StoreException.SchemaPresent(call.namespace(), Long.parseLong(pg.getDetail()));
        }
        case ROLLOUT_ACTIVE -> {
          return new StoreException.RolloutActive(call.namespace(), Long.parseLong(pg.getDetail()));
        }
        default -> {
          // not one of herald_append's own: a state like any other statement's
        }
      }
    }
    if (state.equals(UNIQUE_VIOLATION)) {
      return new StoreException.Duplicate(pg.getConstraint(), pg);
    }
    if (state.startsWith("22")) {
      return new StoreException.InvalidValue(pg);
    }
    if (state.startsWith("23")) {
      return new StoreException.Refused(pg);
    }
    if (isTransient(state)) {
      return new StoreException.Unavailable(pg);
    }
    return new StoreException.Unexpected(pg);
  }

  /**
   * Connection exceptions (08), insufficient resources (53), system errors (58), a server shutting
   * down or starting (57P01-57P03), a canceled statement (57014), deadlocks and serialization
   * failures (40): the server could not do it now, not "never".
   */
  private static boolean isTransient(String state) {
    return state.startsWith("08") || state.startsWith("53") || state.startsWith("58") || state.startsWith("40")
        || state.equals("57P01") || state.equals("57P02") || state.equals("57P03") || state.equals("57014");
  }
}
