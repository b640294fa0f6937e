package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Namespaces and their append-only revisions. Every write is one transaction that locks the
 * namespace head, appends the revision with its changes, updates the current entries and bumps the
 * head, so versions are contiguous per namespace whatever the concurrency. All methods are
 * non-blocking and may be called from any event loop; every Future fails with a
 * {@link StoreException}.
 *
 * <p>The syntax and size of names and values are the caller's to check; the schema re-checks the
 * syntax so that nothing invalid can be stored.
 */
public final class ConfigStore {

  public static final String KIND_WRITE = "write";
  public static final String KIND_ROLLBACK = "rollback";

  private final Pool pool;

  public ConfigStore(Pool pool) {
    this.pool = Objects.requireNonNull(pool);
  }

  /**
   * Appends one revision. Fails with {@link StoreException.VersionConflict} when
   * {@code expectedVersion} is given and is not the head, {@link StoreException.KeyNotFound} when a
   * delete names an absent key; nothing is written then.
   */
  public Future<Revision> append(String namespace, List<Change> changes, Long expectedVersion,
                                 String author, String message) {
    return append(namespace, changes, expectedVersion, author, message, null);
  }

  /**
   * As {@link #append(String, List, Long, String, String)}, also storing {@code changesSha256}
   * with the revision in the same statement: the hub's digest of the changes (in
   * {@link #inKeyOrder key order}) as it publishes them, which receiving hubs check frames against.
   */
  public Future<Revision> append(String namespace, List<Change> changes, Long expectedVersion,
                                 String author, String message, byte[] changesSha256) {
    return heraldAppend(new Sql.AppendCall(namespace, expectedVersion, null), inKeyOrder(changes), author, message,
        changesSha256);
  }

  /** The changes in the order a revision stores and returns them: by key. */
  public static List<Change> inKeyOrder(List<Change> changes) {
    List<Change> sorted = new ArrayList<>(changes);
    sorted.sort((a, b) -> a.key().compareTo(b.key()));
    return List.copyOf(sorted);
  }

  /**
   * Appends a revision whose changes turn the head back into the state at {@code toVersion}, in
   * the same single statement as a write. The rollback is a revision like any other: history keeps
   * both the original and the rollback. A rollback to the head (or to a state equal to it) has no
   * changes. Fails with {@link StoreException.VersionConflict} (checked first),
   * {@link StoreException.NamespaceNotFound} when the namespace has no revisions, and
   * {@link StoreException.VersionNotFound} when {@code toVersion} is not 1..head.
   */
  public Future<Revision> rollback(String namespace, long toVersion, Long expectedVersion,
                                   String author, String message) {
    return heraldAppend(new Sql.AppendCall(namespace, expectedVersion, toVersion), null, author, message, null);
  }

  /** One call of herald_append: {@code sorted} is a write's changes, null for a rollback. */
  private Future<Revision> heraldAppend(Sql.AppendCall call, List<Change> sorted, String author, String message,
                                        byte[] changesSha256) {
    String text = message == null ? "" : message;
    Tuple params = Tuple.tuple()
        .addString(call.namespace()).addLong(call.expectedVersion()).addString(author).addString(text);
    if (sorted == null) {
      params.addValue(null).addValue(null).addValue(null);
    } else {
      addChangeArrays(params, sorted);
    }
    params.addLong(call.rollbackTo());
    params.addValue(changesSha256 == null ? null : io.vertx.core.buffer.Buffer.buffer(changesSha256));
    return pool.preparedQuery(Sql.APPEND_FUNCTION).execute(params)
        .map(rows -> {
          Row r = rows.iterator().next();
          long version = r.getLong("o_version");
          List<Change> changes = sorted != null ? sorted
              : changes(r.getArrayOfStrings("o_keys"), r.getArrayOfStrings("o_ops"), r.getArrayOfStrings("o_values"));
          String kind = call.rollbackTo() == null ? KIND_WRITE : KIND_ROLLBACK;
          RevisionInfo info = new RevisionInfo(call.namespace(), version, version - 1, kind, call.rollbackTo(), author,
              text, changes.size(), r.getOffsetDateTime("o_created_at"));
          return new Revision(info, changes);
        })
        .recover(e -> Future.failedFuture(Sql.translate(e, call)));
  }

