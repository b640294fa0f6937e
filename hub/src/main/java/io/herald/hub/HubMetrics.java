package io.herald.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/** Herald's own meters, shared by all verticle instances of one hub process (meters are thread-safe). */
final class HubMetrics {

  /** Held here so that the filter set on it lives as long as the process (JUL keeps loggers weakly). */
  private static final Logger MICROMETER = Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");
  private static final String VERTX_GAUGE_AGAIN = "This Gauge has been already registered (MeterId{name='vertx.";

  final PrometheusMeterRegistry registry;
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger subscriptions = new AtomicInteger();
  final AtomicInteger writesWaiting = new AtomicInteger();
  final Counter revisionsCommitted;
  final Counter deltasSent;
  final Counter snapshotsSent;
  final Counter bytesSent;
  final Counter acksApplied;
  final Counter acksRejected;
  final Counter slowConsumerEvents;
  final Counter protocolErrors;
  final Counter gapFills;
  final Counter catchUpReads;
  final Counter catchUpsShared;
  final Counter framesDropped;
  final Counter forgedFrames;
  final Timer pushLatency;
  final DistributionSummary ackBatchSize;

  HubMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("herald_ws_connections", connections, AtomicInteger::get)
        .description("Open client WebSocket connections").register(registry);
    Gauge.builder("herald_ws_subscriptions", subscriptions, AtomicInteger::get)
        .description("Namespace subscriptions over all connections").register(registry);
    Gauge.builder("herald_writes_waiting", writesWaiting, AtomicInteger::get)
        .description("Writes queued behind the batch in flight, to be committed together (group commit)").register(registry);
    revisionsCommitted = Counter.builder("herald_revisions_committed_total")
        .description("Revisions committed through this node").register(registry);
    deltasSent = Counter.builder("herald_deltas_sent_total").description("Delta frames written").register(registry);
    snapshotsSent = Counter.builder("herald_snapshots_sent_total").description("Snapshot frames written").register(registry);
    bytesSent = Counter.builder("herald_ws_bytes_sent_total").description("Frame bytes written").register(registry);
    acksApplied = Counter.builder("herald_acks_received_total").tag("status", "applied")
        .description("Acks received").register(registry);
    acksRejected = Counter.builder("herald_acks_received_total").tag("status", "rejected")
        .description("Acks received").register(registry);
    slowConsumerEvents = Counter.builder("herald_slow_consumer_events_total")
        .description("Times a connection's write queue filled up and pushes to it were paused").register(registry);
    protocolErrors = Counter.builder("herald_ws_protocol_errors_total")
        .description("Error frames sent for bad client frames").register(registry);
    gapFills = Counter.builder("herald_gap_fills_total")
        .description("Revisions read back from the database because their event was missing or late").register(registry);
    catchUpReads = Counter.builder("herald_catch_up_reads_total")
        .description("Snapshots and merged deltas read from the database for subscribing or resuming clients")
        .register(registry);
    catchUpsShared = Counter.builder("herald_catch_ups_shared_total")
        .description("Catch-ups answered by a read another client of the same namespace and version started")
        .register(registry);
    framesDropped = Counter.builder("herald_ws_frames_dropped_total")
        .description("Client frames dropped by the per-connection frame rate limit").register(registry);
    forgedFrames = Counter.builder("herald_forged_frames_total")
        .description("Revision frames from the event bus dropped because they matched no committed revision")
        .register(registry);
    pushLatency = Timer.builder("herald_push_latency")
        .description("From commit on the writing node to the delta written to the last live subscriber of an event loop")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    ackBatchSize = DistributionSummary.builder("herald_client_state_batch_rows")
        .description("Client-state rows per database write").register(registry);
  }

  /**
   * Vert.x's Micrometer metrics (5.0.x) register a gauge again for every event-bus consumer,
   * connection and pool they count, relying on Micrometer to hand back the existing one (it keeps
   * one counter per meter id, so the values are right). Micrometer 1.13.9 and later warn about the
   * second registration, so every hub start printed "This Gauge has been already registered
   * (vertx.eventbus.handlers)" (vert-x3/vertx-micrometer-metrics#259). Only that message, for
   * Vert.x's own meters, is dropped; anything else the registry logs still shows.
   */
  static void quietVertxGaugeReRegistration() {
    synchronized (MICROMETER) {
      if (MICROMETER.getFilter() == null) {
        MICROMETER.setFilter(r -> r.getMessage() == null || !r.getMessage().startsWith(VERTX_GAUGE_AGAIN));
      }
    }
  }

  /** A sync frame was answered: in_sync, behind, digest_mismatch or unknown_version. */
  void synced(String result) {
    Counter.builder("herald_syncs_total").tag("result", result)
        .description("Sync frames answered, by what the client's state turned out to be").register(registry).increment();
  }

  void pushed(long committedAtMillis) {
    long ms = System.currentTimeMillis() - committedAtMillis;
    pushLatency.record(Math.max(ms, 0), TimeUnit.MILLISECONDS);
  }
}
