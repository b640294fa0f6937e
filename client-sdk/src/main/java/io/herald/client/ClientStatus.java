package io.herald.client;

import java.time.Instant;
import java.util.Map;

/**
 * What a {@link HeraldClient} knows about itself right now ({@link HeraldClient#status()}): how it
 * follows the hub, whether that works, and per namespace which version the application runs, what
 * it last rejected and when it last checked with the hub.
 *
 * @param clientId   the id the hub knows this client by
 * @param mode       how it follows the hub right now
 * @param connected  WebSocket: open and greeted; long poll and pull: the last request answered
 * @param endpoint   the hub endpoint in use (or last tried); null before the first attempt
 * @param lastError  the latest problem, kept after it went away (compare its time); null if none
 * @param reconnects WebSocket connections opened after the first one
 * @param namespaces per subscribed namespace
 */
public record ClientStatus(String clientId, Mode mode, boolean connected, String endpoint, Problem lastError,
                           long reconnects, Map<String, NamespaceStatus> namespaces) {

  public enum Mode {
    /** Pushed over a WebSocket. */
    WEBSOCKET,
    /** Something refused the WebSocket upgrade: long polls and HTTP acks until a WebSocket works again. */
    LONG_POLL,
    /** {@link Transport#PULL}: pulls and HTTP acks by choice. */
    PULL
  }

  /**
   * One namespace.
   *
   * @param version        the version the getters show (-1 before the first)
   * @param fromCache      the version comes from the local cache and no hub has confirmed it yet
   * @param lastRejection  the latest version a listener rejected, or null; it stays after a later
   *                       version is accepted (compare its version with {@code version})
   * @param lastSync       when the client last compared its state with the hub (a sync answer, or
   *                       a pull); null before the first
   * @param lastSyncResult what that comparison found
   */
  public record NamespaceStatus(String namespace, long version, boolean fromCache, Rejection lastRejection,
                                Instant lastSync, SyncResult lastSyncResult) {
  }

  /** A version a listener threw on, with the exception's message (also sent to the hub). */
  public record Rejection(long version, String message, Instant at) {
  }

  /** What a reconciliation found. */
  public enum SyncResult {
    /** The hub confirmed version and content. */
    IN_SYNC,
    /** The client lacked versions (lost deltas, or a rejected version offered again); it caught up. */
    BEHIND,
    /** The client's content did not match its version; it was replaced by a snapshot. */
    DIGEST_MISMATCH,
    /** The hub never had the client's version (reset or other deployment); replaced by a snapshot. */
    UNKNOWN_VERSION,
    /** A pull answered (pull mode and long poll): the client has what the hub has. */
    PULLED
  }

  /** A failure of the connection or of a request to the hub. */
  public record Problem(Kind kind, String message, Instant at) {

    public enum Kind {
      /** 401/403 from the hub: a wrong, revoked or insufficient token. Retried with backoff. */
      AUTHENTICATION,
      /** No answer: connection refused, reset, timed out. */
      UNREACHABLE,
      /** The hub (or something on the way) answered with another error status. */
      REFUSED,
      /** The hub would not record this client: its client_id belongs to another token, or the token holds too many. */
      CLIENT_ID
    }
  }
}
