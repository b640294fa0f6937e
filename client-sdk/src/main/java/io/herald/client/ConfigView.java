package io.herald.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The live configuration of one namespace. Reads are lock-free and always see one complete
 * version: a new version becomes visible atomically, after every listener accepted it. Safe to use
 * from any thread. The typed getters are those of {@link ConfigReader}: types are never coerced.
 */
public final class ConfigView implements ConfigReader {

  /** What {@link #awaitInitialOutcome} found. */
  public enum Initial {
    /** A version is available (from a hub or the local cache). */
    READY,
    /** A hub offered a first version and a listener rejected it; see {@link HeraldClient#status()}. */
    REJECTED,
    /** The hub refused the client's token (401/403): retried with backoff, but fix the token. */
    AUTHENTICATION_FAILED,
    /** No hub answered within the time. */
    UNREACHABLE,
    /** A hub answered but has not delivered a first version yet. */
    WAITING
  }

  /** One complete, immutable version of the namespace. */
  private record State(long version, Map<String, Object> entries, boolean fromCache) {
  }

  private final String namespace;
  private final Supplier<Initial> whyNotReady;
  private volatile State state;
  // What the hub has sent, accepted or not (dispatch thread only). Deltas build on this, so a
  // rejected version is skipped over: the next version is offered as a whole against the
  // configuration the listeners last accepted.
  private volatile long hubVersion = -1;
  private Map<String, Object> hubEntries = Map.of();
  private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
  /** Notified when a first version arrives or is rejected. */
  private final Object initial = new Object();
  private volatile ClientStatus.Rejection lastRejection;
  private volatile Instant lastSync;
  private volatile ClientStatus.SyncResult lastSyncResult;
  /** The version the last sync frame claimed, and whether a rejected version was waiting then (dispatch thread). */
  private long syncedVersion = -1;
  private boolean syncedWithRejection;

  ConfigView(String namespace, Supplier<Initial> whyNotReady) {
    this.namespace = namespace;
    this.whyNotReady = whyNotReady;
    this.state = new State(-1, Map.of(), false);
  }

  @Override
  public String namespace() {
    return namespace;
  }

  /** The version the getters show; -1 before the first snapshot or cache load. */
  @Override
  public long version() {
    return state.version();
  }

  /** True while the configuration comes from the local cache and no hub has confirmed it yet. */
  public boolean fromCache() {
    return state.fromCache();
  }

  /**
   * Waits until a first version is available (from a hub or the local cache). A first version
   * that a listener rejects does not count: there is nothing to show yet, and this keeps waiting
   * for a version the listeners accept. {@link #awaitInitialOutcome} says why there is none.
   */
  public boolean awaitInitial(Duration timeout) throws InterruptedException {
    return await(timeout, false);
  }

  /**
   * Waits like {@link #awaitInitial} but returns as soon as a first version is rejected too, and
   * tells the cases apart: {@link Initial#READY}, {@link Initial#REJECTED} (the reason is in
   * {@link HeraldClient#status()}), or at the timeout {@link Initial#AUTHENTICATION_FAILED},
   * {@link Initial#UNREACHABLE} (no hub answered) or {@link Initial#WAITING}.
   */
  public Initial awaitInitialOutcome(Duration timeout) throws InterruptedException {
    if (await(timeout, true)) {
      return Initial.READY;
    }
    return state.version() < 0 && lastRejection != null ? Initial.REJECTED : whyNotReady.get();
  }

