package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Progressive rollouts (migration V10): rollouts, their append-only transitions, the one unfinished
 * rollout per namespace, and namespaces' default plans. Plans are stored as the JSON the hub
 * validated. Every transition writes its audit-log entry in the same statement. Every Future fails
 * with a {@link StoreException}; a transition whose seq another node took first fails with
 * {@link StoreException.Duplicate}, and so does a start while a rollout of the namespace is
 * unfinished (constraint {@code rollout_active_pkey}).
 */
public final class RolloutStore {

  public static final String ACTIVE_CONSTRAINT = "rollout_active_pkey";

  private final Pool pool;

  public RolloutStore(Pool pool) {
    this.pool = pool;
  }

  /** One transition: the state and released step it leaves, who made it, when, and why. */
  public record Transition(int seq, String kind, int step, String state, String actor, JsonObject detail,
                           OffsetDateTime at) {
  }

  /** A rollout with its transitions, oldest first (or only the newest one, where a method says so). */
  public record Rollout(long id, String namespace, long version, long stable, JsonObject plan, OffsetDateTime createdAt,
                        String createdBy, List<Transition> transitions) {

    public Transition last() {
      return transitions.get(transitions.size() - 1);
    }

    public Rollout with(Transition t) {
      List<Transition> all = new ArrayList<>(transitions);
      all.add(t);
      return new Rollout(id, namespace, version, stable, plan, createdAt, createdBy, List.copyOf(all));
    }
  }

  private static final String COLUMNS = "r.id, r.namespace, r.version, r.stable, r.plan, r.created_at, r.created_by, "
      + "t.seq, t.kind, t.step, t.state, t.actor, t.detail, t.at";

