package io.herald.hub;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rollout plans (docs/http-api.md, "Progressive rollouts"): parsing and checking them, which plan
 * applies to a write, and which clients a plan's released steps reach. Pure functions, no I/O.
 *
 * <p>A plan is a list of steps; each step is a label selector, a percentage of clients, or both
 * (the percentage of the clients the selector matches). Steps are cumulative: step k releases the
 * clients of steps 0..k. Percentages pick clients by a stable hash of namespace and client id, so
 * the same clients go first every time, and a client inside 1 % is inside 10 %.
 */
final class RolloutPlans {

  static final int MAX_STEPS = 20;
  static final int MAX_SELECTOR_LABELS = 8;
  static final long MAX_BAKE_MS = 24L * 3600 * 1000;
  static final long MIN_STEP_TIMEOUT_MS = 1_000;
  static final long MAX_STEP_TIMEOUT_MS = 7L * 24 * 3600 * 1000;
  static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}");
  /** Percentages resolve to 1/100 of a percent: buckets 0..9999. */
  static final int BUCKETS = 10_000;

  private static final Set<String> PLAN_FIELDS = Set.of("steps", "bake", "step_timeout", "on_reject");
  private static final Set<String> STEP_FIELDS = Set.of("selector", "percent");

  private RolloutPlans() {
  }

  enum OnReject { HALT, ROLLBACK }

  /** One step: clients whose labels hold every selector pair and whose bucket is below the percentage. */
  record Step(Map<String, String> selector, Double percent) {

    boolean matches(Map<String, String> labels, int bucket) {
      for (Map.Entry<String, String> e : selector.entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
      return percent == null || bucket < Math.round(percent * (BUCKETS / 100));
    }

    JsonObject toJson() {
      JsonObject o = new JsonObject();
      if (!selector.isEmpty()) {
        JsonObject s = new JsonObject();
        selector.forEach(s::put);
        o.put("selector", s);
      }
      if (percent != null) {
        o.put("percent", percent);
      }
      return o;
    }
  }

  record Plan(List<Step> steps, long bakeMs, Long stepTimeoutMs, OnReject onReject) {

    JsonObject toJson() {
      JsonArray steps = new JsonArray();
      this.steps.forEach(s -> steps.add(s.toJson()));
      JsonObject o = new JsonObject().put("steps", steps).put("bake", duration(bakeMs));
      if (stepTimeoutMs != null) {
        o.put("step_timeout", duration(stepTimeoutMs));
      }
      return o.put("on_reject", onReject.name().toLowerCase());
    }

    int lastStep() {
      return steps.size() - 1;
    }
  }

  /** A plan as checked input: 400 {@code invalid_rollout} naming the offending field otherwise. */
  static Plan parse(Object raw, String where) {
    if (!(raw instanceof JsonObject o)) {
      throw invalid(where, "must be an object {steps, bake, step_timeout, on_reject}");
    }
    for (String f : o.fieldNames()) {
      if (!PLAN_FIELDS.contains(f)) {
        throw invalid(where + "." + f, "is not a plan field (steps, bake, step_timeout, on_reject)");
      }
    }
    if (!(o.getValue("steps") instanceof JsonArray array)) {
      throw invalid(where + ".steps", "must be an array of steps");
    }
    if (array.isEmpty() || array.size() > MAX_STEPS) {
      throw invalid(where + ".steps", "must hold 1 to " + MAX_STEPS + " steps");
    }
    List<Step> steps = new ArrayList<>();
    double lastPercent = -1;
    for (int i = 0; i < array.size(); i++) {
      String at = where + ".steps[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject s)) {
        throw invalid(at, "must be an object {selector, percent}");
      }
      for (String f : s.fieldNames()) {
        if (!STEP_FIELDS.contains(f)) {
          throw invalid(at + "." + f, "is not a step field (selector, percent)");
        }
      }
      Map<String, String> selector = selector(s.getValue("selector"), at + ".selector");
      Double percent = null;
      if (s.containsKey("percent")) {
        if (!(s.getValue("percent") instanceof Number n) || Double.isNaN(n.doubleValue())
            || n.doubleValue() <= 0 || n.doubleValue() > 100) {
          throw invalid(at + ".percent", "must be a number above 0 and at most 100");
        }
        percent = n.doubleValue();
        if (percent <= lastPercent) {
          throw invalid(at + ".percent", "must be greater than the percentage of the step before (" + lastPercent + ")");
        }
        lastPercent = percent;
      }
      if (selector.isEmpty() && percent == null) {
        throw invalid(at, "needs a selector, a percent, or both");
      }
      steps.add(new Step(selector, percent));
    }
    long bake = durationField(o, "bake", where, 0L, 0, MAX_BAKE_MS);
    Long timeout = o.getValue("step_timeout") == null ? null
        : durationField(o, "step_timeout", where, null, MIN_STEP_TIMEOUT_MS, MAX_STEP_TIMEOUT_MS);
    Object onReject = o.getValue("on_reject", "halt");
    if (!"halt".equals(onReject) && !"rollback".equals(onReject)) {
      throw invalid(where + ".on_reject", "must be \"halt\" or \"rollback\"");
    }
    return new Plan(List.copyOf(steps), bake, timeout, "halt".equals(onReject) ? OnReject.HALT : OnReject.ROLLBACK);
  }

  private static Map<String, String> selector(Object raw, String at) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof JsonObject s) || s.isEmpty() || s.size() > MAX_SELECTOR_LABELS) {
      throw invalid(at, "must be an object of 1 to " + MAX_SELECTOR_LABELS + " label: value pairs");
    }
    for (var e : s) {
      if (!LABEL_KEY.matcher(e.getKey()).matches()) {
        throw invalid(at + "." + e.getKey(), "is not a label name ([A-Za-z0-9][A-Za-z0-9._/-]{0,63})");
      }
      if (!(e.getValue() instanceof String v) || v.isEmpty() || v.length() > 256) {
        throw invalid(at + "." + e.getKey(), "must be a label value: a string of 1 to 256 characters, matched exactly");
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  private static Long durationField(JsonObject o, String field, String where, Long def, long min, long max) {
    Object v = o.getValue(field);
    if (v == null) {
      return def;
    }
    long ms = v instanceof String s ? parseDuration(s) : -1;
    if (ms < min || ms > max) {
      throw invalid(where + "." + field, "must be a duration such as \"30s\", \"5m\" or \"500ms\" from "
          + duration(min) + " to " + duration(max));
    }
    return ms;
  }

  /** "500ms", "30s", "5m", "2h" in milliseconds; -1 when it is none of these. */
  static long parseDuration(String s) {
    String[] units = {"ms", "s", "m", "h"};
    long[] factors = {1, 1_000, 60_000, 3_600_000};
    for (int i = 0; i < units.length; i++) {
      if (s.endsWith(units[i]) && !(units[i].equals("s") && s.endsWith("ms"))) {
        String n = s.substring(0, s.length() - units[i].length());
        if (n.isEmpty() || n.length() > 9 || !n.chars().allMatch(Character::isDigit)) {
          return -1;
        }
        return Long.parseLong(n) * factors[i];
      }
    }
    return -1;
  }

  static String duration(long ms) {
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    return ms % 1_000 == 0 ? ms / 1_000 + "s" : ms + "ms";
  }

  private static ApiException invalid(String field, String message) {
    return new ApiException(400, "invalid_rollout", "'" + field + "' " + message, new JsonObject().put("field", field));
  }

  /**
   * The plan a write goes out with: its own ({@code "rollout": {...}}), none when it asks for
   * {@code "rollout": "all"} (all at once, as without a plan), else the namespace's policy (null:
   * none, all at once). {@code requestPlan} is the raw field (absent: null), {@code policy} the
   * stored default plan (null when the namespace has none).
   */
  static Plan resolve(Object requestPlan, JsonObject policy) {
    if ("all".equals(requestPlan)) {
      return null;
    }
    if (requestPlan != null) {
      return parse(requestPlan, "rollout");
    }
    return policy == null ? null : parse(policy, "rollout");
  }

  /** The client's bucket 0..9999: the first four bytes of SHA-256(namespace NUL client_id). */
  static int bucket(String namespace, String clientId) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(namespace.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      byte[] h = md.digest(clientId.getBytes(StandardCharsets.UTF_8));
      long v = ((h[0] & 0xffL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
      return (int) (v % BUCKETS);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The first step (0-based) that releases a client, or -1 when none of the plan's steps does. */
  static int stepOf(Plan plan, Map<String, String> labels, int bucket) {
    for (int i = 0; i < plan.steps().size(); i++) {
      if (plan.steps().get(i).matches(labels, bucket)) {
        return i;
      }
    }
    return -1;
  }

  /** Labels as JSON (a hello's, a client row's) as the string map selectors compare. */
  static Map<String, String> labels(JsonObject labels) {
    Map<String, String> out = new LinkedHashMap<>();
    if (labels != null) {
      for (var e : labels) {
        if (e.getValue() instanceof String v) {
          out.put(e.getKey(), v);
        }
      }
    }
    return out;
  }
}
