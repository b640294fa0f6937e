package io.herald.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Which client runs which version: batched upserts from the hub nodes, reads for the rollout API.
 * Every Future fails with a {@link StoreException}.
 */
public final class ClientStateStore {

  private final Pool pool;

  public ClientStateStore(Pool pool) {
    this.pool = pool;
  }

  /** A row the database did not write: another token owns it, or its token holds its cap of rows. */
  public record Refusal(String namespace, String clientId, Reason reason) {
  }

  public enum Reason { TAKEN, OVER_CAP }

  /**
   * Writes many clients' state in one statement. At most one row per (namespace, client) in a
   * batch. The applied version never goes down, and a row from an older connection of the client
   * (an earlier {@code connectedAt}) never overwrites a newer one: a client that already
   * reconnected elsewhere stays connected when its old node reports the old connection closed.
   * A row belongs to the token that first wrote it: rows of another token, and new rows past
   * {@code maxRowsPerOwner}, are left alone and returned as refusals.
   */
  public Future<List<Refusal>> upsert(Collection<ClientRow> rows, int maxRowsPerOwner) {
    if (rows.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    int n = rows.size();
    String[] ns = new String[n];
    String[] cid = new String[n];
    String[] node = new String[n];
    String[] session = new String[n];
    String[] labels = new String[n];
    Boolean[] connected = new Boolean[n];
    Long[] connectedAt = new Long[n];
    Long[] seen = new Long[n];
    Long[] applied = new Long[n];
    String[] status = new String[n];
    Long[] rejected = new Long[n];
    String[] error = new String[n];
    String[] owner = new String[n];
    String[] transport = new String[n];
    int i = 0;
    for (ClientRow r : rows) {
      ns[i] = r.namespace();
      cid[i] = r.clientId();
      node[i] = r.node();
      session[i] = r.session();
      labels[i] = r.labelsJson();
      connected[i] = r.connected();
      connectedAt[i] = r.connectedAt();
      seen[i] = r.lastSeen();
      applied[i] = r.appliedVersion();
      status[i] = r.status();
      rejected[i] = r.rejectedVersion();
      error[i] = r.error();
      owner[i] = r.owner();
      transport[i] = r.transport();
      i++;
    }
    Tuple params = Tuple.tuple()
        .addArrayOfString(ns).addArrayOfString(cid).addArrayOfString(node).addArrayOfString(session)
        .addArrayOfString(labels).addArrayOfBoolean(connected).addArrayOfLong(connectedAt).addArrayOfLong(seen)
        .addArrayOfLong(applied).addArrayOfString(status).addArrayOfLong(rejected).addArrayOfString(error)
        .addArrayOfString(owner).addArrayOfString(transport).addInteger(maxRowsPerOwner);
    return pool.preparedQuery(Sql.UPSERT_CLIENTS).execute(params).map(result -> {
      List<Refusal> refused = new ArrayList<>();
      for (Row r : result) {
        refused.add(new Refusal(r.getString(0), r.getString(1),
            "taken".equals(r.getString(2)) ? Reason.TAKEN : Reason.OVER_CAP));
      }
      return refused;
    }).recover(Sql::translated);
  }

  /**
   * Writes the ack fields (applied version, status, rejected version, error, last seen) of rows
   * whose client_state row is still the one of the same connection (session) and owner, as
   * {@link #upsert} would, with a plain update. Returns the rows it did not find so: send those
   * through {@link #upsert}.
   */
  public Future<List<ClientRow>> updateAcks(Collection<ClientRow> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    int n = rows.size();
    String[] ns = new String[n];
    String[] cid = new String[n];
    String[] session = new String[n];
    String[] owner = new String[n];
    Long[] seen = new Long[n];
    Long[] applied = new Long[n];
    String[] status = new String[n];
    Long[] rejected = new Long[n];
    String[] error = new String[n];
    int i = 0;
    for (ClientRow r : rows) {
      ns[i] = r.namespace();
      cid[i] = r.clientId();
      session[i] = r.session();
      owner[i] = r.owner();
      seen[i] = r.lastSeen();
      applied[i] = r.appliedVersion();
      status[i] = r.status();
      rejected[i] = r.rejectedVersion();
      error[i] = r.error();
      i++;
    }
    Tuple params = Tuple.tuple().addArrayOfString(ns).addArrayOfString(cid).addArrayOfString(session)
        .addArrayOfString(owner).addArrayOfLong(seen).addArrayOfLong(applied).addArrayOfString(status)
        .addArrayOfLong(rejected).addArrayOfString(error);
    return pool.preparedQuery(Sql.UPDATE_ACKS).execute(params).map(result -> {
      if (result.size() == 0) {
        return List.<ClientRow>of();
      }
      List<ClientRow> all = rows instanceof List<ClientRow> list ? list : new ArrayList<>(rows);
      List<ClientRow> missed = new ArrayList<>(result.size());
      for (Row r : result) {
        missed.add(all.get((int) (r.getLong(0) - 1)));
      }
      return missed;
    }).recover(Sql::translated);
  }

  /** Deletes disconnected rows last seen more than {@code olderThanSeconds} ago; returns how many. */
  public Future<Integer> prune(long olderThanSeconds) {
    return pool.preparedQuery(Sql.PRUNE_CLIENTS).execute(Tuple.of((double) olderThanSeconds))
        .map(rows -> rows.rowCount()).recover(Sql::translated);
  }

  /** Up to {@code limit} clients of a namespace whose ids sort after {@code after} ("" for the first page). */
  public Future<List<ClientRow>> page(String namespace, String after, int limit) {
    return pool.preparedQuery(Sql.PAGE_CLIENTS).execute(Tuple.of(namespace, after, limit))
        .map(rows -> rows(namespace, rows)).recover(Sql::translated);
  }

  public Future<List<ClientRow>> list(String namespace) {
    return pool.preparedQuery(Sql.LIST_CLIENTS).execute(Tuple.of(namespace)).map(rows -> rows(namespace, rows))
        .recover(Sql::translated);
  }

  private static List<ClientRow> rows(String namespace, io.vertx.sqlclient.RowSet<Row> rows) {
    List<ClientRow> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new ClientRow(namespace, r.getString("client_id"), r.getString("node"), r.getString("session"),
          labels(r), r.getBoolean("connected"), millis(r, "connected_at"), millis(r, "last_seen"),
          r.getLong("applied_version"), r.getString("status"), r.getLong("rejected_version"), r.getString("error"),
          r.getString("owner"), r.getString("transport")));
    }
    return out;
  }

  /** Whether a live client (see {@link ClientRow#live}) still lacks {@code version}: cheaper than counting. */
  public Future<Boolean> anyPending(String namespace, long version, long staleCutoffMillis) {
    return pool.preparedQuery(Sql.ROLLOUT_ANY_PENDING).execute(Tuple.of(namespace, version, staleCutoffMillis))
        .map(rows -> rows.iterator().next().getBoolean(0)).recover(Sql::translated);
  }

  /** A client that rejected the version (or a later one) and has not applied it since. */
  public record Rejection(String clientId, long version, String error) {
  }

  /**
   * The rollout of one version: exact counts per bucket, and the first {@code listed} client ids of
   * each bucket in client-id order ({@code truncated} when a bucket held more).
   */
  public record Rollout(long applied, long rejected, long pending, long disconnected,
                        List<String> appliedIds, List<Rejection> rejections, List<String> pendingIds,
                        List<String> disconnectedIds, boolean truncated) {
  }

  /** Counts and lists the rollout of {@code version} in the database; lists at most {@code listed} per bucket. */
  public Future<Rollout> rollout(String namespace, long version, long staleCutoffMillis, int listed) {
    return pool.preparedQuery(Sql.ROLLOUT).execute(Tuple.of(namespace, version, staleCutoffMillis, listed)).map(rows -> {
      long[] totals = new long[4];
      List<String> applied = new ArrayList<>();
      List<Rejection> rejected = new ArrayList<>();
      List<String> pending = new ArrayList<>();
      List<String> disconnected = new ArrayList<>();
      for (Row r : rows) {
        int bucket = r.getInteger("bucket");
        totals[bucket] = r.getLong("total");
        if (listed == 0) {
          continue;
        }
        String id = r.getString("client_id");
        switch (bucket) {
          case 0 -> applied.add(id);
          case 1 -> rejected.add(new Rejection(id, r.getLong("rejected_version"), r.getString("error")));
          case 2 -> pending.add(id);
          default -> disconnected.add(id);
        }
      }
      boolean truncated = false;
      for (long t : totals) {
        truncated |= t > listed;
      }
      return new Rollout(totals[0], totals[1], totals[2], totals[3], applied, rejected, pending, disconnected,
          listed > 0 && truncated);
    }).recover(Sql::translated);
  }

  /** Marks every client of a node disconnected: at start (after a crash) and when a node leaves. */
  public Future<Integer> disconnectNode(String node) {
    return pool.preparedQuery(Sql.DISCONNECT_NODE).execute(Tuple.of(node)).map(rows -> rows.rowCount())
        .recover(Sql::translated);
  }

  /** A row inserted without labels while another batch deleted it holds JSON null: no labels. */
  private static String labels(Row r) {
    String labels = r.getString("labels");
    return "null".equals(labels) ? "{}" : labels;
  }

  private static long millis(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? 0 : t.toInstant().toEpochMilli();
  }
}
