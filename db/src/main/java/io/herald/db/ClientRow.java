package io.herald.db;

/**
 * One client of one namespace as a hub node sees it. {@code owner} is the token that wrote it
 * (its id, {@link #ADMIN_OWNER} for the bootstrap token). {@code status} is null until the client has
 * acked anything (in a row to write: "leave the recorded ack as it is"); {@code rejectedVersion}
 * and {@code error} are set only with status rejected. {@code labelsJson} null in a row to write
 * keeps the recorded labels. {@code transport} is {@link #WEBSOCKET} or {@link #HTTP} (a client
 * that pulls and acks over HTTP: never connected, live while recently seen). Times are epoch
 * milliseconds.
 */
public record ClientRow(
    String namespace,
    String clientId,
    String node,
    String session,
    String labelsJson,
    boolean connected,
    long connectedAt,
    long lastSeen,
    long appliedVersion,
    String status,
    Long rejectedVersion,
    String error,
    String owner,
    String transport) {

  /** The owner recorded for the bootstrap admin token (token ids never hold '@'). */
  public static final String ADMIN_OWNER = "@admin";
  public static final String WEBSOCKET = "websocket";
  public static final String HTTP = "http";

  /**
   * Whether a version this client has not yet applied is still expected from it: a connected
   * WebSocket client, or an HTTP client seen at or after {@code staleCutoffMillis}.
   */
  public boolean live(long staleCutoffMillis) {
    return connected || (HTTP.equals(transport) && lastSeen >= staleCutoffMillis);
  }

  /**
   * The row that writing this one and then {@code next} leaves in client_state, as
   * {@code UPSERT_CLIENTS} computes it, so that a batch can hold one row per client without losing
   * an ack: an older connection's row changes nothing; the applied version never goes down; a
   * row without status or labels keeps the recorded ones; applying a version below a recorded
   * rejection keeps the rejection. Rows of another owner replace this one (the database decides);
   * two HTTP rows (no connection orders them) merge in either order.
   */
  public ClientRow then(ClientRow next) {
    if (next.connectedAt < connectedAt) {
      return HTTP.equals(transport) && HTTP.equals(next.transport) && owner.equals(next.owner)
          ? next.olderHttpThen(this) : this;
    }
    if (!owner.equals(next.owner)) {
      return next;
    }
    long applied = Math.max(appliedVersion, next.appliedVersion);
    boolean keepAck = next.status == null || keepsRejection(status, rejectedVersion, next.status, applied);
    return new ClientRow(next.namespace, next.clientId, next.node, next.session,
        next.labelsJson != null ? next.labelsJson : labelsJson, next.connected, next.connectedAt,
        Math.max(lastSeen, next.lastSeen), applied,
        keepAck ? status : next.status, keepAck ? rejectedVersion : next.rejectedVersion, keepAck ? error : next.error,
        next.owner, next.transport);
  }

  /**
   * This HTTP row, older than {@code newer} but written after it: HTTP rows have no connection to
   * order them, so they merge. The newer row's node, labels and status stay; times and the applied
   * version only move forward; this row's ack counts where the newer row has none.
   */
  private ClientRow olderHttpThen(ClientRow newer) {
    long applied = Math.max(appliedVersion, newer.appliedVersion);
    boolean takeAck = status != null && newer.status == null;
    return new ClientRow(newer.namespace, newer.clientId, newer.node, newer.session, newer.labelsJson != null
        ? newer.labelsJson : labelsJson, newer.connected, newer.connectedAt, Math.max(lastSeen, newer.lastSeen),
        applied, takeAck ? status : newer.status, takeAck ? rejectedVersion : newer.rejectedVersion,
        takeAck ? error : newer.error, newer.owner, newer.transport);
  }

  /** An applied ack below a recorded rejection does not hide it (the same rule as UPSERT_CLIENTS). */
  private static boolean keepsRejection(String status, Long rejected, String nextStatus, long appliedAfter) {
    return "applied".equals(nextStatus) && "rejected".equals(status) && rejected != null && rejected > appliedAfter;
  }
}
