package dev.rollback.cli.internal;

import dev.rollback.cli.TriggerInfo;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Signals;
import dev.rollback.detect.Trigger;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The triggers plan files declare under {@code spec.triggers}: every rule kind of {@link Trigger},
 * over signals that poll the file's checks.
 */
public final class Triggers {
  /** Fields every trigger may have besides its rule's parameters. */
  public static final List<String> COMMON = List.of("rule", "name", "signal");
  /** Fields a signal has. */
  public static final List<String> SIGNAL_FIELDS = List.of("check", "every", "unknownAsDown");
  /** Rules that read one signal. */
  public static final Set<String> SIGNAL_RULES = Set.of("consecutiveFailures", "nOfM", "errorRatio", "latency", "burnRate",
      "sequential", "progressDeadline");

  /** Each rule's own parameters, for the loader and the schema. */
  public static final Map<String, List<Parameter>> RULES = rules();

  private static Map<String, List<Parameter>> rules() {
    Map<String, List<Parameter>> m = new LinkedHashMap<>();
    m.put("consecutiveFailures", List.of(Parameter.required("n", Type.INTEGER, "failed observations in a row").between(1, 10000)));
    m.put("nOfM", List.of(Parameter.required("n", Type.INTEGER, "failed observations").between(1, 10000),
        Parameter.required("m", Type.INTEGER, "of the last observations").between(1, 10000)));
    m.put("errorRatio", List.of(Parameter.optional("above", Type.NUMBER, "the error ratio that rolls back").between(0, 1)
            .withDefault("0.05"),
        Parameter.optional("over", Type.DURATION, "the sliding window").withDefault("30s"),
        Parameter.optional("minSamples", Type.INTEGER, "samples needed in the window").between(1, 10000000).withDefault("50")));
    m.put("latency", List.of(Parameter.optional("percentile", Type.NUMBER, "the quantile, 0.99 for p99").between(0, 1)
            .withDefault("0.99"),
        Parameter.optional("above", Type.DURATION, "the latency that rolls back").withDefault("1s"),
        Parameter.optional("over", Type.DURATION, "the sliding window").withDefault("60s"),
        Parameter.optional("minSamples", Type.INTEGER, "samples needed in the window").between(1, 10000000).withDefault("50")));
    m.put("burnRate", List.of(Parameter.required("slo", Type.NUMBER, "the availability objective, e.g. 0.999").between(0, 1),
        Parameter.optional("minSamples", Type.INTEGER, "samples needed in the short window").between(1, 10000000)));
    m.put("sequential", List.of(Parameter.optional("baseline", Type.NUMBER, "a healthy release's error rate").between(0, 1)
            .withDefault("0.01"),
        Parameter.optional("detecting", Type.NUMBER, "the error rate to detect").between(0, 1).withDefault("0.1"),
        Parameter.optional("falseAlarmOnceIn", Type.NUMBER, "at most one false alarm per this many samples")
            .withDefault("100000000")));
    m.put("progressDeadline", List.of(Parameter.required("deadline", Type.DURATION, "time for a first success")));
    m.put("judge", List.of(Parameter.optional("onErrors", Type.NUMBER, "compare error rates, with this tolerance; latency otherwise")
            .between(0, 1),
        Parameter.optional("over", Type.DURATION, "the window"),
        Parameter.optional("minSamples", Type.INTEGER, "samples per side").between(1, 10000000),
        Parameter.optional("confidence", Type.NUMBER, "the confidence level").between(0, 1)));
    m.put("manual", List.of());
    m.put("anyOf", List.of());
    m.put("allOf", List.of());
    m.put("sustained", List.of(Parameter.required("holdFor", Type.DURATION, "how long it must keep saying ROLL_BACK")));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Extra structured fields of some rules. */
  public static final Map<String, List<String>> STRUCTURED = Map.of("burnRate", List.of("windows"), "judge",
      List.of("baseline", "canary"), "anyOf", List.of("members"), "allOf", List.of("members"), "sustained", List.of("trigger"));

  private final Ctx ctx;
  private final Values.Refs refs;
  private final Checks.ParamReader reader;
  private final Map<String, Signal> signals = new HashMap<>();

  Triggers(Ctx ctx, Values.Refs refs, Checks.ParamReader reader) {
    this.ctx = ctx;
    this.refs = refs;
    this.reader = reader;
  }

  List<TriggerInfo> all(Ctx.Obj spec) {
    List<TriggerInfo> out = new ArrayList<>();
    List<Node> items = spec.list("triggers", false, "the rules that decide the release is bad");
    if (items == null) return out;
    for (int i = 0; i < items.size(); i++) {
      TriggerInfo t = one(items.get(i), spec.pathOf("triggers") + "[" + i + "]");
      if (t != null) out.add(t);
    }
    return out;
  }

  private @Nullable TriggerInfo one(Node n, String path) {
    Ctx.Obj o = ctx.asObj(n, path, "{rule, signal, and the rule's parameters}");
    if (o == null) return null;
    String rule = o.string("rule", true, "one of " + RULES.keySet());
    if (rule == null) return null;
    List<Parameter> params = RULES.get(rule);
    if (params == null) {
      ctx.error(o.markOf("rule"), o.pathOf("rule"), "unknown rule '" + rule + "'" + Suggest.didYouMean(rule, RULES.keySet())
          + " (known: " + String.join(", ", RULES.keySet()) + ")");
      return null;
    }
    List<String> known = new ArrayList<>(COMMON);
    params.forEach(p -> known.add(p.name()));
    known.addAll(STRUCTURED.getOrDefault(rule, List.of()));
    if (!SIGNAL_RULES.contains(rule)) known.remove("signal");
    o.allow(known);
    String name = o.string("name", false, "the trigger's name");
    Map<String, Object> v = reader.read(params, o);
    Signal signal = null;
    String signalText = "";
    if (SIGNAL_RULES.contains(rule)) {
      Ctx.Obj so = o.obj("signal", true, "{check, every, unknownAsDown}");
      if (so != null) {
        signal = signal(so);
        signalText = " on " + text(so);
      }
    }
    if (v == null || (SIGNAL_RULES.contains(rule) && signal == null)) return null;
    StringBuilder words = new StringBuilder(rule);
    v.forEach((k, val) -> words.append(' ').append(k).append('=').append(val instanceof Duration d ? Values.formatDuration(d) : val));
    words.append(signalText);
    Trigger t;
    try {
      t = build(rule, v, signal, o, words, name == null ? rule : name);
    } catch (IllegalArgumentException e) {
      ctx.error(o.mark(), path, e.getMessage());
      return null;
    }
    if (t == null) return null;
    if (name != null && !rule.equals("manual") && !rule.equals("anyOf") && !rule.equals("allOf")) t = Trigger.anyOf(name, t);
    String desc = (name != null ? name + ": " : "") + words + " (worst-case detection " + t.detectionFormula() + ")";
    return new TriggerInfo(desc, t);
  }

  private @Nullable Trigger build(String rule, Map<String, Object> v, @Nullable Signal s, Ctx.Obj o, StringBuilder words,
      String name) {
    return switch (rule) {
      case "consecutiveFailures" -> Trigger.consecutiveFailures(s, (Integer) v.get("n"));
      case "nOfM" -> Trigger.nOfM(s, (Integer) v.get("n"), (Integer) v.get("m"));
      case "errorRatio" -> Trigger.errorRatio(s).above((Double) v.get("above")).over((Duration) v.get("over"))
          .minSamples((Integer) v.get("minSamples"));
      case "latency" -> Trigger.latency(s).percentile((Double) v.get("percentile")).above((Duration) v.get("above"))
          .over((Duration) v.get("over")).minSamples((Integer) v.get("minSamples"));
      case "burnRate" -> burnRate(v, s, o, words);
      case "sequential" -> Trigger.sequential(s).baseline((Double) v.get("baseline")).detecting((Double) v.get("detecting"))
          .falseAlarmOnceIn((Double) v.get("falseAlarmOnceIn"));
      case "progressDeadline" -> Trigger.progressDeadline(s, (Duration) v.get("deadline"));
      case "judge" -> judge(v, o, words);
      case "manual" -> Trigger.manual(name);
      case "anyOf", "allOf" -> composite(rule, name, o, words);
      default -> sustained(v, o, words);
    };
  }

  private @Nullable Trigger burnRate(Map<String, Object> v, Signal s, Ctx.Obj o, StringBuilder words) {
    Trigger.BurnRate b = Trigger.burnRate(s, (Double) v.get("slo"));
    if (v.get("minSamples") != null) b = b.minSamples((Integer) v.get("minSamples"));
    List<Node> windows = o.list("windows", false, "[{long, short, factor}]");
    if (windows != null) {
      for (int i = 0; i < windows.size(); i++) {
        Ctx.Obj w = ctx.asObj(windows.get(i), o.pathOf("windows") + "[" + i + "]", "{long, short, factor}");
        if (w == null) return null;
        w.allow("long", "short", "factor");
        Duration l = w.has("long") ? Values.duration(w.get("long"), w.pathOf("long"), ctx) : null;
        Duration sh = w.has("short") ? Values.duration(w.get("short"), w.pathOf("short"), ctx) : null;
        Double f = w.has("factor") ? Values.number(Parameter.optional("factor", Type.NUMBER, ""), w.get("factor"), w.pathOf("factor"), ctx)
            : null;
        if (l == null || sh == null || f == null) {
          if (!w.has("long") || !w.has("short") || !w.has("factor")) ctx.error(w.mark(), w.path, "a window needs long, short and factor");
          return null;
        }
        b = b.window(l, sh, f);
        words.append(" window=").append(Values.formatDuration(l)).append('/').append(Values.formatDuration(sh)).append('×').append(f);
      }
    }
    return b;
  }

  private @Nullable Trigger judge(Map<String, Object> v, Ctx.Obj o, StringBuilder words) {
    Ctx.Obj bo = o.obj("baseline", true, "the baseline's signal {check, every}");
    Ctx.Obj co = o.obj("canary", true, "the canary's signal {check, every}");
    Signal b = bo == null ? null : signal(bo);
    Signal c = co == null ? null : signal(co);
    if (b == null || c == null) return null;
    words.append(" baseline ").append(text(bo)).append(" canary ").append(text(co));
    Trigger.Judge j = Trigger.judge(b, c);
    if (v.get("onErrors") != null) j = j.onErrors((Double) v.get("onErrors"));
    if (v.get("over") != null) j = j.over((Duration) v.get("over"));
    if (v.get("minSamples") != null) j = j.minSamples((Integer) v.get("minSamples"));
    if (v.get("confidence") != null) j = j.confidence((Double) v.get("confidence"));
    return j;
  }

  private @Nullable Trigger composite(String rule, String name, Ctx.Obj o, StringBuilder words) {
    List<Node> members = o.list("members", true, "the member triggers");
    if (members == null) return null;
    List<Trigger> ts = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      TriggerInfo t = one(members.get(i), o.pathOf("members") + "[" + i + "]");
      if (t == null) return null;
      ts.add(t.trigger());
      texts.add(t.description());
    }
    if (ts.isEmpty()) {
      ctx.error(o.markOf("members"), o.pathOf("members"), rule + " needs at least one member");
      return null;
    }
    words.append(" of ").append(texts);
    Trigger[] arr = ts.toArray(new Trigger[0]);
    return rule.equals("anyOf") ? Trigger.anyOf(name, arr) : Trigger.allOf(name, arr);
  }

