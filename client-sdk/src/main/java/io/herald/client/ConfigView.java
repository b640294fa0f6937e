package io.herald.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The live configuration of one namespace. Reads are lock-free and always see one complete
 * version: a new version becomes visible atomically, after every listener accepted it. Safe to use
 * from any thread.
 */
public final class ConfigView {

  /** One complete, immutable version of the namespace. */
  private record State(long version, Map<String, Object> entries, boolean fromCache) {
  }

  private final String namespace;
  private volatile State state;
  // What the hub has sent, accepted or not (dispatch thread only). Deltas build on this, so a
  // rejected version is skipped over: the next version is offered as a whole against the
  // configuration the listeners last accepted.
  private volatile long hubVersion = -1;
  private Map<String, Object> hubEntries = Map.of();
  private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
  private final CountDownLatch initial = new CountDownLatch(1);

  ConfigView(String namespace) {
    this.namespace = namespace;
    this.state = new State(-1, Map.of(), false);
  }

  public String namespace() {
    return namespace;
  }

  /** The version the getters show; -1 before the first snapshot or cache load. */
  public long version() {
    return state.version();
  }

  /** True while the configuration comes from the local cache and no hub has confirmed it yet. */
  public boolean fromCache() {
    return state.fromCache();
  }

  /**
   * Waits until a first version is available (from a hub or the local cache). A first version
   * that a listener rejects does not count: there is nothing to show yet.
   */
  public boolean awaitInitial(Duration timeout) throws InterruptedException {
    return initial.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** All keys and their JSON values (JsonObject, JsonArray, String, Number, Boolean or null). */
  public Map<String, Object> asMap() {
    return state.entries();
  }

  public boolean contains(String key) {
    return state.entries().containsKey(key);
  }

  /** The raw JSON value of a key, or {@code def} when the key is absent. */
  public Object getJson(String key, Object def) {
    Map<String, Object> entries = state.entries();
    return entries.containsKey(key) ? entries.get(key) : def;
  }

  public String getString(String key, String def) {
    Object v = state.entries().get(key);
    return v instanceof String s ? s : v == null ? def : String.valueOf(v);
  }

  public int getInt(String key, int def) {
    return getJson(key, null) instanceof Number n ? n.intValue() : def;
  }

  public long getLong(String key, long def) {
    return getJson(key, null) instanceof Number n ? n.longValue() : def;
  }

  public double getDouble(String key, double def) {
    return getJson(key, null) instanceof Number n ? n.doubleValue() : def;
  }

  public boolean getBoolean(String key, boolean def) {
    return getJson(key, null) instanceof Boolean b ? b : def;
  }

  /**
   * Binds a key's JSON object (or array) to a record or POJO with Jackson; {@code def} when the key
   * is absent or does not fit the type.
   */
  public <T> T get(String key, Class<T> type, T def) {
    Object v = getJson(key, null);
    try {
      if (v instanceof JsonObject o) {
        return o.mapTo(type);
      }
      if (v instanceof JsonArray a) {
        return DatabindCodec.mapper().convertValue(a.getList(), type);
      }
      if (v != null && type.isInstance(v)) {
        return type.cast(v);
      }
    } catch (IllegalArgumentException e) {
      return def;
    }
    return def;
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
    initial.countDown();
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
          Collections.unmodifiableMap(changes));
      for (ChangeListener l : listeners) {
        try {
          l.onChange(change);
        } catch (Exception | LinkageError e) {
          String msg = e.getMessage() == null ? e.getClass().getName() : e.getClass().getSimpleName() + ": " + e.getMessage();
          return new Outcome(false, msg);
        }
      }
    }
    state = new State(version, Collections.unmodifiableMap(new LinkedHashMap<>(next)), false);
    initial.countDown();
    return new Outcome(true, null);
  }

  Map<String, Object> entriesForCache() {
    return state.entries();
  }
}
