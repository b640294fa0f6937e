package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ClientRow;
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
   * The rollout of {@code version} over the namespace's client rows (the /acks answer and the
   * {@code rollout} frame). Acking v means every version up to v is applied. A client that rejected v (or a later
   * version it was sent as a merged delta) and has not applied v since is rejected; every other
   * client is pending while it is live ({@link ClientRow#live}: connected, or an HTTP client seen at
   * or after {@code staleCutoffMillis}), disconnected otherwise.
   */
  public static JsonObject rollout(String ns, long version, List<ClientRow> rows, long staleCutoffMillis) {
    JsonArray applied = new JsonArray();
    JsonArray rejected = new JsonArray();
    JsonArray pending = new JsonArray();
    JsonArray disconnected = new JsonArray();
    for (ClientRow r : rows) {
      if (r.appliedVersion() >= version) {
        applied.add(r.clientId());
      } else if ("rejected".equals(r.status()) && r.rejectedVersion() != null && r.rejectedVersion() >= version) {
        rejected.add(new JsonObject().put("client_id", r.clientId()).put("version", r.rejectedVersion())
            .put("error", r.error()));
      } else if (r.live(staleCutoffMillis)) {
        pending.add(r.clientId());
      } else {
        disconnected.add(r.clientId());
      }
    }
    return new JsonObject()
        .put("namespace", ns)
        .put("version", version)
        .put("applied", applied.size())
        .put("rejected", rejected.size())
        .put("pending", pending.size())
        .put("disconnected", disconnected.size())
        .put("complete", pending.isEmpty())
        .put("clients", new JsonObject()
            .put("applied", applied).put("rejected", rejected).put("pending", pending).put("disconnected", disconnected));
  }

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
