package io.herald.db;

/**
 * One client of one namespace as a hub node sees it. {@code owner} is the token that wrote it
 * (its id, {@link #ADMIN_OWNER} for the bootstrap token). {@code status} is null until the client has
 * acked anything; {@code rejectedVersion} and {@code error} are set only with status rejected.
 * Times are epoch milliseconds.
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
    String owner) {

  /** The owner recorded for the bootstrap admin token (token ids never hold '@'). */
  public static final String ADMIN_OWNER = "@admin";
}
