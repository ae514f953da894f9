package dev.rollback.flags;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How an enabled flag splits its users: a percentage that gets the feature (the rest get the off
 * path), relative weights per variant, or a rule this library does not interpret (restored
 * verbatim, never predicted).
 */
public sealed interface Rollout {

  /** {@code percent} of users (by sticky bucketing) get the feature; 0 to 100. */
  static Percentage percent(int percent) {
    return new Percentage(percent);
  }

  /** Everyone gets the feature. */
  static Percentage all() {
    return new Percentage(100);
  }

  /** Relative weights per variant, in bucket order (flagd {@code fractional}). */
  static Weights weights(Map<String, Integer> weights) {
    return new Weights(weights);
  }

  /** Shorthand for weights: {@code Rollout.weights("blue", 90, "green", 10)}. */
  static Weights weights(String variant, int weight, Object... more) {
    if (more.length % 2 != 0) throw new IllegalArgumentException("weights come in variant, weight pairs");
    Map<String, Integer> w = new LinkedHashMap<>();
    w.put(variant, weight);
    for (int i = 0; i < more.length; i += 2) {
      if (!(more[i] instanceof String v) || !(more[i + 1] instanceof Integer n)) {
        throw new IllegalArgumentException("weights come in (String variant, int weight) pairs, got "
            + more[i] + ", " + more[i + 1]);
      }
      w.put(v, n);
    }
    return new Weights(w);
  }

  /** The compact text form used in snapshots: {@code 50%}, {@code blue=90,green=10}, {@code custom}. */
  String encode();

  /** Parses {@link #encode()}. */
  static Rollout decode(String text) {
    Objects.requireNonNull(text, "text");
    if (text.equals(Custom.INSTANCE.encode())) return Custom.INSTANCE;
    if (text.endsWith("%")) {
      try {
        return percent(Integer.parseInt(text.substring(0, text.length() - 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a rollout percentage: '" + text + "'", e);
      }
    }
    Map<String, Integer> w = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      int eq = part.lastIndexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("not a rollout ('50%' or 'a=1,b=2'): '" + text + "'");
      try {
        w.put(part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a rollout weight in '" + text + "': '" + part + "'", e);
      }
    }
    return weights(w);
  }

  /** A percentage of users gets the feature. */
  record Percentage(int percent) implements Rollout {
    public Percentage {
      if (percent < 0 || percent > 100) throw new IllegalArgumentException("percent must be 0..100: " + percent);
    }

    @Override public String encode() { return percent + "%"; }
    @Override public String toString() { return encode(); }
  }

  /** Relative weights per variant, in bucket order. */
  record Weights(Map<String, Integer> weights) implements Rollout {
    public Weights {
      Objects.requireNonNull(weights, "weights");
      if (weights.isEmpty()) throw new IllegalArgumentException("weights must name at least one variant");
      int total = 0;
      for (Map.Entry<String, Integer> e : weights.entrySet()) {
        Objects.requireNonNull(e.getKey(), "variant");
        Objects.requireNonNull(e.getValue(), () -> "weight of '" + e.getKey() + "'");
        if (e.getKey().isBlank() || e.getKey().contains(",") || e.getKey().contains("=")) {
          throw new IllegalArgumentException("variant name must be non-blank without ',' or '=': '" + e.getKey() + "'");
        }
        if (e.getValue() < 0) throw new IllegalArgumentException("weight of '" + e.getKey() + "' must be >= 0: " + e.getValue());
        total += e.getValue();
      }
      if (total <= 0) throw new IllegalArgumentException("weights must not all be 0: " + weights);
      weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    public List<String> variants() { return new ArrayList<>(weights.keySet()); }

    public int total() { return weights.values().stream().mapToInt(Integer::intValue).sum(); }

    @Override public String encode() {
      StringBuilder sb = new StringBuilder();
      weights.forEach((v, w) -> sb.append(sb.length() == 0 ? "" : ",").append(v).append('=').append(w));
      return sb.toString();
    }

    @Override public String toString() { return encode(); }
  }

  /** A targeting rule this library does not interpret; it is only ever restored verbatim. */
  enum Custom implements Rollout {
    INSTANCE;

    @Override public String encode() { return "custom"; }
  }
}