  private @Nullable Trigger sustained(Map<String, Object> v, Ctx.Obj o, StringBuilder words) {
    Node inner = o.require("trigger", "the trigger that must hold");
    if (inner == null) return null;
    TriggerInfo t = one(inner, o.pathOf("trigger"));
    if (t == null) return null;
    words.append(" of ").append(t.description());
    return Trigger.sustained(t.trigger(), (Duration) v.get("holdFor"));
  }

  private @Nullable Signal signal(Ctx.Obj so) {
    so.allow(SIGNAL_FIELDS);
    String check = so.string("check", true, "the check to poll");
    Duration every = so.has("every") ? Values.duration(so.get("every"), so.pathOf("every"), ctx) : Duration.ofSeconds(2);
    Boolean unknownAsDown = so.has("unknownAsDown") ? Values.bool(so.get("unknownAsDown"), so.pathOf("unknownAsDown"), ctx) : Boolean.FALSE;
    if (check == null || every == null || unknownAsDown == null) return null;
    HealthCheck h = refs.check(check, so.markOf("check"), so.pathOf("check"));
    if (h == null) return null;
    String key = check + "|" + every + "|" + unknownAsDown;
    return signals.computeIfAbsent(key, k -> unknownAsDown ? Signals.pollTreatingUnknownAsDown(h, every) : Signals.poll(h, every));
  }

  private static String text(Ctx.Obj so) {
    Node c = so.get("check");
    Node e = so.get("every");
    return "check " + (c instanceof Node.Scalar s ? s.text() : "?") + " every " + (e instanceof Node.Scalar s ? s.text() : "2s");
  }
}
