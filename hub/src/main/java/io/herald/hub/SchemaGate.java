package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.SchemaChange;
import io.herald.db.SchemaStore;
import io.herald.db.Snapshot;
import io.herald.db.StoreException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Every write and rollback goes through it, and is judged against its namespace's schema on the
 * state after it, atomically with its append (issue #16).
 *
 * <p>Writes to namespaces this event loop believes to have no schema go out group committed
 * ({@link WriteBatcher}) by the namespace's owner (below), marked "not validated"; the database refuses such a write
 * alone if the namespace has a schema after all (migration V9, checked with the head row
 * locked). Those, and writes to namespaces known to have a schema, go to the namespace's
 * <em>owner</em>: one event loop of the hub per namespace (by hash), which keeps the namespace's
 * state (head, entries, schema version and compiled schema) in memory. The owner applies each
 * write to that state, judges the state after it, and sends the valid ones — group committed too —
 * with the head it judged as the expected version and the schema version it judged with; the
 * database commits a write only if both are still current (HR409, HR412), so what commits is
 * exactly what was judged. When they are not (another node wrote, a schema changed) the owner
 * reloads the state and judges the write again. A violation is only answered (422) on a state
 * read in the same batch, never on a cached one.
 */
final class SchemaGate {

  /** Times a write is judged again after its namespace moved under it, before the hub gives up (503). */
  static final int MAX_TRIES = 8;
  /** Namespaces whose state an owner keeps in memory. */
  static final int MAX_STATES = 256;

  /** The hub's gates, one per event loop; every namespace with a schema has one of them as its owner. */
  static final class Owners {
    private final List<SchemaGate> gates = new CopyOnWriteArrayList<>();

    /**
     * Appends {@code a} through its namespace's owner, validated like a write from the HTTP API,
     * from any thread or context (the rollout engine's rollbacks); the outcome comes back on the caller's context.
     */
    Future<Revision> submit(ConfigStore.Append a) {
      SchemaGate owner = owner(a.namespace());
      if (owner == null) {
        return Future.failedFuture(new StoreException.Unavailable(new IllegalStateException("the hub is stopping")));
      }
      Context caller = Vertx.currentContext();
      Promise<Revision> answer = Promise.promise();
      owner.context.runOnContext(v -> owner.submit(a).onComplete(ar -> {
        if (caller == null) {
          answer.handle(ar);
        } else {
          caller.runOnContext(x -> answer.handle(ar));
        }
      }));
      return answer.future();
    }

    /** Null once every verticle of the hub has stopped. */
    SchemaGate owner(String namespace) {
      Object[] now = gates.toArray();
      return now.length == 0 ? null : (SchemaGate) now[Math.floorMod(namespace.hashCode(), now.length)];
    }
  }

  /** The namespace moved under a write (head or schema): judge it again on a fresh state. */
  private static final class Stale extends RuntimeException {
    Stale() {
      super(null, null, false, false);
    }
  }

  private final ConfigStore store;
  private final SchemaStore schemaStore;
  private final SchemaCheck schemas;
  private final Owners owners;
  private final Context context;
  private final WriteBatcher fast;
  private final WriteBatcher owned;
  /** Namespaces this event loop has seen with a schema. */
  private final Set<String> withSchema = new HashSet<>();
  /** The state of namespaces this event loop owns, most recently used last. */
  private final Map<String, State> states = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, State> eldest) {
      return size() > MAX_STATES;
    }
  };

  SchemaGate(Vertx vertx, ConfigStore store, SchemaStore schemaStore, SchemaCheck schemas, Owners owners,
             AtomicInteger waitingGauge) {
    this.store = store;
    this.schemaStore = schemaStore;
    this.schemas = schemas;
    this.owners = owners;
    this.context = vertx.getOrCreateContext();
    this.fast = new WriteBatcher(store::appendAll, ConfigStore.MAX_BATCH, waitingGauge);
    this.owned = new WriteBatcher(this::appendOwned, ConfigStore.MAX_BATCH, waitingGauge);
    owners.gates.add(this);
  }

  /** This gate no longer takes namespaces (its verticle stops). */
  void close() {
    owners.gates.remove(this);
  }

  /** This event loop set or saw a schema on {@code namespace}: its writes are validated from now on. */
  void schemaSet(String namespace) {
    withSchema.add(namespace);
  }

  /** Appends {@code a} once it is judged valid; fails with 422 {@code schema_violation} otherwise. */
  Future<Revision> submit(ConfigStore.Append a) {
    if (withSchema.contains(a.namespace())) {
      return validated(a);
    }
    return unvalidated(a).recover(e -> {
      if (e instanceof StoreException.SchemaPresent) {
        withSchema.add(a.namespace());
        return validated(a);
      }
      return Future.failedFuture(e);
    });
  }

  /**
   * Group commits {@code a} unvalidated on its namespace owner's event loop, and hands the outcome
   * back to this one. So all writes of one namespace on this hub form one batch stream: a hot
   * namespace takes its head lock once per batch instead of once per event loop and batch, and
   * its batches are as large as the load makes them (measured: 32 writers on one namespace).
   */
  private Future<Revision> unvalidated(ConfigStore.Append a) {
    SchemaGate owner = owners.owner(a.namespace());
    if (owner == null) {
      return Future.failedFuture(new StoreException.Unavailable(new IllegalStateException("the hub is stopping")));
    }
    if (owner == this) {
      return fast.submit(a);
    }
    Context caller = Vertx.currentContext();
    Promise<Revision> answer = Promise.promise();
    owner.context.runOnContext(v -> owner.fast.submit(a)
        .onComplete(ar -> caller.runOnContext(x -> answer.handle(ar))));
    return answer.future();
  }

  /** Hands {@code a} to its namespace's owner, and its outcome back to this event loop. */
  private Future<Revision> validated(ConfigStore.Append a) {
    SchemaGate owner = owners.owner(a.namespace());
    if (owner == null) {
      return Future.failedFuture(new StoreException.Unavailable(new IllegalStateException("the hub is stopping")));
    }
    if (owner == this) {
      return owner.judged(a, MAX_TRIES);
    }
    Context caller = Vertx.currentContext();
    Promise<Revision> answer = Promise.promise();
    owner.context.runOnContext(v -> owner.judged(a, MAX_TRIES)
        .onComplete(ar -> caller.runOnContext(x -> answer.handle(ar))));
    return answer.future();
  }

  /** On the owner's event loop. */
  private Future<Revision> judged(ConfigStore.Append a, int tries) {
    return owned.submit(a).recover(e -> {
      if (!(e instanceof Stale)) {
        return Future.failedFuture(e);
      }
      if (tries <= 1) {
        return Future.failedFuture(new StoreException.Unavailable(new IllegalStateException(
            "namespace '" + a.namespace() + "' kept changing while its write was validated")));
      }
      return judged(a, tries - 1);
    });
  }

  /** A namespace's state as the owner knows it: the head, its entries, and the schema in force. */
  private static final class State {
    long head;
    Map<String, Object> entries;
    final long schemaVersion;
    final SchemaCheck.Compiled validator;
    /** The entries are known to satisfy the schema: a write's own keys are enough to judge it. */
    boolean valid;

    State(Snapshot head, long schemaVersion, SchemaCheck.Compiled validator) {
      this.head = head.version();
      this.entries = head.entries();
      this.schemaVersion = schemaVersion;
      this.validator = validator;
    }
  }

  private Future<State> load(String namespace) {
    Future<Snapshot> head = store.snapshot(namespace).recover(e -> e instanceof StoreException.NamespaceNotFound
        ? Future.succeededFuture(new Snapshot(namespace, 0, Map.of()))
        : Future.failedFuture(e));
    Future<SchemaChange> schema = schemaStore.current(namespace);
    return Future.all(head, schema).map(x -> {
      SchemaChange s = schema.result();
      State state = s == null ? new State(head.result(), 0, null)
          : new State(head.result(), s.version(), schemas.validator(namespace, s.version(), s.schema()));
      states.put(namespace, state);
      return state;
    });
  }

  /** The owned batch: judged in order on the namespaces' states, the valid writes appended together. */
  private Future<List<Future<Revision>>> appendOwned(List<ConfigStore.Append> batch) {
    Set<String> fresh = new HashSet<>();
    List<Future<State>> loads = new ArrayList<>();
    for (ConfigStore.Append a : batch) {
      if (!states.containsKey(a.namespace()) && fresh.add(a.namespace())) {
        loads.add(load(a.namespace()));
      }
    }
    List<Throwable> answers = new ArrayList<>();
    List<Long> judgedWith = new ArrayList<>();
    List<ConfigStore.Append> sent = new ArrayList<>();
    return Future.all(loads)
        .compose(x -> judge(batch, 0, fresh, answers, judgedWith, sent, (ns, v) -> store.snapshot(ns, v)))
        .compose(x -> store.appendAll(sent, judgedWith))
        .map(outcomes -> {
          List<Future<Revision>> out = new ArrayList<>(batch.size());
          int next = 0;
          for (int i = 0; i < batch.size(); i++) {
            ConfigStore.Append a = batch.get(i);
            if (answers.get(i) != null) {
              out.add(Future.failedFuture(answers.get(i)));
              continue;
            }
            Future<Revision> outcome = outcomes.get(next++);
            if (outcome.succeeded()) {
              if (a.rollbackTo() != null) {
                states.remove(a.namespace()); // its changes came from the database: read the state again
              }
              out.add(outcome);
              continue;
            }
            states.remove(a.namespace());
            Throwable e = outcome.cause();
            boolean moved = e instanceof StoreException.SchemaPresent
                || (e instanceof StoreException.VersionConflict && a.expectedVersion() == null && a.rollbackTo() == null);
            out.add(moved ? Future.failedFuture(new Stale()) : outcome);
          }
          return out;
        })
        .onFailure(e -> batch.forEach(a -> states.remove(a.namespace())));
  }

  /**
   * Judges {@code batch} from {@code i} on: fills {@code answers} (null: sent), and for each append
   * sent, {@code sent} (with the expected head it was judged on) and {@code judgedWith} (the
   * schema version, null for none).
   */
  private Future<Void> judge(List<ConfigStore.Append> batch, int i, Set<String> fresh, List<Throwable> answers,
                             List<Long> judgedWith, List<ConfigStore.Append> sent,
                             BiFunction<String, Long, Future<Snapshot>> snapshotAt) {
    while (i < batch.size()) {
      ConfigStore.Append a = batch.get(i);
      State state = states.get(a.namespace());
      if (state == null) {
        answers.add(new Stale()); // dropped from the cache by a failure earlier in the batch
        i++;
        continue;
      }
      if (a.expectedVersion() != null && a.expectedVersion() != state.head && !fresh.contains(a.namespace())) {
        states.remove(a.namespace()); // the head it names may be newer than ours: read it first
        answers.add(new Stale());
        i++;
        continue;
      }
      int next = i + 1;
      return SchemaGate.after(a.namespace(), state.head, state.entries, a, snapshotAt).transform(ar -> {
        Long schemaVersion = state.validator == null ? null : state.schemaVersion;
        if (ar.failed()) {
          if (fresh.contains(a.namespace())) {
            // The database refuses it for its own reason (a stale expected version, an absent key, a
            // rollback target) and says which; sent on the head judged, so a moved head retries it.
            send(a, state, schemaVersion, answers, judgedWith, sent);
          } else {
            states.remove(a.namespace()); // perhaps only our state is old: judge it on a fresh one
            answers.add(new Stale());
          }
          return judge(batch, next, fresh, answers, judgedWith, sent, snapshotAt);
        }
        Boolean keysValid = state.validator != null && state.valid && a.changes() != null
            ? state.validator.changesValid(a.changes()) : null;
        List<JsonObject> errors = state.validator == null || Boolean.TRUE.equals(keysValid) ? List.of()
            : SchemaCheck.violations(state.validator, ar.result());
        if (!errors.isEmpty()) {
          answers.add(fresh.contains(a.namespace()) ? SchemaCheck.violated(a.namespace(), state.schemaVersion, errors)
              : new Stale()); // judged on a cached state: judge again on a fresh one before refusing
          if (!fresh.contains(a.namespace())) {
            states.remove(a.namespace());
          }
          return judge(batch, next, fresh, answers, judgedWith, sent, snapshotAt);
        }
        send(a, state, schemaVersion, answers, judgedWith, sent);
        state.head++;
        state.entries = ar.result();
        state.valid = true;
        return judge(batch, next, fresh, answers, judgedWith, sent, snapshotAt);
      });
    }
    return Future.succeededFuture();
  }

  private static void send(ConfigStore.Append a, State state, Long schemaVersion, List<Throwable> answers,
                           List<Long> judgedWith, List<ConfigStore.Append> sent) {
    answers.add(null);
    judgedWith.add(schemaVersion);
    // A rollback's result is the state at its target whatever the head: it needs no expected head.
    sent.add(a.expectedVersion() != null || a.rollbackTo() != null ? a : ConfigStore.withExpected(a, state.head));
  }

  /**
   * The entries of {@code namespace} after {@code a} is applied to its state ({@code head},
   * {@code entries}); fails as the database would refuse it (a stale expected version, a delete of
   * an absent key, a rollback to a version the namespace does not have).
   */
  static Future<Map<String, Object>> after(String namespace, long head, Map<String, Object> entries,
                                           ConfigStore.Append a, BiFunction<String, Long, Future<Snapshot>> snapshotAt) {
    if (a.expectedVersion() != null && a.expectedVersion() != head) {
      return Future.failedFuture(new StoreException.VersionConflict(namespace, a.expectedVersion(), head));
    }
    if (a.rollbackTo() != null) {
      if (head == 0) {
        return Future.failedFuture(new StoreException.NamespaceNotFound(namespace));
      }
      if (a.rollbackTo() < 1 || a.rollbackTo() > head) {
        return Future.failedFuture(new StoreException.VersionNotFound(namespace, a.rollbackTo(), head));
      }
      return snapshotAt.apply(namespace, a.rollbackTo()).map(Snapshot::entries);
    }
    Map<String, Object> out = new LinkedHashMap<>(entries);
    for (Change c : a.changes()) {
      if (c.op() == Change.Op.PUT) {
        out.put(c.key(), c.value());
      } else if (out.remove(c.key()) == null && !entries.containsKey(c.key())) {
        return Future.failedFuture(new StoreException.KeyNotFound(namespace, c.key()));
      }
    }
    return Future.succeededFuture(out);
  }
}
