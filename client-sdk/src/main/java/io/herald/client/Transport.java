package io.herald.client;

/** How a {@link HeraldClient} follows its namespaces. */
public enum Transport {
  /**
   * One WebSocket: changes are pushed within milliseconds, acks travel on it, and the client
   * reconciles with the hub every {@code syncInterval}. If something on the way refuses WebSocket
   * upgrades, the client follows by long poll and acks over HTTP until a WebSocket works again.
   */
  WEBSOCKET,
  /**
   * No WebSocket: a snapshot at start, then a pull every {@code pollInterval} (or, with
   * {@code Duration.ZERO}, back-to-back long polls), and acks over HTTP. For jobs and networks
   * where a held connection is unwelcome.
   */
  PULL
}
