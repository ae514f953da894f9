package dev.rollback.flags;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.providers.memory.ContextEvaluator;
import dev.openfeature.sdk.providers.memory.Flag;
import dev.openfeature.sdk.providers.memory.InMemoryProvider;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Flags held in the process and served by OpenFeature's {@link InMemoryProvider}: an embeddable
 * kill-switch store with no server, and the fastest lever there is (a write is one map update
 * plus a {@code PROVIDER_CONFIGURATION_CHANGED} event). Percentages are bucketed like flagd's
 * {@code fractional} on the evaluation context's targeting key.
 *
 * <pre>{@code
 * InMemoryFlagStore flags = InMemoryFlagStore.create()
 *     .define("new-checkout", Rollout.percent(10));
 * OpenFeatureAPI.getInstance().setProviderAndWait(flags.provider());
 * }</pre>
 */
public final class InMemoryFlagStore implements FlagStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Definition(Map<String, Object> variants, String onVariant, String offVariant) {}

  private final Map<String, Definition> definitions = new ConcurrentHashMap<>();
  private final Map<String, FlagState> states = new ConcurrentHashMap<>();
  private final InMemoryProvider provider = new InMemoryProvider(new HashMap<>());

  private InMemoryFlagStore() {}

  /** An empty store; add flags with {@link #define}. */
  public static InMemoryFlagStore create() {
    return new InMemoryFlagStore();
  }

  /** Defines a boolean flag (variants {@code on}=true, {@code off}=false), on with {@code rollout}. */
  public InMemoryFlagStore define(String flag, Rollout rollout) {
    return define(flag, Map.of("on", true, "off", false), "on", "off", true, rollout);
  }

  /** Defines a boolean flag that is off. */
  public InMemoryFlagStore defineOff(String flag) {
    return define(flag, Map.of("on", true, "off", false), "on", "off", false, Rollout.all());
  }

  /**
   * Defines a flag with its own variants: {@code onVariant} is what a percentage rollout serves,
   * {@code offVariant} what the kill switch serves.
   */
  public synchronized InMemoryFlagStore define(String flag, Map<String, ?> variants, String onVariant, String offVariant,
      boolean enabled, Rollout rollout) {
    requireFlag(flag);
    Objects.requireNonNull(variants, "variants");
    if (!variants.containsKey(onVariant)) throw new IllegalArgumentException("flag '" + flag + "': on variant '" + onVariant + "' is not among " + variants.keySet());
    if (!variants.containsKey(offVariant)) throw new IllegalArgumentException("flag '" + flag + "': off variant '" + offVariant + "' is not among " + variants.keySet());
    Definition d = new Definition(new LinkedHashMap<>(variants), onVariant, offVariant);
    checkRollout(flag, d, rollout);
    definitions.put(flag, d);
    apply(new FlagState(flag, enabled, rollout, encode(d)), d);
    return this;
  }

  /** The OpenFeature provider that serves this store's flags. */
  public InMemoryProvider provider() {
    return provider;
  }

  @Override
  public String describe() {
    return "in-memory OpenFeature flags";
  }

  @Override
  public FlagState read(String flag) {
    FlagState s = states.get(requireFlag(flag));
    if (s == null) throw new UnknownFlagException(describe(), flag, String.join(", ", new java.util.TreeSet<>(states.keySet())));
    return s;
  }

  @Override
  public synchronized void disable(String flag) {
    FlagState s = read(flag);
    apply(new FlagState(flag, false, s.rollout(), s.definition()), definitions.get(flag));
  }

  @Override
  public synchronized void setRollout(String flag, Rollout rollout) {
    Objects.requireNonNull(rollout, "rollout");
    FlagState s = read(flag);
    Definition d = definitions.get(flag);
    checkRollout(flag, d, rollout);
    apply(new FlagState(flag, true, rollout, s.definition()), d);
  }

  @Override
  public synchronized void restore(FlagState state) {
    Objects.requireNonNull(state, "state");
    Definition d = decode(state.flag(), state.definition());
    checkRollout(state.flag(), d, state.rollout());
    definitions.put(state.flag(), d);
    apply(state, d);
  }

  @Override
  public Bucketing bucketing() {
    return Bucketing.flagd();
  }

  @Override
  public String onVariant(String flag) {
    Definition d = definitions.get(flag);
    return d == null ? "on" : d.onVariant();
  }

  @Override
  public String offVariant(String flag) {
    Definition d = definitions.get(flag);
    return d == null ? "off" : d.offVariant();
  }

  @Override
  public Map<String, Object> variantValues(String flag) {
    Definition d = definitions.get(flag);
    return d == null ? Map.of() : java.util.Collections.unmodifiableMap(d.variants());
  }

  private void apply(FlagState state, Definition d) {
    Flag.FlagBuilder<Object> b = Flag.builder().variants(d.variants()).defaultVariant(d.offVariant());
    if (state.enabled()) {
      Rollout r = state.rollout();
      if (r instanceof Rollout.Percentage p && p.percent() == 100) {
        b.defaultVariant(d.onVariant());
      } else if (r instanceof Rollout.Percentage p) {
        b.contextEvaluator(evaluator(state.flag(), d, ctx -> Bucketing.flagd().isIn(state.flag(), ctx, p.percent()) ? d.onVariant() : d.offVariant()));
      } else if (r instanceof Rollout.Weights w) {
        b.contextEvaluator(evaluator(state.flag(), d, ctx -> Bucketing.flagd().variant(state.flag(), ctx, w)));
      }
    }
    states.put(state.flag(), state);
    provider.updateFlag(state.flag(), b.build());
  }

  private static ContextEvaluator<Object> evaluator(String flag, Definition d, java.util.function.Function<String, String> variantOf) {
    return new ContextEvaluator<>() {
      @Override
      public Object evaluate(Flag f, EvaluationContext ctx) {
        String key = ctx == null ? null : ctx.getTargetingKey();
        // no targeting key: nobody can be bucketed, so everyone gets the safe path
        String variant = key == null || key.isEmpty() ? d.offVariant() : variantOf.apply(key);
        return d.variants().get(variant);
      }
    };
  }

  private static void checkRollout(String flag, Definition d, Rollout r) {
    if (r instanceof Rollout.Weights w) {
      for (String v : w.weights().keySet()) {
        if (!d.variants().containsKey(v)) {
          throw new IllegalArgumentException("flag '" + flag + "' has no variant '" + v + "' (variants: " + d.variants().keySet() + ")");
        }
      }
    } else if (r instanceof Rollout.Custom) {
      throw new IllegalArgumentException("flag '" + flag + "': the in-memory store has no custom targeting rules");
    }
  }

  private static String encode(Definition d) {
    ObjectNode n = JSON.createObjectNode();
    n.set("variants", JSON.valueToTree(d.variants()));
    n.put("onVariant", d.onVariant());
    n.put("offVariant", d.offVariant());
    return n.toString();
  }

  @SuppressWarnings("unchecked")
  private static Definition decode(String flag, String definition) {
    try {
      Map<String, Object> m = JSON.readValue(definition, Map.class);
      Map<String, Object> variants = (Map<String, Object>) Objects.requireNonNull(m.get("variants"), "variants");
      return new Definition(new LinkedHashMap<>(variants), (String) Objects.requireNonNull(m.get("onVariant"), "onVariant"),
          (String) Objects.requireNonNull(m.get("offVariant"), "offVariant"));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("flag '" + flag + "': not an in-memory flag definition (was it captured from another store?): "
          + e.getMessage(), e);
    }
  }

  private static String requireFlag(String flag) {
    Objects.requireNonNull(flag, "flag");
    if (flag.isBlank()) throw new IllegalArgumentException("flag key must not be blank");
    return flag;
  }

  @Override
  public String toString() {
    return "InMemoryFlagStore" + new java.util.TreeSet<>(states.keySet());
  }
}
