package io.herald.hub;

import io.herald.db.Change;
import io.herald.db.ConfigStore;
import io.herald.db.Revision;
import io.herald.db.Snapshot;
import io.herald.db.StoreException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Validator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The store function behind {@link WriteBatcher}: every write and rollback is judged against its
 * namespace's schema on the state it would produce, atomically with its append.
 *
 * <p>Writes to namespaces this event loop believes to have no schema go out as before, marked
 * unchecked; the database refuses such a write alone if the namespace has a schema after all
 * (migration V9, checked after the head row is locked). Those, and writes to namespaces known to
 * have a schema, go in a transaction that first locks their head rows and reads entries and schema:
 * the writes are then applied in order to that state in memory, each judged on the state after it,
 * and only the valid ones are appended before the lock is released. A concurrent writer therefore
 * waits, and a schema cannot change in between. Confined to one event loop.
 */
final class SchemaGate {

  private final ConfigStore store;
  private final SchemaCheck schemas;
  /** Namespaces this event loop has seen with a schema. */
  private final Set<String> withSchema = new HashSet<>();

  SchemaGate(ConfigStore store, SchemaCheck schemas) {
    this.store = store;
    this.schemas = schemas;
  }

  /** This event loop set or saw a schema on {@code namespace}: its writes go the checked way from now on. */
  void schemaSet(String namespace) {
    withSchema.add(namespace);
  }

  Future<List<Future<Revision>>> appendAll(List<ConfigStore.Append> batch) {
    List<Integer> fastAt = new ArrayList<>();
    List<Integer> checkedAt = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      (withSchema.contains(batch.get(i).namespace()) ? checkedAt : fastAt).add(i);
    }
    Future<List<Future<Revision>>> fast = fastAt.isEmpty() ? Future.succeededFuture(List.of())
        : store.appendAll(pick(batch, fastAt));
    return fast.compose(fastOutcomes -> {
      // Writes the database sent back because their namespace has a schema go the checked way too.
      for (int j = 0; j < fastAt.size(); j++) {
        Future<Revision> f = fastOutcomes.get(j);
        if (f.failed() && f.cause() instanceof StoreException.SchemaPresent) {
          withSchema.add(batch.get(fastAt.get(j)).namespace());
          checkedAt.add(fastAt.get(j));
        }
      }
      checkedAt.sort(null);
      Future<List<Future<Revision>>> checked = checkedAt.isEmpty() ? Future.succeededFuture(List.of())
          : store.appendAllChecked(pick(batch, checkedAt), this::check);
      return checked.map(checkedOutcomes -> {
        List<Future<Revision>> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          out.add(null);
        }
        for (int j = 0; j < fastAt.size(); j++) {
          out.set(fastAt.get(j), fastOutcomes.get(j));
        }
        for (int j = 0; j < checkedAt.size(); j++) {
          out.set(checkedAt.get(j), checkedOutcomes.get(j));
        }
        return out;
      });
    });
  }

  private static List<ConfigStore.Append> pick(List<ConfigStore.Append> batch, List<Integer> at) {
    List<ConfigStore.Append> out = new ArrayList<>(at.size());
    at.forEach(i -> out.add(batch.get(i)));
    return out;
  }

  /** A namespace's state as the batch goes: its head and entries after the writes judged so far. */
  private static final class State {
    long head;
    Map<String, Object> entries;
    final Validator validator;
    final long schemaVersion;

    State(ConfigStore.LockedNamespace ns, Validator validator) {
      this.head = ns.head();
      this.entries = ns.entries();
      this.schemaVersion = ns.schemaVersion();
      this.validator = validator;
    }
  }

  /** Under the head locks: judges each append in order on the state after it (see the class comment). */
  private Future<List<Throwable>> check(List<ConfigStore.Append> appends, Map<String, ConfigStore.LockedNamespace> locked,
                                        BiFunction<String, Long, Future<Snapshot>> snapshotAt) {
    Map<String, State> states = new HashMap<>();
    for (ConfigStore.LockedNamespace ns : locked.values()) {
      if (ns.schema() == null) {
        withSchema.remove(ns.name()); // removed meanwhile: its next writes go the fast way again
      } else {
        states.put(ns.name(), new State(ns, schemas.validator(ns.name(), ns.schemaVersion(), ns.schema())));
      }
    }
    return checkFrom(0, appends, states, snapshotAt, new ArrayList<>());
  }

  private Future<List<Throwable>> checkFrom(int i, List<ConfigStore.Append> appends, Map<String, State> states,
                                            BiFunction<String, Long, Future<Snapshot>> snapshotAt, List<Throwable> out) {
    while (i < appends.size()) {
      ConfigStore.Append a = appends.get(i);
      State state = states.get(a.namespace());
      if (state == null) {
        out.add(null); // no schema: nothing to judge
        i++;
        continue;
      }
      int next = i + 1;
      return after(a.namespace(), state.head, state.entries, a, snapshotAt)
          .transform(ar -> {
            if (ar.failed()) {
              out.add(null); // the database refuses it for its own reason, and says which: state unchanged
            } else {
              List<JsonObject> errors = SchemaCheck.violations(state.validator, ar.result());
              if (errors.isEmpty()) {
                out.add(null);
                state.head++;
                state.entries = ar.result();
              } else {
                out.add(SchemaCheck.violated(a.namespace(), state.schemaVersion, errors));
              }
            }
            return checkFrom(next, appends, states, snapshotAt, out);
          });
    }
    return Future.succeededFuture(out);
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
