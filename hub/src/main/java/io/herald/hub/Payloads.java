package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ClientRow;
import io.herald.db.ClientStateStore;
import io.herald.db.Diff;
import io.herald.db.NamespaceInfo;
import io.herald.db.Revision;
import io.herald.db.RevisionInfo;
import io.herald.db.Snapshot;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the HTTP API and the WebSocket frames (docs/http-api.md, docs/protocol.md). */
public final class Payloads {

  private Payloads() {
  }

  public static JsonObject namespace(NamespaceInfo n) {
    return new JsonObject()
        .put("name", n.name())
        .put("head", n.head())
        .put("keys", n.keys())
        .put("connected_clients", n.connectedClients())
        .put("created_at", time(n.createdAt()))
        .put("updated_at", time(n.updatedAt()));
  }

  public static JsonObject revisionInfo(RevisionInfo r) {
    JsonObject o = new JsonObject()
        .put("version", r.version())
        .put("parent_version", r.parentVersion())
        .put("kind", r.kind());
    if (r.rollbackTo() != null) {
      o.put("rollback_to", r.rollbackTo());
    }
    return o.put("author", r.author())
        .put("message", r.message())
        .put("change_count", r.changeCount())
        .put("created_at", time(r.createdAt()));
  }

  public static JsonObject revision(Revision r) {
    return new JsonObject().put("namespace", r.namespace()).mergeIn(revisionInfo(r.info()))
        .put("changes", changes(r.changes()));
  }

  public static JsonArray changes(List<Change> changes) {
    JsonArray out = new JsonArray();
    for (Change c : changes) {
      JsonObject o = new JsonObject().put("key", c.key()).put("op", c.op().wire());
      if (c.op() == Change.Op.PUT) {
        o.put("value", c.value());
      }
      out.add(o);
    }
    return out;
  }

  public static JsonObject entries(Map<String, Object> entries) {
    JsonObject out = new JsonObject();
    entries.forEach(out::put);
    return out;
  }

  public static JsonObject snapshot(Snapshot s) {
    return new JsonObject().put("namespace", s.namespace()).put("version", s.version())
        .put("entries", entries(s.entries()));
  }

  /** A diff for people: each key says whether it was added, changed or removed, with both sides. */
  public static JsonObject diff(Diff d) {
    JsonArray changes = new JsonArray();
    for (Diff.Entry e : d.changes()) {
      JsonObject o = new JsonObject().put("key", e.key())
          .put("change", !e.existedBefore() ? "added" : e.existsAfter() ? "changed" : "removed")
          .put("op", e.existsAfter() ? "put" : "delete");
      if (e.existedBefore()) {
        o.put("old_value", e.before());
      }
      if (e.existsAfter()) {
        o.put("value", e.after());
      }
      changes.add(o);
    }
    return new JsonObject().put("namespace", d.namespace()).put("from", d.from()).put("to", d.to())
        .put("changes", changes);
  }

  /**
   * The rollout of {@code version} as {@code GET …/acks} and the {@code rollout} frame give it: the
   * counts, and (with {@code lists}) the ids of each bucket, at most
   * {@link #ROLLOUT_LISTED} each; {@code clients_truncated} says when a bucket held more.
   */
  public static JsonObject rollout(String ns, long version, ClientStateStore.Rollout r, boolean lists) {
    JsonObject o = new JsonObject()
        .put("namespace", ns)
        .put("version", version)
        .put("applied", r.applied())
        .put("rejected", r.rejected())
        .put("pending", r.pending())
        .put("disconnected", r.disconnected())
        .put("complete", r.pending() == 0);
    if (lists) {
      JsonArray rejected = new JsonArray();
      r.rejections().forEach(x -> rejected.add(new JsonObject().put("client_id", x.clientId()).put("version", x.version())
          .put("error", x.error())));
      o.put("clients", new JsonObject()
              .put("applied", new JsonArray(r.appliedIds())).put("rejected", rejected)
              .put("pending", new JsonArray(r.pendingIds())).put("disconnected", new JsonArray(r.disconnectedIds())))
          .put("clients_truncated", r.truncated());
    }
    return o;
  }

  /** At most this many client ids per bucket in a rollout answer; {@code /clients} pages through all. */
  public static final int ROLLOUT_LISTED = 1_000;

  /**
   * One client of a namespace as {@code /clients} lists it. An HTTP client holds no connection:
   * {@code connected} is null and {@code stale} says whether it was last seen before
   * {@code staleCutoffMillis}.
   */
  public static JsonObject client(ClientRow r, long staleCutoffMillis) {
    boolean http = ClientRow.HTTP.equals(r.transport());
    JsonObject o = new JsonObject()
        .put("client_id", r.clientId())
        .put("node", r.node())
        .put("labels", new JsonObject(r.labelsJson()))
        .put("applied_version", r.appliedVersion())
        .put("status", r.status() == null ? "pending" : r.status())
        .put("transport", r.transport())
        .put("connected", http ? null : r.connected())
        .put("connected_at", Instant.ofEpochMilli(r.connectedAt()).toString())
        .put("last_seen", Instant.ofEpochMilli(r.lastSeen()).toString());
    if (http) {
      o.put("stale", !r.live(staleCutoffMillis));
    }
    if (r.rejectedVersion() != null) {
      o.put("rejected_version", r.rejectedVersion()).put("error", r.error());
    }
    return o;
  }

  public static JsonObject snapshotFrame(Snapshot s) {
    return new JsonObject().put("type", "snapshot").mergeIn(snapshot(s));
  }

  public static JsonObject deltaFrame(String namespace, long base, long version, List<Change> changes) {
    return new JsonObject().put("type", "delta").put("namespace", namespace).put("base", base)
        .put("version", version).put("changes", changes(changes));
  }

  public static JsonObject error(String code, String message) {
    return new JsonObject().put("type", "error").put("code", code).put("message", message);
  }

  static String time(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }
}
