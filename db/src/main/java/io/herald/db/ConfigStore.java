package io.herald.db;

import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
    return one(Append.write(namespace, changes, expectedVersion, author, message, changesSha256));
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
    return one(Append.rollback(namespace, toVersion, expectedVersion, author, message));
  }

  private Future<Revision> one(Append a) {
    return appendAll(List.of(a)).compose(outcomes -> outcomes.get(0));
  }

  /**
   * One write (its changes, and optionally the SHA-256 of them as the hub publishes them) or
   * rollback (its target version) to append. {@code rolloutId}: the progressive rollout the
   * revision belongs to (its staged version, or its rollback to stable), null for any other; while
   * a namespace has an unfinished rollout only that rollout's revisions commit (V12, HR413).
   */
  public record Append(String namespace, List<Change> changes, Long expectedVersion, Long rollbackTo,
                       String author, String message, byte[] changesSha256, Long rolloutId) {

    public static Append write(String namespace, List<Change> changes, Long expectedVersion, String author,
                               String message) {
      return write(namespace, changes, expectedVersion, author, message, null);
    }

    public static Append write(String namespace, List<Change> changes, Long expectedVersion, String author,
                               String message, byte[] changesSha256) {
      return new Append(namespace, inKeyOrder(changes), expectedVersion, null, author,
          message == null ? "" : message, changesSha256, null);
    }

    public static Append rollback(String namespace, long toVersion, Long expectedVersion, String author,
                                  String message) {
      return new Append(namespace, null, expectedVersion, toVersion, author, message == null ? "" : message, null,
          null);
    }

    /** This append as a revision of rollout {@code id} (null: of none). */
    public Append inRollout(Long id) {
      return new Append(namespace, changes, expectedVersion, rollbackTo, author, message, changesSha256, id);
    }

    Sql.AppendCall call() {
      return new Sql.AppendCall(namespace, expectedVersion, rollbackTo);
    }
  }

  /**
   * Appends several revisions, of one namespace or many, in one statement and one transaction
   * (group commit, migration V12; a subtransaction per write only when PostgreSQL refuses the data
   * of one of them): each gets its own consecutive version and its own outcome, in
   * order. A write that fails for its own reasons (a stale expected version, a missing key, data
   * PostgreSQL refuses) fails alone and its batch-mates commit; any other failure (the database
   * unreachable, a deadlock) fails the returned future, and none of the batch is committed.
   * Keep batches at {@link #MAX_BATCH} or fewer.
   */
  public Future<List<Future<Revision>>> appendAll(List<Append> appends) {
    return appendAll(appends, null);
  }

  /**
   * As {@link #appendAll(List)}, each append {@code i} validated by the caller against schema
   * version {@code schemaVersions.get(i)} (null: not validated, the caller believes the namespace
   * has none). An append whose namespace's schema version differs once its head row is locked
   * fails alone with {@link StoreException.SchemaPresent} (migration V9); pass the head the caller
   * judged as the expected version so that a moved head fails it too.
   */
  public Future<List<Future<Revision>>> appendAll(List<Append> appends, List<Long> schemaVersions) {
    int n = appends.size();
    if (n == 0) {
      return Future.succeededFuture(List.of());
    }
    String[] ns = new String[n];
    Long[] expected = new Long[n];
    String[] authors = new String[n];
    String[] messages = new String[n];
    Long[] rollbackTo = new Long[n];
    io.vertx.core.buffer.Buffer[] digests = new io.vertx.core.buffer.Buffer[n];
    Long[] schemas = new Long[n];
    Integer[] counts = new Integer[n];
    Long[] rollouts = new Long[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      Append a = appends.get(i);
      ns[i] = a.namespace();
      expected[i] = a.expectedVersion();
      authors[i] = a.author();
      messages[i] = a.message();
      rollbackTo[i] = a.rollbackTo();
      digests[i] = a.changesSha256() == null ? null : io.vertx.core.buffer.Buffer.buffer(a.changesSha256());
      schemas[i] = schemaVersions == null ? null : schemaVersions.get(i);
      counts[i] = a.changes() == null ? 0 : a.changes().size();
      rollouts[i] = a.rolloutId();
      total += counts[i];
    }
    String[] keys = new String[total];
    String[] ops = new String[total];
    String[] values = new String[total];
    int at = 0;
    for (Append a : appends) {
      if (a.changes() == null) {
        continue;
      }
      for (Change c : a.changes()) {
        keys[at] = c.key();
        ops[at] = c.op().wire();
        values[at] = c.op() == Change.Op.PUT ? Json.encode(c.value()) : null;
        at++;
      }
    }
    Tuple params = Tuple.tuple().addArrayOfString(ns).addArrayOfLong(expected).addArrayOfString(authors)
        .addArrayOfString(messages).addArrayOfLong(rollbackTo).addArrayOfBuffer(digests).addArrayOfLong(schemas)
        .addArrayOfInteger(counts).addArrayOfString(keys).addArrayOfString(ops).addArrayOfString(values)
        .addArrayOfLong(rollouts);
    return pool.preparedQuery(Sql.APPEND_BATCH).execute(params)
        .recover(failure -> refusedData(failure)
            // One write's data is refused, not the batch: each write alone, the culprit fails alone.
            ? pool.preparedQuery(Sql.APPEND_EACH).execute(params)
            : Future.failedFuture(failure))
        .map(rows -> outcomes(appends, rows))
        .recover(Sql::translated);
  }

  /** Data PostgreSQL refused (classes 22 and 23): one write of the batch is bad, the batch is not. */
  private static boolean refusedData(Throwable failure) {
    if (!(failure instanceof io.vertx.pgclient.PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    return pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23");
  }

  /** One outcome per append, in order, from herald_append_batch's or herald_append_many's rows. */
  private static List<Future<Revision>> outcomes(List<Append> appends, io.vertx.sqlclient.RowSet<Row> rows) {
    List<Future<Revision>> out = new ArrayList<>(appends.size());
    for (Row r : rows) {
      Append a = appends.get(r.getInteger("o_index") - 1);
      String state = r.getString("o_state");
      if (state != null) {
        out.add(Future.failedFuture(Sql.translate(new io.vertx.pgclient.PgException(
            "herald_append failed with " + state, "ERROR", state, r.getString("o_detail")), a.call())));
        continue;
      }
      long version = r.getLong("o_version");
      List<Change> applied = a.changes() != null ? a.changes()
          : changes(r.getArrayOfStrings("o_keys"), r.getArrayOfStrings("o_ops"), r.getArrayOfStrings("o_values"));
      String kind = a.rollbackTo() == null ? KIND_WRITE : KIND_ROLLBACK;
      RevisionInfo info = new RevisionInfo(a.namespace(), version, version - 1, kind, a.rollbackTo(),
          a.author(), a.message(), applied.size(), r.getOffsetDateTime("o_created_at"));
      out.add(Future.succeededFuture(new Revision(info, applied)));
    }
    return out;
  }

  /** Returns an append with another expected version (the head a validated write was judged on). */
  public static Append withExpected(Append a, Long expectedVersion) {
    return new Append(a.namespace(), a.changes(), expectedVersion, a.rollbackTo(), a.author(), a.message(),
        a.changesSha256(), a.rolloutId());
  }

  /** At most this many appends in one {@link #appendAll} call (refused data takes a subtransaction per write, V12). */
  public static final int MAX_BATCH = 64;


  /** Changes from parallel arrays of keys, ops and JSON values (a rollback's, as herald_append computed them). */
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
    return snapshotHead(pool, namespace).recover(Sql::translated);
  }

  static Future<Snapshot> snapshotHead(SqlClient client, String namespace) {
    return client.preparedQuery(Sql.SNAPSHOT_HEAD).execute(Tuple.of(namespace)).compose(rows -> {
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
    });
  }

  /** The state at any version from 0 (empty) to the head. */
  public Future<Snapshot> snapshot(String namespace, long version) {
    return head(pool, namespace).compose(head -> {
      if (version < 0 || version > head) {
        return Future.failedFuture(new StoreException.VersionNotFound(namespace, version, head));
      }
      return snapshotAt(pool, namespace, version);
    }).recover(Sql::translated);
  }

  private static Future<Snapshot> snapshotAt(SqlClient client, String namespace, long version) {
    return client.preparedQuery(Sql.SNAPSHOT_AT).execute(Tuple.of(namespace, version)).map(rows -> {
      Map<String, Object> entries = new LinkedHashMap<>();
      for (Row r : rows) {
        entries.put(r.getString("key"), Json.decodeValue(r.getString("value")));
      }
      return new Snapshot(namespace, version, entries);
    });
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

  /**
   * As {@link #catchUp(String, long)}, bringing the client no further than {@code upTo} (a rollout
   * holds it at its stable version): a snapshot at {@code upTo} for 0 or a version the namespace
   * never had, the merged delta {@code since -> upTo}, or an empty delta at {@code since} when it
   * already holds {@code upTo} or more.
   */
  public Future<CatchUp> catchUp(String namespace, long since, long upTo) {
    if (upTo == Long.MAX_VALUE) {
      return catchUp(namespace, since);
    }
    return pool.preparedQuery(Sql.HEAD).execute(Tuple.of(namespace)).compose(rows -> {
      long head = rows.size() == 0 ? 0 : rows.iterator().next().getLong(0);
      long to = Math.min(upTo, head);
      if (since <= 0 || since > head) {
        return to == 0 ? Future.succeededFuture(CatchUp.of(new Snapshot(namespace, 0, Map.of())))
            : snapshot(namespace, to).map(CatchUp::of);
      }
      if (since >= to) {
        return Future.succeededFuture(CatchUp.of(new Diff(namespace, since, since, List.of())));
      }
      return diff(pool, namespace, since, to).map(CatchUp::of);
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