  private boolean await(Duration timeout, boolean untilRejected) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (initial) {
      while (state.version() < 0 && !(untilRejected && lastRejection != null)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(initial, left);
      }
    }
    return state.version() >= 0;
  }

  /** All keys and their JSON values (JsonObject, JsonArray, String, Number, Boolean or null), read-only. */
  @Override
  public Map<String, Object> asMap() {
    return state.entries();
  }

  public void addListener(ChangeListener listener) {
    listeners.add(listener);
  }

  public void removeListener(ChangeListener listener) {
    listeners.remove(listener);
  }

  // ---- driven by HeraldClient on its dispatch thread ----

  void loadFromCache(Cache.Entry e) {
    state = new State(e.version(), Collections.unmodifiableMap(new LinkedHashMap<>(e.entries())), true);
    hubVersion = e.version();
    hubEntries = state.entries();
    signalInitial();
  }

  /** The version the hub last brought us to, whether or not the listeners accepted it. */
  long hubVersion() {
    return hubVersion;
  }

  Outcome receiveSnapshot(long version, Map<String, Object> entries) {
    hubVersion = version;
    hubEntries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    return offer(version, hubEntries);
  }

  /** A delta whose base is {@link #hubVersion()}. */
  Outcome receiveDelta(long version, JsonArray changes) {
    Map<String, Object> next = new LinkedHashMap<>(hubEntries);
    for (Object o : changes) {
      JsonObject c = (JsonObject) o;
      if ("put".equals(c.getString("op"))) {
        next.put(c.getString("key"), c.getValue("value"));
      } else {
        next.remove(c.getString("key"));
      }
    }
    hubVersion = version;
    hubEntries = Collections.unmodifiableMap(next);
    return offer(version, hubEntries);
  }

  /**
   * Forgets what the hub sent beyond the accepted version, so that the next frames build on what
   * the application runs and a rejected version is offered again. True when there was such a
   * version (a rejection waiting for a retry).
   */
  boolean rewindToAccepted() {
    State s = state;
    if (hubVersion == s.version()) {
      return false;
    }
    hubVersion = s.version();
    hubEntries = s.entries();
    return true;
  }

  /** Outcome of offering a version: applied, rejected by a listener (with its error), or nothing to do. */
  record Outcome(boolean applied, String error) {
  }

  /**
   * Offers a complete new state at {@code version}. Listeners see the keys that differ; the new
   * state replaces the old only when none of them throws.
   */
  private Outcome offer(long version, Map<String, Object> next) {
    State old = state;
    Map<String, ConfigChange.ValueChange> changes = new TreeMap<>();
    TreeSet<String> keys = new TreeSet<>(old.entries().keySet());
    keys.addAll(next.keySet());
    for (String k : keys) {
      boolean before = old.entries().containsKey(k);
      boolean after = next.containsKey(k);
      Object ov = old.entries().get(k);
      Object nv = next.get(k);
      if (before != after || !java.util.Objects.equals(ov, nv)) {
        changes.put(k, new ConfigChange.ValueChange(before, ov, after, nv));
      }
    }
    if (!changes.isEmpty()) {
      ConfigChange change = new ConfigChange(namespace, Math.max(old.version(), 0), version,
          Collections.unmodifiableMap(changes), new ConfigSnapshot(namespace, old.version(), old.entries()),
          new ConfigSnapshot(namespace, version, next));
      for (ChangeListener l : listeners) {
        try {
          l.onChange(change);
        } catch (Exception | LinkageError e) {
          String msg = e.getMessage() == null ? e.getClass().getName() : e.getClass().getSimpleName() + ": " + e.getMessage();
          lastRejection = new ClientStatus.Rejection(version, msg, Instant.now());
          signalInitial();
          return new Outcome(false, msg);
        }
      }
    }
    state = new State(version, Collections.unmodifiableMap(new LinkedHashMap<>(next)), false);
    signalInitial();
    return new Outcome(true, null);
  }

  private void signalInitial() {
    synchronized (initial) {
      initial.notifyAll();
    }
  }

  Map<String, Object> entriesForCache() {
    return state.entries();
  }

  /** A sync frame is about to claim {@code version}; {@code withRejection}: a rejected version waits for a retry. */
  void syncSent(long version, boolean withRejection) {
    syncedVersion = version;
    syncedWithRejection = withRejection;
  }

  long syncedVersion() {
    return syncedVersion;
  }

  boolean syncedWithRejection() {
    return syncedWithRejection;
  }

  void synced(ClientStatus.SyncResult result) {
    lastSyncResult = result;
    lastSync = Instant.now();
  }

  ClientStatus.NamespaceStatus status() {
    State s = state;
    return new ClientStatus.NamespaceStatus(namespace, s.version(), s.fromCache(), lastRejection, lastSync, lastSyncResult);
  }
}
