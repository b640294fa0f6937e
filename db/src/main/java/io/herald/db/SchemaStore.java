package io.herald.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Namespace schemas (migration V9): the current one and the append-only history of changes. A
 * change locks the namespace's head row, the same lock every write takes, so the head that the
 * caller's check judges is the head the schema applies to. Every Future fails with a
 * {@link StoreException}.
 */
public final class SchemaStore {

  private final Pool pool;

  public SchemaStore(Pool pool) {
    this.pool = Objects.requireNonNull(pool);
  }

  /** The schema in force, or null when the namespace has none. */
  public Future<SchemaChange> current(String namespace) {
    return pool.preparedQuery(Sql.SCHEMA_CURRENT).execute(Tuple.of(namespace))
        .map(rows -> rows.size() == 0 ? (SchemaChange) null : change(rows.iterator().next()))
        .recover(Sql::translated);
  }

  /** Schema changes newest first, with {@code version < before}, at most {@code limit}. */
  public Future<List<SchemaChange>> history(String namespace, long before, int limit) {
    return pool.preparedQuery(Sql.SCHEMA_HISTORY).execute(Tuple.of(namespace, before, limit))
        .map(SchemaStore::changes).recover(Sql::translated);
  }

  /**
   * What a schema change checks under the lock: given the head state, it answers the violations
   * the change knowingly accepts (JSON text, null for none), or fails to refuse the change.
   */
  public interface HeadCheck extends Function<Snapshot, Future<String>> {
  }

  /**
   * Sets ({@code schema} non-null) or removes ({@code schema} null) the namespace's schema as a new
   * schema change. Setting a schema on a namespace without revisions creates it at head 0.
   * Removing fails with {@link StoreException.NamespaceNotFound} when there is nothing to remove.
   */
  public Future<SchemaChange> change(String namespace, String schema, boolean allowInvalidHead, String author,
                                     String message, HeadCheck check) {
    return pool.withTransaction(conn -> {
      Future<?> exists = schema == null ? Future.succeededFuture()
          : conn.preparedQuery(Sql.ENSURE_NAMESPACE).execute(Tuple.of(namespace));
      return exists
          .compose(x -> conn.preparedQuery(Sql.LOCK_HEADS).execute(Tuple.of(new String[] {namespace})))
          .compose(rows -> {
            if (rows.size() == 0) {
              return Future.failedFuture(new StoreException.NamespaceNotFound(namespace));
            }
            Row head = rows.iterator().next();
            long schemaVersion = head.getLong("schema_version");
            if (schema == null && !head.getBoolean("has_schema")) {
              return Future.failedFuture(new StoreException.NamespaceNotFound(namespace));
            }
            Future<String> accepted = schema == null ? Future.succeededFuture(null)
                : ConfigStore.snapshotHead(conn, namespace).compose(check)
                    .recover(refused -> Future.failedFuture(new Refusal(refused)));
            return accepted.compose(violations -> conn.preparedQuery(Sql.INSERT_SCHEMA)
                    .execute(Tuple.of(namespace, schemaVersion + 1, schema, head.getLong("head"),
                        allowInvalidHead && violations != null, violations, author, message == null ? "" : message))
                .compose(inserted -> conn.preparedQuery(Sql.SET_SCHEMA_STATE)
                    .execute(Tuple.of(namespace, schemaVersion + 1, schema != null))
                    .map(done -> change(inserted.iterator().next()))));
          });
    }).recover(e -> Future.failedFuture(e instanceof Refusal r ? r.getCause() : Sql.translate(e)));
  }

  /** The caller's check refused the change: its own failure is the cause, and reaches the caller as it is. */
  private static final class Refusal extends StoreException {
    Refusal(Throwable cause) {
      super("refused by the check", cause);
    }
  }

  private static List<SchemaChange> changes(RowSet<Row> rows) {
    List<SchemaChange> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(change(r));
    }
    return out;
  }

  private static SchemaChange change(Row r) {
    return new SchemaChange(r.getString("namespace"), r.getLong("version"), r.getString("schema"),
        r.getLong("at_head"), r.getBoolean("allow_invalid_head"), r.getString("head_violations"),
        r.getString("author"), r.getString("message"), r.getOffsetDateTime("created_at"));
  }
}
