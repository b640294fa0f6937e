package io.herald.load;

import org.HdrHistogram.Histogram;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When each of N clients received each of W writes (System.nanoTime, 0 = not yet), recorded from
 * any thread, and a write's deliveries summarised: the fan-out's bookkeeping, whatever the server.
 */
final class Receipts {

  /** First and last receipt of one write (nanoTime) and how many clients received it. */
  record Deliveries(long first, long last, int count) {
  }

  private final int clients;
  private final int writes;
  private final AtomicLongArray receivedAt;
  /** Per client, the newest slot received past the counted writes, and when (fanout's rollout variant). */
  private final AtomicLongArray lateSlot;
  private final AtomicLongArray lateAt;

  Receipts(int clients, int writes) {
    this.clients = clients;
    this.writes = writes;
    this.receivedAt = new AtomicLongArray(clients * (writes + 1));
    this.lateSlot = new AtomicLongArray(clients);
    this.lateAt = new AtomicLongArray(clients);
  }

  /**
   * Client {@code client} received write {@code slot} (1-based) at {@code nanos}; slots past the
   * counted writes keep only the newest one's receipt per client.
   */
  void record(int client, long slot, long nanos) {
    if (slot >= 1 && slot <= writes) {
      receivedAt.set((int) (client * (writes + 1) + slot), nanos);
    } else if (slot > writes) {
      lateSlot.set(client, slot);
      lateAt.set(client, nanos);
    }
  }

  /** How many clients hold late slot {@code slot} (or newer). */
  int receivedLate(long slot) {
    int n = 0;
    for (int c = 0; c < clients; c++) {
      if (lateSlot.get(c) >= slot) {
        n++;
      }
    }
    return n;
  }

  /** When the last client received late slot {@code slot} as its newest (nanoTime). */
  long lastLateReceipt(long slot) {
    long max = 0;
    for (int c = 0; c < clients; c++) {
      if (lateSlot.get(c) == slot) {
        max = Math.max(max, lateAt.get(c));
      }
    }
    return max;
  }

  /** How many clients have received write {@code slot} so far. */
  int received(int slot) {
    int n = 0;
    for (int c = 0; c < clients; c++) {
      if (receivedAt.get(c * (writes + 1) + slot) != 0) {
        n++;
      }
    }
    return n;
  }

  /** Write {@code slot}'s deliveries; records each one's latency from {@code sentNanos} into {@code all}. */
  Deliveries deliveries(int slot, long sentNanos, Histogram all) {
    long min = Long.MAX_VALUE;
    long max = 0;
    int n = 0;
    for (int c = 0; c < clients; c++) {
      long t = receivedAt.get(c * (writes + 1) + slot);
      if (t != 0) {
        min = Math.min(min, t);
        max = Math.max(max, t);
        n++;
        all.recordValue(Math.min(all.getHighestTrackableValue(), Math.max(0, (t - sentNanos) / 1000)));
      }
    }
    return new Deliveries(min, max, n);
  }
}