  /** Appends three parallel arrays: keys, ops, and values as JSON text (null for deletes). */
  private static void addChangeArrays(Tuple params, List<Change> sorted) {
    int n = sorted.size();
    String[] keys = new String[n];
    String[] ops = new String[n];
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      Change c = sorted.get(i);
      keys[i] = c.key();
      ops[i] = c.op().wire();
      values[i] = c.op() == Change.Op.PUT ? Json.encode(c.value()) : null;
    }
    params.addArrayOfString(keys).addArrayOfString(ops).addArrayOfString(values);
  }

  /** The inverse of {@link #addChangeArrays}: changes from parallel arrays of keys, ops and JSON values. */
  private static List<Change> changes(String[] keys, String[] ops, String[] values) {
    List<Change> out = new ArrayList<>(keys.length);
    for (int i = 0; i < keys.length; i++) {
      out.add(change(keys[i], ops[i], values[i]));
    }
    return List.copyOf(out);
  }

  /**
   * The commit time and stored digest of each committed revision among {@code namespaces[i]} at
   * {@code versions[i]}, in any order; pairs that are not committed revisions are left out.
   */
  public Future<List<RevisionDigest>> digests(List<String> namespaces, List<Long> versions) {
    Tuple params = Tuple.tuple().addArrayOfString(namespaces.toArray(String[]::new))
        .addArrayOfLong(versions.toArray(Long[]::new));
    return pool.preparedQuery(Sql.DIGESTS).execute(params).map(rows -> {
      List<RevisionDigest> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        io.vertx.core.buffer.Buffer sha = r.getBuffer("changes_sha256");
        out.add(new RevisionDigest(r.getString("namespace"), r.getLong("version"), r.getOffsetDateTime("created_at"),
            sha == null ? null : sha.getBytes()));
      }
      return out;
    }).recover(Sql::translated);
  }

  /** The head version of a namespace; fails with NamespaceNotFound when it has none. */
  public Future<Long> head(String namespace) {
    return head(pool, namespace).recover(Sql::translated);
  }

  /** The heads of several namespaces at once; names without revisions are left out. */
  public Future<Map<String, Long>> heads(List<String> namespaces) {
    return pool.preparedQuery(Sql.HEADS).execute(Tuple.tuple().addArrayOfString(namespaces.toArray(String[]::new)))
        .map(rows -> {
          Map<String, Long> out = new LinkedHashMap<>();
          for (Row r : rows) {
            out.put(r.getString(0), r.getLong(1));
          }
          return out;
        }).recover(Sql::translated);
  }

  private static Future<Long> head(SqlClient client, String namespace) {
    return client.preparedQuery(Sql.HEAD).execute(Tuple.of(namespace)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StoreException.NamespaceNotFound(namespace))
        : Future.succeededFuture(rows.iterator().next().getLong(0)));
  }

  public Future<List<NamespaceInfo>> listNamespaces() {
    return pool.query(Sql.LIST_NAMESPACES).execute().map(rows -> {
      List<NamespaceInfo> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(new NamespaceInfo(r.getString("name"), r.getLong("head"), r.getLong("keys"), r.getLong("clients"),
            r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at")));
      }
      return out;
    }).recover(Sql::translated);
  }

  /** The state at the head, read in one statement so version and entries match. */
  public Future<Snapshot> snapshot(String namespace) {
    return pool.preparedQuery(Sql.SNAPSHOT_HEAD).execute(Tuple.of(namespace)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new StoreException.NamespaceNotFound(namespace));
      }
      long head = 0;
      Map<String, Object> entries = new LinkedHashMap<>();
      for (Row r : rows) {
        head = r.getLong("head");
        String key = r.getString("key");
        if (key != null) {
          entries.put(key, Json.decodeValue(r.getString("value")));
        }
      }
      return Future.succeededFuture(new Snapshot(namespace, head, entries));
    }).recover(Sql::translated);
  }

  /** The state at any version from 0 (empty) to the head. */
  public Future<Snapshot> snapshot(String namespace, long version) {
    return head(pool, namespace).compose(head -> {
      if (version < 0 || version > head) {
        return Future.failedFuture(new StoreException.VersionNotFound(namespace, version, head));
      }
      return pool.preparedQuery(Sql.SNAPSHOT_AT).execute(Tuple.of(namespace, version)).map(rows -> {
        Map<String, Object> entries = new LinkedHashMap<>();
        for (Row r : rows) {
          entries.put(r.getString("key"), Json.decodeValue(r.getString("value")));
        }
        return new Snapshot(namespace, version, entries);
      });
    }).recover(Sql::translated);
  }

  /**
   * Revisions newest first with {@code after < version < before}, at most {@code limit}.
   * Pass {@code Long.MAX_VALUE} and 0 for no bound.
   */
  public Future<HistoryPage> history(String namespace, long before, long after, int limit) {
    return head(pool, namespace).compose(head -> pool.preparedQuery(Sql.HISTORY)
        .execute(Tuple.of(namespace, before, after, limit))
        .map(rows -> new HistoryPage(namespace, head, revisionInfos(rows)))).recover(Sql::translated);
  }

  /** One revision with its changes. */
  public Future<Revision> revision(String namespace, long version) {
    return revisions(namespace, version - 1, version).compose(list -> list.isEmpty()
        ? head(pool, namespace).compose(head ->
            Future.failedFuture(new StoreException.VersionNotFound(namespace, version, head)))
        : Future.succeededFuture(list.get(0))).recover(Sql::translated);
  }

  /** Every revision with {@code fromExclusive < version <= toInclusive}, oldest first, with changes. */
  public Future<List<Revision>> revisions(String namespace, long fromExclusive, long toInclusive) {
    Tuple range = Tuple.of(namespace, fromExclusive, toInclusive);
    Future<RowSet<Row>> infos = pool.preparedQuery(Sql.REVISIONS_IN_RANGE).execute(range);
    Future<RowSet<Row>> changes = pool.preparedQuery(Sql.CHANGES_IN_RANGE).execute(range);
    return Future.all(infos, changes).map(done -> {
      Map<Long, List<Change>> byVersion = new LinkedHashMap<>();
      for (Row r : changes.result()) {
        byVersion.computeIfAbsent(r.getLong("version"), v -> new ArrayList<>()).add(change(r));
      }
      List<Revision> out = new ArrayList<>();
      for (RevisionInfo info : revisionInfos(infos.result())) {
        out.add(new Revision(info, byVersion.getOrDefault(info.version(), List.of())));
      }
      return out;
    }).recover(Sql::translated);
  }

  /** Merged changes from the state at {@code from} to the state at {@code to}; both must be 0..head. */
  public Future<Diff> diff(String namespace, long from, long to) {
    return head(pool, namespace).compose(head -> {
      if (from < 0 || from > head) {
        return Future.failedFuture(new StoreException.VersionNotFound(namespace, from, head));
      }
      if (to < 0 || to > head) {
        return Future.failedFuture(new StoreException.VersionNotFound(namespace, to, head));
      }
      return diff(pool, namespace, from, to);
    }).recover(Sql::translated);
  }

  private static Future<Diff> diff(SqlClient client, String namespace, long from, long to) {
    return client.preparedQuery(Sql.DIFF).execute(Tuple.of(namespace, from, to)).map(rows -> {
      List<Diff.Entry> entries = new ArrayList<>();
      for (Row r : rows) {
        boolean existedBefore = "put".equals(r.getString("before_op"));
        boolean existsAfter = "put".equals(r.getString("after_op"));
        Object before = existedBefore ? Json.decodeValue(r.getString("before_value")) : null;
        Object after = existsAfter ? Json.decodeValue(r.getString("after_value")) : null;
        if (existedBefore == existsAfter && Objects.equals(before, after)) {
          continue; // changed and changed back, or created and deleted again: no net change
        }
        entries.add(new Diff.Entry(r.getString("key"), existedBefore, before, existsAfter, after));
      }
      return new Diff(namespace, from, to, entries);
    });
  }

  private static Change change(Row r) {
    return change(r.getString("key"), r.getString("op"), r.getString("value"));
  }

  private static Change change(String key, String op, String jsonValue) {
    return Change.Op.fromWire(op) == Change.Op.PUT ? Change.put(key, Json.decodeValue(jsonValue)) : Change.delete(key);
  }

  private static List<RevisionInfo> revisionInfos(RowSet<Row> rows) {
    List<RevisionInfo> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new RevisionInfo(r.getString("namespace"), r.getLong("version"), r.getLong("parent_version"),
          r.getString("kind"), r.getLong("rollback_to"), r.getString("author"), r.getString("message"),
          r.getInteger("change_count"), r.getOffsetDateTime("created_at")));
    }
    return out;
  }

  /**
   * What a client at version {@code since} needs to reach the head: a snapshot when it has nothing
   * ({@code since} 0) or claims a version the namespace never had, otherwise the merged delta
   * (empty when it is current). A namespace without revisions is an empty snapshot at version 0.
   */
  public Future<CatchUp> catchUp(String namespace, long since) {
    if (since <= 0) {
      return snapshotOrEmpty(namespace).map(CatchUp::of);
    }
    return pool.preparedQuery(Sql.HEAD).execute(Tuple.of(namespace)).compose(rows -> {
      long head = rows.size() == 0 ? 0 : rows.iterator().next().getLong(0);
      if (since > head) {
        return snapshotOrEmpty(namespace).map(CatchUp::of);
      }
      if (since == head) {
        return Future.succeededFuture(CatchUp.of(new Diff(namespace, since, head, List.of())));
      }
      return diff(pool, namespace, since, head).map(CatchUp::of);
    }).recover(Sql::translated);
  }

  private Future<Snapshot> snapshotOrEmpty(String namespace) {
    return snapshot(namespace).recover(e -> e instanceof StoreException.NamespaceNotFound
        ? Future.succeededFuture(new Snapshot(namespace, 0, Map.of()))
        : Future.failedFuture(e));
  }

  /** Either a full snapshot or a merged delta; exactly one is non-null. */
  public record CatchUp(Snapshot snapshot, Diff delta) {

    static CatchUp of(Snapshot s) {
      return new CatchUp(s, null);
    }

    static CatchUp of(Diff d) {
      return new CatchUp(null, d);
    }

    public long version() {
      return snapshot != null ? snapshot.version() : delta.to();
    }
  }
}
