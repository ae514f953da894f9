package dev.rollback.flags.internal;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.FlagStore;
import dev.rollback.flags.FlagdFileStore;
import dev.rollback.flags.Rollout;
import dev.rollback.flags.UnleashFlagStore;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flag stores and flag steps plan files can name: targets {@code flagd} and {@code unleash};
 * steps {@code flag.killSwitch}, {@code flag.shiftDown}, {@code flag.rollout} (also a release
 * change) and {@code flag.restoreKnownGood}. Registered in {@code META-INF/services}.
 */
public final class FlagTypes {
  private FlagTypes() {}

  static final Parameter TARGET = Parameter.required("target", Type.TARGET, "the flag store").withChoices("flagd", "unleash");
  static final Parameter FLAG = Parameter.required("flag", Type.STRING, "the flag's key");

  static FeatureFlags flags(Arguments args) {
    return FeatureFlags.using(args.target("target", FlagStore.class));
  }

  static Step bounded(Step s) {
    return s.timeout().isPresent() ? s : s.withTimeout(Duration.ofSeconds(30));
  }

  static Rollout rollout(Arguments args) {
    if (args.has("percent") == args.has("weights")) throw new IllegalArgumentException("give exactly one of percent and weights");
    if (args.has("percent")) return Rollout.percent(args.integer("percent"));
    return Rollout.weights(new LinkedHashMap<>(args.integerMap("weights")));
  }

  /** {@code flagd}: a flagd flag definition file, rewritten atomically. */
  public static final class Flagd implements TargetType {
    @Override public String name() { return "flagd"; }
    @Override public String summary() { return "a flagd flag definition file (flagd and its providers watch it)"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("file", Type.PATH, "the flag definition file"),
          Parameter.optional("variants", Type.STRING_MAP,
              "for non-boolean flags: flag to 'onVariant/offVariant', the variants a kill switch and a percentage use"));
    }
    @Override public Object open(Arguments args) {
      FlagdFileStore s = FlagdFileStore.of(args.path("file"));
      if (args.has("variants")) {
        for (Map.Entry<String, String> e : args.stringMap("variants").entrySet()) {
          String[] v = e.getValue().split("/");
          if (v.length != 2) throw new IllegalArgumentException("variants of flag '" + e.getKey() + "' must be onVariant/offVariant, not '"
              + e.getValue() + "'");
          s = s.withVariants(e.getKey(), v[0], v[1]);
        }
      }
      return s;
    }
  }

  /** {@code unleash}: an Unleash server's admin API. */
  public static final class Unleash implements TargetType {
    @Override public String name() { return "unleash"; }
    @Override public String summary() { return "an Unleash server, changed through its admin API"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("url", Type.URI, "the server's base URL"),
          Parameter.required("token", Type.SECRET, "an admin API token"),
          Parameter.optional("project", Type.STRING, "the project").withDefault("default"),
          Parameter.optional("environment", Type.STRING, "the environment").withDefault("development"),
          Parameter.optional("timeout", Type.DURATION, "timeout of one request").withDefault("5s"));
    }
    @Override public Object open(Arguments args) {
      return UnleashFlagStore.builder(args.uri("url"), args.secret("token")).withProject(args.string("project"))
          .withEnvironment(args.string("environment")).withRequestTimeout(args.duration("timeout")).build();
    }
  }

  /** {@code flag.killSwitch}. */
  public static final class KillSwitch implements StepType {
    @Override public String name() { return "flag.killSwitch"; }
    @Override public String summary() { return "turn a flag off for everyone in one write (the fastest lever)"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, FLAG); }
    @Override public Step step(Arguments args) { return bounded(flags(args).killSwitch(args.string("flag"))); }
  }

  /** {@code flag.shiftDown}. */
  public static final class ShiftDown implements StepType {
    @Override public String name() { return "flag.shiftDown"; }
    @Override public String summary() { return "shift users off a flag in decreasing percentages, checking health after each"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, FLAG,
          Parameter.required("percents", Type.INTEGER_LIST, "the percentages, strictly decreasing").between(0, 100),
          Parameter.required("check", Type.CHECK, "must be UP after each percentage"),
          Parameter.optional("within", Type.DURATION, "how long the check may take to be UP").withDefault("1m"),
          Parameter.optional("every", Type.DURATION, "how often the check is polled").withDefault("1s"));
    }
    @Override public Step step(Arguments args) {
      List<Integer> p = args.integers("percents");
      Step s = flags(args).withGateTimeout(args.duration("within")).withGateInterval(args.duration("every"))
          .shiftDown(args.string("flag"), args.check("check"), p.stream().mapToInt(Integer::intValue).toArray());
      return s.timeout().isPresent() ? s : s.withTimeout(args.duration("within").plusSeconds(10).multipliedBy(p.size()));
    }
  }

  /** {@code flag.rollout}. */
  public static final class SetRollout implements StepType {
    @Override public String name() { return "flag.rollout"; }
    @Override public String summary() { return "set a flag's rollout in one write: a percentage, or weights per variant"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, FLAG,
          Parameter.optional("percent", Type.INTEGER, "percent of users that get the feature; or give weights").between(0, 100),
          Parameter.optional("weights", Type.INTEGER_MAP, "variant to relative weight; or give percent").between(0, 1000000));
    }
    @Override public Step step(Arguments args) { return bounded(flags(args).setRollout(args.string("flag"), rollout(args))); }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Change c = flags(args).turnOn(args.string("flag"), rollout(args));
      return c.withApply(bounded(c.apply())).withRevert(bounded(c.revert()));
    }
  }

  /** {@code flag.restoreKnownGood}. */
  public static final class RestoreKnownGood implements StepType {
    @Override public String name() { return "flag.restoreKnownGood"; }
    @Override public String summary() { return "put a flag back to the state captured before the deployment (rollback capture)"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, FLAG); }
    @Override public Step step(Arguments args) { return bounded(flags(args).restoreKnownGood(args.string("flag"))); }
  }
}
