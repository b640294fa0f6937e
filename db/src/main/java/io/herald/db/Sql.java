package io.herald.db;

/** Every SQL statement Herald runs, in one place. Parameters are positional ($n) prepared params. */
final class Sql {

  private Sql() {
  }

  /** Creates the namespace on its first write, locks its row and hands out the next version. */
  static final String BUMP_HEAD = """
      INSERT INTO namespaces (name, head) VALUES ($1, 1)
      ON CONFLICT (name) DO UPDATE SET head = namespaces.head + 1, updated_at = now()
      RETURNING head""";

  /** A whole write in one statement (migration V2); see herald_append's error codes. */
  static final String APPEND_FUNCTION =
      "SELECT o_version, o_created_at FROM herald_append($1, $2, $3, $4, $5::text[], $6::text[], $7::text[])";
  static final String VERSION_CONFLICT = "HR409";
  static final String KEY_NOT_FOUND = "HR404";

  /**
   * Appends the revision and its changes and updates the current entries, in one round trip.
   * $7 keys, $8 ops, $9 values (JSON text, null for deletes).
   */
  static final String APPEND = """
      WITH rev AS (
        INSERT INTO revisions (namespace, version, parent_version, kind, rollback_to, author, message, change_count)
        VALUES ($1::text, $2::bigint, $2::bigint - 1, $3::text, $4::bigint, $5::text, $6::text, cardinality($7::text[]))
        RETURNING created_at
      ), chg AS (
        INSERT INTO revision_changes (namespace, version, key, op, value)
        SELECT $1::text, $2::bigint, c.key, c.op, c.value::jsonb
        FROM unnest($7::text[], $8::text[], $9::text[]) AS c(key, op, value)
      ), put AS (
        INSERT INTO entries (namespace, key, value, version)
        SELECT $1::text, c.key, c.value::jsonb, $2::bigint
        FROM unnest($7::text[], $8::text[], $9::text[]) AS c(key, op, value)
        WHERE c.op = 'put'
        ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version
      ), del AS (
        DELETE FROM entries e USING unnest($7::text[], $8::text[]) AS c(key, op)
        WHERE c.op = 'delete' AND e.namespace = $1::text AND e.key = c.key
      )
      SELECT created_at FROM rev""";

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
   * Every key touched in (lo, hi], with its value as of $4 ("before") and as of $5 ("after").
   * Works in both directions, which is what a rollback needs.
   */
  static final String DIFF = """
      WITH ks AS (
        SELECT DISTINCT key FROM revision_changes
        WHERE namespace = $1 AND version > $2 AND version <= $3
      )
      SELECT ks.key, a.op AS before_op, a.value::text AS before_value,
             b.op AS after_op, b.value::text AS after_value
      FROM ks
      LEFT JOIN LATERAL (
        SELECT op, value FROM revision_changes c
        WHERE c.namespace = $1 AND c.key = ks.key AND c.version <= $4
        ORDER BY c.version DESC LIMIT 1) a ON true
      LEFT JOIN LATERAL (
        SELECT op, value FROM revision_changes c
        WHERE c.namespace = $1 AND c.key = ks.key AND c.version <= $5
        ORDER BY c.version DESC LIMIT 1) b ON true
      ORDER BY ks.key COLLATE "C\"""";

  /**
   * One row per (namespace, client): this node's whole view of the client, merged into the table.
   * Rows another token owns are not touched, nor new rows past their token's cap ($14; the
   * bootstrap admin has none): the statement returns those, with the reason, and writes the rest.
   * The cap is checked against the rows counted when the batch starts, so concurrent batches of
   * one token may pass it by at most a batch.
   */
  static final String UPSERT_CLIENTS = """
      WITH u AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bigint[],
                             $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::text[])
          AS u(ns, cid, node, session, labels, connected, connected_at, seen, applied, status, rejected, error, owner)
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
        SELECT f.ns, f.cid FROM fresh f LEFT JOIN owned o ON o.owner = f.owner WHERE COALESCE(o.n, 0) + f.n > $14
      ), written AS (
        INSERT INTO client_state AS cs (namespace, client_id, node, session, labels, connected, connected_at, last_seen,
                                        applied_version, status, rejected_version, error, owner)
        SELECT u.ns, u.cid, u.node, u.session, u.labels::jsonb, u.connected, to_timestamp(u.connected_at / 1000.0),
               to_timestamp(u.seen / 1000.0), u.applied, u.status, u.rejected, u.error, u.owner
        FROM u
        WHERE NOT EXISTS (SELECT 1 FROM taken t WHERE t.ns = u.ns AND t.cid = u.cid)
          AND NOT EXISTS (SELECT 1 FROM over_cap o WHERE o.ns = u.ns AND o.cid = u.cid)
        ON CONFLICT (namespace, client_id) DO UPDATE SET
          node = excluded.node, session = excluded.session, labels = excluded.labels,
          connected = excluded.connected, connected_at = excluded.connected_at, last_seen = excluded.last_seen,
          applied_version = GREATEST(cs.applied_version, excluded.applied_version),
          status = COALESCE(excluded.status, cs.status),
          rejected_version = CASE WHEN excluded.status IS NULL THEN cs.rejected_version ELSE excluded.rejected_version END,
          error = CASE WHEN excluded.status IS NULL THEN cs.error ELSE excluded.error END,
          owner = excluded.owner
        WHERE (cs.connected_at IS NULL OR excluded.connected_at >= cs.connected_at)
          AND (cs.owner = '' OR cs.owner = excluded.owner)
      )
      SELECT ns, cid, 'taken' AS reason FROM taken
      UNION ALL SELECT ns, cid, 'over_cap' FROM over_cap""";

  /** Disconnected rows not seen for a while: a fleet that churns client ids must not grow the table forever. */
  static final String PRUNE_CLIENTS = """
      DELETE FROM client_state WHERE NOT connected AND last_seen < now() - make_interval(secs => $1)""";

  static final String LIST_CLIENTS = """
      SELECT client_id, node, session, labels::text AS labels, applied_version, status, rejected_version, error,
             connected, connected_at, last_seen, owner
      FROM client_state WHERE namespace = $1 ORDER BY client_id COLLATE "C\"""";

  /** One page of a namespace's clients after the cursor $2 (a client id; '' for the first page). */
  static final String PAGE_CLIENTS = """
      SELECT client_id, node, session, labels::text AS labels, applied_version, status, rejected_version, error,
             connected, connected_at, last_seen, owner
      FROM client_state WHERE namespace = $1 AND client_id COLLATE "C" > $2
      ORDER BY client_id COLLATE "C" LIMIT $3""";

  /** Rollout counts of version $2 without shipping every row: what a waiting request polls. */
  static final String ROLLOUT_COUNTS = """
      SELECT count(*) FILTER (WHERE applied_version >= $2) AS applied,
             count(*) FILTER (WHERE applied_version < $2
                              AND COALESCE(status = 'rejected' AND rejected_version >= $2, false)) AS rejected,
             count(*) FILTER (WHERE applied_version < $2
                              AND NOT COALESCE(status = 'rejected' AND rejected_version >= $2, false)
                              AND connected) AS pending
      FROM client_state WHERE namespace = $1""";

  static final String DISCONNECT_NODE = """
      UPDATE client_state SET connected = false, last_seen = now() WHERE node = $1 AND connected""";
}