  /**
   * Starts a rollout of {@code version} over {@code stable}, its step 0 released, in one statement
   * with its first transition and audit entry. Fails with Duplicate ({@link #ACTIVE_CONSTRAINT})
   * while another rollout of the namespace is unfinished.
   */
  public Future<Rollout> start(String namespace, long version, long stable, JsonObject plan, String actor) {
    JsonObject audit = new JsonObject().put("namespace", namespace).put("version", version).put("stable", stable)
        .put("plan", plan);
    return pool.preparedQuery("""
            WITH r AS (
              INSERT INTO rollouts (namespace, version, stable, plan, created_by) VALUES ($1, $2, $3, $4, $5)
              RETURNING id, created_at
            ), a AS (
              INSERT INTO rollout_active (namespace, rollout_id) SELECT $1, id FROM r
            ), t AS (
              INSERT INTO rollout_transitions (rollout_id, seq, kind, step, state, actor)
              SELECT id, 1, 'started', 0, 'active', $5 FROM r RETURNING at
            ), l AS (
              INSERT INTO audit_log (actor, action, detail) VALUES ($5, 'rollout.started', $6)
            )
            SELECT r.id, r.created_at, t.at FROM r, t""")
        .execute(Tuple.of(namespace, version, stable, plan, actor, audit))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new Rollout(row.getLong(0), namespace, version, stable, plan, row.getOffsetDateTime(1), actor,
              List.of(new Transition(1, "started", 0, "active", actor, new JsonObject(), row.getOffsetDateTime(2))));
        })
        .recover(Sql::translated);
  }

  /** The finishing states: a transition into one also frees the namespace for the next rollout. */
  public static boolean finished(String state) {
    return state.equals("completed") || state.equals("rolled_back") || state.equals("cancelled");
  }

  /**
   * Appends transition {@code seq} (the last one read + 1) with its audit entry, in one statement.
   * Fails with Duplicate when another node appended that seq first: re-read and decide again.
   */
  public Future<Rollout> transition(Rollout r, String kind, int step, String state, String actor, JsonObject detail) {
    int seq = r.last().seq() + 1;
    JsonObject audit = new JsonObject().put("namespace", r.namespace()).put("version", r.version())
        .put("step", step).put("state", state).mergeIn(detail);
    return pool.preparedQuery("""
            WITH t AS (
              INSERT INTO rollout_transitions (rollout_id, seq, kind, step, state, actor, detail)
              VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING at
            ), a AS (
              DELETE FROM rollout_active WHERE rollout_id = $1 AND $8 AND EXISTS (SELECT 1 FROM t)
            ), l AS (
              INSERT INTO audit_log (actor, action, detail) SELECT $6, 'rollout.' || $3, $9 FROM t
            )
            SELECT at FROM t""")
        .execute(Tuple.tuple().addLong(r.id()).addInteger(seq).addString(kind).addInteger(step).addString(state)
            .addString(actor).addValue(detail).addBoolean(finished(state)).addValue(audit))
        .map(rows -> r.with(new Transition(seq, kind, step, state, actor, detail, rows.iterator().next().getOffsetDateTime(0))))
        .recover(Sql::translated);
  }

  /** Every unfinished rollout with its newest transition. */
  public Future<List<Rollout>> active() {
    return pool.query("SELECT " + COLUMNS + " FROM rollout_active a JOIN rollouts r ON r.id = a.rollout_id"
            + " JOIN LATERAL (SELECT * FROM rollout_transitions WHERE rollout_id = r.id ORDER BY seq DESC LIMIT 1) t"
            + " ON true ORDER BY r.id").execute()
        .map(RolloutStore::grouped).recover(Sql::translated);
  }

  /** The rollouts of a namespace, newest first, each with its newest transition only. */
  public Future<List<Rollout>> list(String namespace, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM rollouts r"
            + " JOIN LATERAL (SELECT * FROM rollout_transitions WHERE rollout_id = r.id ORDER BY seq DESC LIMIT 1) t"
            + " ON true WHERE r.namespace = $1 ORDER BY r.version DESC LIMIT $2").execute(Tuple.of(namespace, limit))
        .map(RolloutStore::grouped).recover(Sql::translated);
  }

  /** The rollout of {@code version} with every transition, or null when that version had none. */
  public Future<Rollout> find(String namespace, long version) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM rollouts r JOIN rollout_transitions t ON t.rollout_id = r.id"
            + " WHERE r.namespace = $1 AND r.version = $2 ORDER BY t.seq").execute(Tuple.of(namespace, version))
        .map(rows -> {
          List<Rollout> all = grouped(rows);
          return all.isEmpty() ? null : all.get(0);
        }).recover(Sql::translated);
  }

  private static List<Rollout> grouped(RowSet<Row> rows) {
    Map<Long, Rollout> out = new LinkedHashMap<>();
    for (Row row : rows) {
      Transition t = new Transition(row.getInteger("seq"), row.getString("kind"), row.getInteger("step"),
          row.getString("state"), row.getString("actor"), (JsonObject) row.getValue("detail"), row.getOffsetDateTime("at"));
      out.compute(row.getLong("id"), (id, r) -> r != null ? r.with(t)
          : new Rollout(id, row.getString("namespace"), row.getLong("version"), row.getLong("stable"),
              (JsonObject) row.getValue("plan"), row.getOffsetDateTime("created_at"), row.getString("created_by"),
              List.of(t)));
    }
    return new ArrayList<>(out.values());
  }

  /** Sets a namespace's default plan. */
  public Future<Void> putPolicy(String namespace, JsonObject plan, String actor) {
    return pool.preparedQuery("""
            WITH p AS (
              INSERT INTO rollout_policies (namespace, plan, updated_by) VALUES ($1, $2, $3)
              ON CONFLICT (namespace) DO UPDATE SET plan = excluded.plan, updated_by = excluded.updated_by,
                updated_at = clock_timestamp()
            )
            INSERT INTO audit_log (actor, action, detail) VALUES ($3, 'rollout_policy.set',
              jsonb_build_object('namespace', $1::text, 'plan', $2::jsonb))""")
        .execute(Tuple.of(namespace, plan, actor)).<Void>mapEmpty().recover(Sql::translated);
  }

  /** Removes a namespace's default plan; false when it had none. */
  public Future<Boolean> deletePolicy(String namespace, String actor) {
    return pool.preparedQuery("""
            WITH p AS (DELETE FROM rollout_policies WHERE namespace = $1 RETURNING namespace)
            INSERT INTO audit_log (actor, action, detail)
              SELECT $2, 'rollout_policy.deleted', jsonb_build_object('namespace', $1::text) FROM p
            RETURNING id""")
        .execute(Tuple.of(namespace, actor)).map(rows -> rows.size() > 0).recover(Sql::translated);
  }

  /** Every namespace's default plan. */
  public Future<Map<String, JsonObject>> policies() {
    return pool.query("SELECT namespace, plan FROM rollout_policies").execute().map(rows -> {
      Map<String, JsonObject> out = new LinkedHashMap<>();
      for (Row r : rows) {
        out.put(r.getString(0), (JsonObject) r.getValue(1));
      }
      return out;
    }).recover(Sql::translated);
  }

  /** The labels a client of a namespace last reported (null when it has no row). */
  public Future<JsonObject> clientLabels(String namespace, String clientId) {
    return pool.preparedQuery("SELECT labels::text FROM client_state WHERE namespace = $1 AND client_id = $2")
        .execute(Tuple.of(namespace, clientId))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          String labels = rows.iterator().next().getString(0);
          return labels == null || labels.equals("null") ? new JsonObject() : new JsonObject(labels);
        }).recover(Sql::translated);
  }
}
