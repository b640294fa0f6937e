package io.herald.spring;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.springframework.core.env.EnumerablePropertySource;

/**
 * One Herald namespace in Spring's {@link org.springframework.core.env.Environment}, named
 * {@code herald:<namespace>}. It shows the version the application runs: it moves to a new version
 * only once every bean was rebound and every listener accepted it.
 *
 * <p>Keys become property names with {@code /} turned into {@code .} ({@code db/pool} is
 * {@code db.pool}); a JSON object value adds one property per member ({@code db/pool = {"size":20}}
 * is {@code db.pool.size=20}), a JSON array one per element ({@code hosts = ["a","b"]} is
 * {@code hosts[0]=a}, {@code hosts[1]=b}); JSON null is no property at all.
 */
public final class HeraldPropertySource extends EnumerablePropertySource<String> {

  private record State(long version, Map<String, Object> properties, String[] names) {
  }

  private volatile State state;

  HeraldPropertySource(String namespace, long version, Map<String, Object> properties) {
    super("herald:" + namespace, namespace);
    this.state = state(version, properties);
  }

  private static State state(long version, Map<String, Object> properties) {
    Map<String, Object> copy = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    return new State(version, copy, copy.keySet().toArray(String[]::new));
  }

  public String namespace() {
    return getSource();
  }

  /** The version of the namespace these properties come from; -1 when there is none (no hub, no cache). */
  public long version() {
    return state.version();
  }

  Map<String, Object> properties() {
    return state.properties();
  }

  @Override
  public String[] getPropertyNames() {
    return state.names().clone();
  }

  @Override
  public Object getProperty(String name) {
    return state.properties().get(name);
  }

  @Override
  public boolean containsProperty(String name) {
    return state.properties().containsKey(name);
  }

  /** Shows {@code version}; an older version than the one shown is ignored (a late start-up answer). */
  synchronized void show(long version, Map<String, Object> properties) {
    if (version >= state.version()) {
      state = state(version, properties);
    }
  }

  /** A copy showing other properties, for binding a proposed version without showing it to anyone. */
  HeraldPropertySource proposal(long version, Map<String, Object> properties) {
    return new HeraldPropertySource(namespace(), version, properties);
  }

  /** The properties a namespace's entries become (see the class comment). Later keys win a collision. */
  public static Map<String, Object> properties(Map<String, Object> entries) {
    Map<String, Object> out = new LinkedHashMap<>();
    new TreeMap<>(entries).forEach((key, value) -> flatten(key.replace('/', '.'), value, out));
    return out;
  }

  private static void flatten(String name, Object value, Map<String, Object> out) {
    if (value instanceof JsonObject o) {
      value = o.getMap();
    } else if (value instanceof JsonArray a) {
      value = a.getList();
    }
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, v) -> flatten(name + "." + k, v, out));
    } else if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        out.put(name, ""); // binds as an empty list
      }
      for (int i = 0; i < list.size(); i++) {
        flatten(name + "[" + i + "]", list.get(i), out);
      }
    } else if (value != null) {
      out.put(name, value);
    }
  }
}
