package io.herald.hub;

import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Group commit for one event loop: a write goes to the database at once when none is in flight;
 * writes that arrive meanwhile wait and go together, as one statement and one transaction, when
 * it returns. So a lone write is never delayed by a timer, and under load one transaction takes a
 * namespace's head lock once for many revisions. Each write keeps its own outcome: a conflict or a
 * missing key fails that write alone; a failure of the batch itself fails every write of it, and
 * none of them is committed. Confined to its verticle's event loop.
 */
final class WriteBatcher {

  private record Pending(ConfigStore.Append append, Promise<Revision> answer) {
  }

  private final Function<List<ConfigStore.Append>, Future<List<Future<Revision>>>> store;
  private final int maxBatch;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  /** Writes waiting behind a batch, over every event loop of the hub (a gauge). */
  private final java.util.concurrent.atomic.AtomicInteger waitingGauge;
  private boolean inFlight;

  WriteBatcher(Function<List<ConfigStore.Append>, Future<List<Future<Revision>>>> store, int maxBatch,
               java.util.concurrent.atomic.AtomicInteger waitingGauge) {
    this.store = store;
    this.maxBatch = maxBatch;
    this.waitingGauge = waitingGauge;
  }

  Future<Revision> submit(ConfigStore.Append append) {
    Promise<Revision> answer = Promise.promise();
    waiting.add(new Pending(append, answer));
    waitingGauge.incrementAndGet();
    if (!inFlight) {
      sendNext();
    }
    return answer.future();
  }

  private void sendNext() {
    if (waiting.isEmpty()) {
      inFlight = false;
      return;
    }
    inFlight = true;
    List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      batch.add(waiting.poll());
    }
    waitingGauge.addAndGet(-batch.size());
    Future<List<Future<Revision>>> sent;
    try {
      sent = store.apply(batch.stream().map(Pending::append).toList());
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      if (ar.failed()) {
        batch.forEach(p -> p.answer.fail(ar.cause()));
      } else {
        List<Future<Revision>> outcomes = ar.result();
        for (int i = 0; i < batch.size(); i++) {
          Future<Revision> outcome = i < outcomes.size() ? outcomes.get(i)
              : Future.failedFuture(new IllegalStateException("no outcome for write " + i + " of its batch"));
          batch.get(i).answer.handle(outcome);
        }
      }
      sendNext();
    });
  }

  /** Writes waiting behind the batch in flight: for tests and metrics. */
  int waiting() {
    return waiting.size();
  }
}
