package dev.rollback.cli.internal;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.PlanValidationException;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.cli.Problem;
import dev.rollback.cli.StepInfo;
import dev.rollback.cli.TriggerInfo;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.Trigger;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Turns plan documents into plans, releases and fleets. Checks everything it can before building
 * anything: fields and their types, step and target types and their parameters, references to
 * targets and checks, template parameters, fleet dependencies. Every problem is collected with its
 * file, line, column and path; nothing is built from a part that has one.
 */
public final class Compiler {
  public static final String API_VERSION = "rollback.dev/v1alpha1";
  public static final List<String> KINDS = List.of("RollbackPlan", "Release", "Fleet", "RollbackPlanTemplate",
      "ReleaseTemplate", "Targets");
  public static final String BASE_DIR_ANNOTATION = "rollback.dev/base-dir";

  static final List<String> ROOT_FIELDS = List.of("apiVersion", "kind", "metadata", "spec");
  static final List<String> METADATA_FIELDS = List.of("name", "description", "labels", "annotations");
  static final List<String> PLAN_FIELDS = List.of("deployment", "budget", "onFailure", "targets", "checks", "triggers",
      "stages", "verifiedBy", "soak", "communication", "journal", "template");
  static final List<String> RELEASE_FIELDS = List.of("deployment", "budget", "onRevertFailure", "targets", "checks",
      "triggers", "changes", "verifiedBy", "soak", "communication", "journal", "template");
  static final List<String> SOAK_FIELDS = List.of("window", "every");
  static final List<String> FLEET_FIELDS = List.of("budget", "onFailure", "services", "journal");
  static final List<String> SERVICE_FIELDS = List.of("name", "plan", "template", "dependsOn");
  static final List<String> STAGE_FIELDS = List.of("name", "parallel", "steps");
  static final List<String> STEP_FIELDS = List.of("type", "name", "description", "params", "timeout", "retries", "approval",
      "verifiedBy", "idempotent", "mayTerminateHost");
  static final List<String> CHANGE_FIELDS = List.of("type", "name", "description", "params", "timeout", "retries",
      "notSafelyRevertible", "healthGate", "bake");
  static final List<String> APPROVAL_FIELDS = List.of("gate", "timeout", "onTimeout", "answeredBy");
  static final List<String> RETRY_FIELDS = List.of("max", "delay", "maxDelay");
  static final List<String> COMMUNICATION_FIELDS = List.of("audiences", "routes", "escalate", "deduplicateWithin");
  static final List<String> TEMPLATE_FIELDS = List.of("parameters", "template");
  static final List<String> TEMPLATE_USE_FIELDS = List.of("file", "parameters");
  static final List<String> TEMPLATE_PARAMETER_FIELDS = List.of("name", "default", "description");
  static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9_]*)}");

  private final Registry registry;
  private final Map<String, String> env;
  private final Ctx.SecretMode secrets;
  private final Map<String, Node> targetOverrides;
  private final Deque<Path> loading = new ArrayDeque<>();
  private final Set<String> resolvedSecrets = java.util.Collections.synchronizedSet(new LinkedHashSet<>());

  public Compiler(Registry registry, Map<String, String> env, Ctx.SecretMode secrets, Map<String, Node> targetOverrides) {
    Timing.mark("registry");
    this.registry = registry;
    this.env = env;
    this.secrets = secrets;
    this.targetOverrides = targetOverrides;
  }

  /** Hides every value a {@code secretRef} of the documents compiled so far resolved to, and its fragments. */
  public dev.rollback.spi.Redactor redactor() {
    synchronized (resolvedSecrets) {
      return dev.rollback.spi.Redactor.of(resolvedSecrets.toArray(String[]::new));
    }
  }

  // ------------------------------------------------------------------ documents

  /** Reads and compiles {@code file}; null with problems when it cannot. */
  public @Nullable Compiled load(Path file, List<Problem> problems) {
    Path abs = file.toAbsolutePath().normalize();
    String text;
    try {
      text = Files.readString(abs, StandardCharsets.UTF_8);
    } catch (IOException e) {
      problems.add(new Problem(file.toString(), 0, 0, "", "cannot read the file: " + e));
      return null;
    }
    if (loading.contains(abs)) {
      problems.add(new Problem(file.toString(), 0, 0, "", "the file refers to itself through " + loading));
      return null;
    }
    loading.push(abs);
    Timing.mark("read " + file);
    try {
      return parse(text, file.toString(), abs.getParent(), problems);
    } finally {
      loading.pop();
    }
  }

  public @Nullable Compiled parse(String text, String file, Path baseDir, List<Problem> problems) {
    YamlReader.Parsed p = YamlReader.parse(text, file);
    Timing.mark("yaml " + file);
    problems.addAll(p.problems());
    if (p.root().isEmpty()) return null;
    Compiled c = compile(p.root().get(), file, baseDir, problems);
    Timing.mark("compiled " + file);
    return c;
  }

  /** The root checked; kind dispatched. */
  public @Nullable Compiled compile(Node root, String file, Path baseDir, List<Problem> problems) {
    Ctx ctx0 = new Ctx(baseDir, env, secrets, problems, resolvedSecrets);
    Ctx.Obj r = ctx0.asObj(root, "", "a document with apiVersion, kind, metadata and spec");
    if (r == null) return null;
    r.allow(ROOT_FIELDS);
    String api = r.string("apiVersion", true, API_VERSION);
    if (api != null && !api.equals(API_VERSION)) {
      ctx0.error(r.markOf("apiVersion"), "apiVersion", "must be " + API_VERSION + ", not '" + api + "'");
    }
    String kind = r.string("kind", true, "one of " + KINDS);
    if (kind != null && !KINDS.contains(kind)) {
      ctx0.error(r.markOf("kind"), "kind", "unknown kind '" + kind + "'" + Suggest.didYouMean(kind, KINDS) + " (known: "
          + String.join(", ", KINDS) + ")");
      kind = null;
    }
    Ctx.Obj meta = r.obj("metadata", true, "name, and optionally description, labels and annotations");
    String name = null;
    Path dir = baseDir;
    if (meta != null) {
      meta.allow(METADATA_FIELDS);
      name = meta.string("name", true, "the plan's name: lower-case letters, digits, '-', '.' and '_'");
      if (name != null && !NAME.matcher(name).matches()) {
        ctx0.error(meta.markOf("name"), meta.pathOf("name"), "must be 1-63 lower-case letters, digits, '-', '.' or '_', starting and"
            + " ending with a letter or digit, not '" + name + "'");
      }
      meta.string("description", false, "what the plan is for");
      stringMap(ctx0, meta, "labels");
      Map<String, String> ann = stringMap(ctx0, meta, "annotations");
      if (ann.containsKey(BASE_DIR_ANNOTATION)) dir = Path.of(ann.get(BASE_DIR_ANNOTATION));
    }
    Ctx.Obj spec = r.obj("spec", true, "what the " + (kind == null ? "document" : kind) + " holds");
    if (kind == null || name == null || spec == null) return null;
    Ctx ctx = new Ctx(dir, env, secrets, problems, resolvedSecrets);
    Doc doc = new Doc(ctx, file);
    return switch (kind) {
      case "RollbackPlan" -> doc.rollbackPlan((Node.MapNode) root, name, spec);
      case "Release" -> doc.release((Node.MapNode) root, name, spec);
      case "Fleet" -> doc.fleet((Node.MapNode) root, name, spec);
      case "RollbackPlanTemplate", "ReleaseTemplate" -> doc.templateOnly((Node.MapNode) root, kind, name, spec);
      default -> doc.targetsOnly((Node.MapNode) root, name, spec);
    };
  }

  static Map<String, String> stringMap(Ctx ctx, Ctx.Obj o, String key) {
    Ctx.Obj m = o.obj(key, false, "names to text");
    Map<String, String> out = new LinkedHashMap<>();
    if (m == null) return out;
    for (Map.Entry<String, Node> e : m.node.entries().entrySet()) {
      String t = Values.text(e.getValue(), m.pathOf(e.getKey()), ctx, "text");
      if (t != null) out.put(e.getKey(), t);
    }
    return out;
  }

  /** The target declarations of a {@code kind: Targets} document, to replace a plan's for a drill. */
  public static Map<String, Node> targetDeclarations(Node.MapNode root) {
    Node spec = root.get("spec");
    if (spec instanceof Node.MapNode s && s.get("targets") instanceof Node.MapNode t) return t.entries();
    return Map.of();
  }

  // ------------------------------------------------------------------ one document

  private final class Doc implements Values.Refs {
    final Ctx ctx;
    final String file;
    final Map<String, TargetDecl> targets = new LinkedHashMap<>();
    final Map<String, Object> opened = new HashMap<>();
    final Set<String> failedTargets = new HashSet<>();
    final Map<String, Node> checkDecls = new LinkedHashMap<>();
    final Map<String, HealthCheck> checks = new LinkedHashMap<>();
    final Map<String, String> checkDescriptions = new LinkedHashMap<>();
    final Set<String> resolving = new LinkedHashSet<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    final Triggers triggers;

    Doc(Ctx ctx, String file) {
      this.ctx = ctx;
      this.file = file;
      this.triggers = new Triggers(ctx, this, (d, o) -> params(d, o, null));
    }

    record TargetDecl(String type, Ctx.Obj params, String path) {}

    // ---------------------------------------------------------------- targets and checks

    void declareTargets(@Nullable Ctx.Obj spec) {
      if (spec == null) return;
      Ctx.Obj t = spec.obj("targets", false, "target names to {type: ..., and the type's parameters}");
      if (t == null) return;
      for (Map.Entry<String, Node> e : t.node.entries().entrySet()) {
        String path = t.pathOf(e.getKey());
        Node decl = targetOverrides.getOrDefault(e.getKey(), e.getValue());
        Ctx.Obj o = ctx.asObj(decl, path, "{type: ..., and the type's parameters}");
        if (o == null) continue;
        String type = o.string("type", true, "one of " + registry.targetNames());
        if (type == null) continue;
        TargetType tt = registry.targets().get(type);
        if (tt == null) {
          ctx.error(o.markOf("type"), o.pathOf("type"), "unknown target type '" + type + "'"
              + Suggest.didYouMean(type, registry.targetNames()) + " (known: " + String.join(", ", registry.targetNames()) + ")");
          continue;
        }
        List<String> known = new ArrayList<>(List.of("type"));
        tt.parameters().forEach(p -> known.add(p.name()));
        o.allow(known);
        Map<String, Object> values = params(tt.parameters(), o, null);
        if (values != null) targets.put(e.getKey(), new TargetDecl(type, o, path));
        else failedTargets.add(e.getKey());
      }
    }

    @Override
    public @Nullable Object target(String name, List<String> types, Node.Mark at, String path) {
      TargetDecl d = targets.get(name);
      if (d == null) {
        if (failedTargets.contains(name)) return null; // its own problems are reported where it is declared
        ctx.error(at, path, "no target named '" + name + "' under spec.targets" + Suggest.didYouMean(name, targets.keySet())
            + (targets.isEmpty() ? "" : " (declared: " + String.join(", ", targets.keySet()) + ")"));
        return null;
      }
      if (!types.isEmpty() && !types.contains(d.type())) {
        ctx.error(at, path, "target '" + name + "' is a " + d.type() + "; this parameter takes " + String.join(" or ", types));
        return null;
      }
      if (opened.containsKey(name)) return opened.get(name);
      if (failedTargets.contains(name)) return null;
      TargetType tt = registry.targets().get(d.type());
      Map<String, Object> values = params(tt.parameters(), d.params(), null);
      if (values == null) return null;
      try {
        Object o = tt.open(Arguments.of(d.params().mark() + " " + d.path(), values));
        opened.put(name, o);
        if (o instanceof AutoCloseable c) closeables.add(c);
        else if (o.getClass().getName().equals("dev.rollback.k8s.Kubernetes")) closeables.add(() -> K8sClose.close(o));
        return o;
      } catch (Exception | LinkageError e) {
        failedTargets.add(name);
        ctx.error(d.params().mark(), d.path(), "cannot open target '" + name + "' (" + d.type() + "): " + message(e));
        return null;
      }
    }

    void declareChecks(@Nullable Ctx.Obj spec) {
      if (spec == null) return;
      Ctx.Obj c = spec.obj("checks", false, "check names to {type: http|tcp|prometheus|alertmanager|all|any|quorum, ...}");
      if (c == null) return;
      checkDecls.putAll(c.node.entries());
      for (String name : c.node.entries().keySet()) check(name, c.node.keyMark(name), c.pathOf(name));
    }

    @Override
    public @Nullable HealthCheck check(String name, Node.Mark at, String path) {
      HealthCheck h = checks.get(name);
      if (h != null) return h;
      Node decl = checkDecls.get(name);
      if (decl == null) {
        ctx.error(at, path, "no check named '" + name + "' under spec.checks" + Suggest.didYouMean(name, checkDecls.keySet())
            + (checkDecls.isEmpty() ? "" : " (declared: " + String.join(", ", checkDecls.keySet()) + ")"));
        return null;
      }
      if (!resolving.add(name)) {
        ctx.error(at, path, "checks refer to each other in a cycle: " + String.join(" → ", resolving) + " → " + name);
        return null;
      }
      try {
        Checks.Built b = Checks.build(name, decl, "spec.checks." + name, ctx, this, (d, o) -> params(d, o, null));
        if (b == null) return null;
        checks.put(name, b.check());
        checkDescriptions.put(name, b.description());
        return b.check();
      } finally {
        resolving.remove(name);
      }
    }

    // ---------------------------------------------------------------- parameters

    /** Reads {@code params} against {@code declared}; null if any is wrong (each reported). */
    @Nullable Map<String, Object> params(List<Parameter> declared, Ctx.Obj params, @Nullable Map<String, String> written) {
      Map<String, Object> values = new LinkedHashMap<>();
      boolean ok = true;
      for (Parameter p : declared) {
        Node n = params.get(p.name());
        String path = params.pathOf(p.name());
        if (n == null) {
          if (p.isRequired()) {
            ctx.error(params.mark(), params.path, "missing parameter '" + p.name() + "': " + p.description());
            ok = false;
          } else if (p.defaultValue().isPresent()) {
            Object v = Values.read(p, new Node.Scalar(p.defaultValue().get(), true, params.mark()), path + " (default)", ctx, this);
            if (v == null) ok = false;
            else values.put(p.name(), v);
          }
          continue;
        }
        Object v = Values.read(p, n, path, ctx, this);
        if (v == null) ok = false;
        else {
          values.put(p.name(), v);
          if (written != null) written.put(p.name(), p.type() == Parameter.Type.SECRET ? "(secret)" : text(n));
        }
      }
      return ok ? values : null;
    }

    // ---------------------------------------------------------------- RollbackPlan

    @Nullable Compiled rollbackPlan(Node.MapNode root, String name, Ctx.Obj spec0) {
      Ctx.Obj spec = expandTemplate(spec0, "RollbackPlanTemplate");
      if (spec == null) return null;
      Node.MapNode document = root.with("spec", spec.node);
      spec.allow(PLAN_FIELDS);
      int before = ctx.problemCount();
      Deployment deployment = deployment(spec, name);
      Duration budget = duration(spec, "budget");
      String onFailure = spec.choice("onFailure", Set.of("HALT_AND_ASK", "CONTINUE", "ABANDON"), "HALT_AND_ASK");
      declareTargets(spec);
      declareChecks(spec);
      List<TriggerInfo> trig = triggers.all(spec);
      List<StepInfo> infos = new ArrayList<>();
      RollbackPlan.Builder b = RollbackPlan.builder(name);
      List<Node> stages = spec.list("stages", true, "the stages, in order, each with name and steps");
      Set<String> stageNames = new HashSet<>();
      if (stages != null) {
        if (stages.isEmpty()) ctx.error(spec.markOf("stages"), spec.pathOf("stages"), "a plan needs at least one stage");
        for (int i = 0; i < stages.size(); i++) {
          String sp = spec.pathOf("stages") + "[" + i + "]";
          Ctx.Obj st = ctx.asObj(stages.get(i), sp, "a stage: {name, parallel, steps}");
          if (st == null) continue;
          st.allow(STAGE_FIELDS);
          String stageName = st.string("name", true, "the stage's name");
          if (stageName != null) {
            if (stageName.isBlank() || stageName.contains("/")) {
              ctx.error(st.markOf("name"), st.pathOf("name"), "a stage name must not be blank or contain '/'");
            } else if (!stageNames.add(stageName)) {
              ctx.error(st.markOf("name"), st.pathOf("name"), "stage name '" + stageName + "' is used twice");
            }
          }
          Boolean parallel = st.has("parallel") ? Values.bool(st.get("parallel"), st.pathOf("parallel"), ctx) : Boolean.FALSE;
          List<Node> steps = st.list("steps", true, "the stage's steps");
          List<Step> built = new ArrayList<>();
          Set<String> stepNames = new HashSet<>();
          if (steps != null) {
            if (steps.isEmpty()) ctx.error(st.markOf("steps"), st.pathOf("steps"), "a stage needs at least one step");
            for (int j = 0; j < steps.size(); j++) {
              String path = st.pathOf("steps") + "[" + j + "]";
              Ctx.Obj so = ctx.asObj(steps.get(j), path, "a step: {type, params, ...}");
              if (so == null) continue;
              Step s = step(so, stageName == null ? "?" : stageName, infos, onFailure.equals("ABANDON"));
              if (s == null) continue;
              if (!stepNames.add(s.name())) {
                ctx.error(so.mark(), path, "step name '" + s.name() + "' is used twice in stage '" + stageName
                    + "'; give one of them a name: field");
                continue;
              }
              built.add(s);
            }
          }
          if (stageName != null && parallel != null && !built.isEmpty()) {
            if (parallel) b.parallel(stageName, s -> built.forEach(s::step));
            else b.sequential(stageName, s -> built.forEach(s::step));
          }
        }
      }
      Common common = common(spec, budget);
      common.applyTo(b::verifiedBy, b::withBudget, b::soakFor, b::checkingEvery, b::withCommunication);
      b.withFailurePolicy(FailurePolicy.valueOf(onFailure));
      RollbackPlan plan = build(spec, "stages", before, b::build);
      if (plan == null) return null;
      return new Compiled("RollbackPlan", name, file, document, plan, null, null, deployment, budget, infos, trig,
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(checkDescriptions)), common.journal(), closeables,
          ctx.notes, ctx.baseDir);
    }

    /** The fields a RollbackPlan and a Release share, read in this order once each kind's own are read. */
    private record Common(List<HealthCheck> verifiedBy, @Nullable Duration budget, Duration @Nullable [] soak,
        @Nullable CommunicationPlan communication, @Nullable Path journal) {
      /** Hands each field to the builder's method for it (the two builders share no interface). */
      void applyTo(java.util.function.Consumer<HealthCheck> verifiedBy, java.util.function.Consumer<Duration> withBudget,
          java.util.function.Consumer<Duration> soakFor, java.util.function.Consumer<Duration> checkingEvery,
          java.util.function.Consumer<CommunicationPlan> withCommunication) {
        this.verifiedBy.forEach(verifiedBy);
        if (budget != null) withBudget.accept(budget);
        if (soak != null) {
          soakFor.accept(soak[0]);
          if (soak[1] != null) checkingEvery.accept(soak[1]);
        }
        if (communication != null) withCommunication.accept(communication);
      }
    }

    private Common common(Ctx.Obj spec, @Nullable Duration budget) {
      List<HealthCheck> verifiedBy = checkRefs(spec, "verifiedBy");
      Duration[] soak = soak(spec);
      CommunicationPlan comm = communication(spec);
      return new Common(verifiedBy, budget, soak, comm, journal(spec));
    }

    /**
     * The built plan or release; null when the document had problems (counted since {@code before})
     * or the builder refused it, its violations then reported at {@code listField}.
     */
    private <T> @Nullable T build(Ctx.Obj spec, String listField, int before, java.util.function.Supplier<T> builder) {
      if (ctx.problemCount() > before) return null;
      try {
        return builder.get();
      } catch (PlanValidationException e) {
        for (String v : e.violations()) ctx.error(spec.markOf(listField), spec.pathOf(listField), v);
        return null;
      }
    }

    @Nullable Step step(Ctx.Obj so, String stage, List<StepInfo> infos, boolean needsUndo) {
      so.allow(STEP_FIELDS);
      int before = ctx.problemCount();
      String typeName = so.string("type", true, "one of " + registry.stepNames());
      StepType type = typeName == null ? null : stepType(typeName, so);
      String name = so.string("name", false, "the step's name in the plan");
      if (name != null && (name.isBlank() || name.contains("/"))) {
        ctx.error(so.markOf("name"), so.pathOf("name"), "a step name must not be blank or contain '/'");
      }
      String description = so.string("description", false, "the sentence reports and notifications use");
      Duration timeout = duration(so, "timeout");
      Retry retry = retry(so);
      StepInfo.Approval approval = approval(so);
      List<HealthCheck> verified = checkRefs(so, "verifiedBy");
      Boolean idempotent = so.has("idempotent") ? Values.bool(so.get("idempotent"), so.pathOf("idempotent"), ctx) : Boolean.FALSE;
      Boolean mayTerminate = so.has("mayTerminateHost")
          ? Values.bool(so.get("mayTerminateHost"), so.pathOf("mayTerminateHost"), ctx) : Boolean.FALSE;
      if (type == null) return null;
      Map<String, String> written = new LinkedHashMap<>();
      Map<String, Object> values = stepParams(type, so, written);
      if (values == null || ctx.problemCount() > before) return null;
      Step s;
      try {
        s = type.step(Arguments.of(so.mark() + " " + so.path, values));
      } catch (RuntimeException | LinkageError e) {
        ctx.error(so.markOf("params"), so.pathOf("params"), typeName + ": " + message(e));
        return null;
      }
      if (name != null) s = s.withName(name);
      if (description != null) s = s.withDescription(description);
      if (timeout != null) s = s.withTimeout(timeout);
      if (retry != null) s = s.withRetry(retry);
      if (approval != null) {
        s = s.withApproval(Gate.named(approval.gate()).withTimeout(approval.timeout())
            .withTimeoutDecision(Decision.valueOf(approval.onTimeout())));
      }
      if (!verified.isEmpty()) s = s.withVerifiedBy(verified.toArray(new HealthCheck[0]));
      if (Boolean.TRUE.equals(idempotent)) s = s.withIdempotent();
      if (Boolean.TRUE.equals(mayTerminate)) s = s.withMayTerminateHost();
      if (s.name().contains("/")) {
        ctx.error(so.mark(), so.path, "the step's name '" + s.name() + "' contains '/'; give it a name: field");
        return null;
      }
      if (needsUndo && !s.hasUndo()) {
        ctx.error(so.mark(), so.path, "step '" + s.name() + "' (" + typeName + ") has no undo, but onFailure: ABANDON undoes every"
            + " completed step");
        return null;
      }
      StepInfo.Approval info = approval;
      if (info == null && s.approval().isPresent()) {
        Gate g = s.approval().get();
        info = new StepInfo.Approval(g.name(), g.timeout(), g.onTimeout().name(),
            values.containsKey("answeredBy") ? String.valueOf(values.get("answeredBy")) : "");
      }
      infos.add(new StepInfo(stage + "/" + s.name(), typeName, type.summary(), s.describe(), written, s.timeout(),
          s.retry().maxRetries(), checkNames(so, "verifiedBy"), Optional.ofNullable(info)));
      return s;
    }

    @Nullable StepType stepType(String typeName, Ctx.Obj so) {
      StepType t = registry.steps().get(typeName);
      if (t == null) {
        ctx.error(so.markOf("type"), so.pathOf("type"), "unknown step type '" + typeName + "'"
            + Suggest.didYouMean(typeName, registry.stepNames()) + " (known: " + String.join(", ", registry.stepNames()) + ")");
      }
      return t;
    }

    @Nullable Map<String, Object> stepParams(StepType type, Ctx.Obj so, Map<String, String> written) {
      Ctx.Obj params = so.obj("params", false, "the parameters of " + type.name());
      if (params == null) {
        if (so.has("params")) return null;
        params = ctx.obj(new Node.MapNode(Map.of(), Map.of(), so.mark()), so.pathOf("params"));
      }
      List<String> known = type.parameters().stream().map(Parameter::name).toList();
      for (String k : params.node.entries().keySet()) {
        if (!known.contains(k)) {
          ctx.error(params.node.keyMark(k), params.pathOf(k), "unknown parameter '" + k + "' of " + type.name()
              + Suggest.didYouMean(k, known) + " (its parameters: " + String.join(", ", known) + ")");
        }
      }
      return params(type.parameters(), params, written);
    }

    @Nullable Retry retry(Ctx.Obj so) {
      Node n = so.get("retries");
      if (n == null) return null;
      if (n instanceof Node.Scalar) {
        Integer k = Values.integer(Parameter.optional("retries", Parameter.Type.INTEGER, "").between(0, 100), n,
            so.pathOf("retries"), ctx);
        return k == null ? null : Retry.times(k);
      }
      Ctx.Obj r = ctx.asObj(n, so.pathOf("retries"), "a number of retries or {max, delay, maxDelay}");
      if (r == null) return null;
      r.allow(RETRY_FIELDS);
      Node maxN = r.require("max", "how many more attempts");
      Integer max = maxN == null ? null : Values.integer(Parameter.optional("max", Parameter.Type.INTEGER, "").between(0, 100),
          maxN, r.pathOf("max"), ctx);
      Duration delay = duration(r, "delay");
      Duration maxDelay = duration(r, "maxDelay");
      if (max == null) return null;
      Retry retry = Retry.times(max);
      Duration d = delay != null ? delay : Duration.ofSeconds(1);
      Duration md = maxDelay != null ? maxDelay : (delay != null ? delay : Duration.ofSeconds(30));
      if (md.compareTo(d) < 0) {
        ctx.error(r.mark(), r.path, "maxDelay " + Values.formatDuration(md) + " must not be shorter than delay " + Values.formatDuration(d));
        return null;
      }
      return retry.withBackoff(d, md);
    }

    StepInfo.@Nullable Approval approval(Ctx.Obj so) {
      Ctx.Obj a = so.obj("approval", false, "{gate, timeout, onTimeout, answeredBy}");
      if (a == null) return null;
      a.allow(APPROVAL_FIELDS);
      String gate = a.string("gate", true, "the gate's name");
      Duration timeout = duration(a, "timeout");
      String onTimeout = a.choice("onTimeout", Set.of("HALT", "PROCEED"), "HALT");
      String by = a.string("answeredBy", false, "who answers it");
      if (gate == null || gate.isBlank()) return null;
      return new StepInfo.Approval(gate, timeout != null ? timeout : Gate.DEFAULT_TIMEOUT, onTimeout, by == null ? "" : by);
    }

    List<HealthCheck> checkRefs(Ctx.Obj o, String key) {
      List<HealthCheck> out = new ArrayList<>();
      List<Node> items = o.list(key, false, "names of checks declared under spec.checks");
      if (items == null) return out;
      for (int i = 0; i < items.size(); i++) {
        String path = o.pathOf(key) + "[" + i + "]";
        String n = Values.text(items.get(i), path, ctx, "the name of a check");
        if (n == null) continue;
        HealthCheck h = check(n, items.get(i).mark(), path);
        if (h != null) out.add(h);
      }
      return out;
    }

    List<String> checkNames(Ctx.Obj o, String key) {
      Node n = o.get(key);
      List<String> out = new ArrayList<>();
      if (n instanceof Node.ListNode l) for (Node i : l.items()) if (i instanceof Node.Scalar s) out.add(s.text());
      return out;
    }

    @Nullable Duration duration(Ctx.Obj o, String key) {
      Node n = o.get(key);
      return n == null ? null : Values.duration(n, o.pathOf(key), ctx);
    }

    Deployment deployment(Ctx.Obj spec, String name) {
      Ctx.Obj d = spec.obj("deployment", false, "{service, version}: the deployment being rolled back");
      String service = name;
      String version = "unspecified";
      if (d != null) {
        d.allow("service", "version");
        String s = d.string("service", false, "the service");
        String v = d.string("version", false, "the version that went out");
        if (s != null && !s.isBlank()) service = s;
        if (v != null && !v.isBlank()) version = v;
      }
      return Deployment.of(service, version);
    }

    @Nullable Path journal(Ctx.Obj spec) {
      Ctx.Obj j = spec.obj("journal", false, "{dir: where the journal's files go}");
      if (j == null) return null;
      j.allow("dir");
      String dir = j.string("dir", true, "the journal's directory");
      return dir == null ? null : ctx.baseDir.resolve(dir).normalize();
    }

    @Nullable CommunicationPlan communication(Ctx.Obj spec) {
      Ctx.Obj c = spec.obj("communication", false, "{audiences, routes, escalate, deduplicateWithin}");
      if (c == null) return null;
      c.allow(COMMUNICATION_FIELDS);
      int before = ctx.problemCount();
      CommunicationPlan.Builder b = CommunicationPlan.builder();
      Ctx.Obj aud = c.obj("audiences", true, "audience names to lists of notification targets");
      Set<String> audiences = new LinkedHashSet<>();
      if (aud != null) {
        for (Map.Entry<String, Node> e : aud.node.entries().entrySet()) {
          String path = aud.pathOf(e.getKey());
          if (!(e.getValue() instanceof Node.ListNode l)) {
            ctx.error(e.getValue().mark(), path, "must be a list of notification targets, not " + Node.describe(e.getValue()));
            continue;
          }
          List<Notifier> ns = new ArrayList<>();
          for (int i = 0; i < l.items().size(); i++) {
            String ip = path + "[" + i + "]";
            String t = Values.text(l.items().get(i), ip, ctx, "a target name");
            if (t == null) continue;
            Object o = target(t, List.of("slack", "pagerduty", "webhook", "email"), l.items().get(i).mark(), ip);
            if (o instanceof Notifier n) ns.add(n);
          }
          audiences.add(e.getKey());
          b.audience(e.getKey(), ns.toArray(new Notifier[0]));
        }
      }
      Ctx.Obj routes = c.obj("routes", true, "notification kinds (or all) to audiences");
      Set<String> kinds = new LinkedHashSet<>();
      for (NotificationKind k : NotificationKind.values()) kinds.add(k.name());
      kinds.add("all");
      if (routes != null) {
        for (Map.Entry<String, Node> e : routes.node.entries().entrySet()) {
          String path = routes.pathOf(e.getKey());
          if (!kinds.contains(e.getKey())) {
            ctx.error(routes.node.keyMark(e.getKey()), path, "unknown notification kind '" + e.getKey() + "'"
                + Suggest.didYouMean(e.getKey(), kinds) + " (known: " + String.join(", ", kinds) + ")");
            continue;
          }
          List<String> to = names(e.getValue(), path, audiences, "audience");
          for (String a : to) {
            if (e.getKey().equals("all")) b.routeAll(a);
            else b.route(NotificationKind.valueOf(e.getKey()), a);
          }
        }
      }
      List<Node> esc = c.list("escalate", false, "[{from, after, to}]");
      if (esc != null) {
        for (int i = 0; i < esc.size(); i++) {
          Ctx.Obj e = ctx.asObj(esc.get(i), c.pathOf("escalate") + "[" + i + "]", "{from, after, to}");
          if (e == null) continue;
          e.allow("from", "after", "to");
          String from = e.string("from", true, "the audience paged first");
          String to = e.string("to", true, "the audience told next");
          Duration after = duration(e, "after");
          if (after == null && !e.has("after")) ctx.error(e.mark(), e.path, "missing field 'after': how long to wait for an acknowledgement");
          for (String a : new String[] {from, to}) {
            if (a != null && !audiences.contains(a)) {
              ctx.error(e.mark(), e.path, "no audience named '" + a + "'" + Suggest.didYouMean(a, audiences));
            }
          }
          if (from != null && to != null && after != null && audiences.contains(from) && audiences.contains(to)) {
            try {
              b.escalate(from, after, to);
            } catch (IllegalArgumentException x) {
              ctx.error(e.mark(), e.path, x.getMessage());
            }
          }
        }
      }
      Duration dedup = duration(c, "deduplicateWithin");
      if (dedup != null) b.deduplicateWithin(dedup);
      return ctx.problemCount() > before ? null : b.build();
    }

    List<String> names(Node n, String path, Set<String> known, String what) {
      List<String> out = new ArrayList<>();
      if (!(n instanceof Node.ListNode l)) {
        ctx.error(n.mark(), path, "must be a list of " + what + " names, not " + Node.describe(n));
        return out;
      }
      for (int i = 0; i < l.items().size(); i++) {
        String t = Values.text(l.items().get(i), path + "[" + i + "]", ctx, "a name");
        if (t == null) continue;
        if (!known.contains(t)) {
          ctx.error(l.items().get(i).mark(), path + "[" + i + "]", "no " + what + " named '" + t + "'" + Suggest.didYouMean(t, known));
        } else {
          out.add(t);
        }
      }
      return out;
    }

    // ---------------------------------------------------------------- Release

    @Nullable Compiled release(Node.MapNode root, String name, Ctx.Obj spec0) {
      Ctx.Obj spec = expandTemplate(spec0, "ReleaseTemplate");
      if (spec == null) return null;
      Node.MapNode document = root.with("spec", spec.node);
      spec.allow(RELEASE_FIELDS);
      int before = ctx.problemCount();
      Deployment deployment = deployment(spec, name);
      Duration budget = duration(spec, "budget");
      String onRevertFailure = spec.choice("onRevertFailure", Set.of("HALT_AND_ASK", "CONTINUE"), "HALT_AND_ASK");
      declareTargets(spec);
      declareChecks(spec);
      List<TriggerInfo> trig = triggers.all(spec);
      Release.Builder b = Release.builder(name).forDeployment(deployment);
      trig.forEach(t -> b.trigger(t.trigger()));
      List<StepInfo> infos = new ArrayList<>();
      List<Node> changes = spec.list("changes", true, "the changes, health gates and bakes, in order");
      Set<String> names = new HashSet<>();
      if (changes != null) {
        for (int i = 0; i < changes.size(); i++) {
          String path = spec.pathOf("changes") + "[" + i + "]";
          Ctx.Obj co = ctx.asObj(changes.get(i), path, "a change {type, params}, {healthGate: ...} or {bake: ...}");
          if (co == null) continue;
          element(co, b, infos, names);
        }
      }
      Common common = common(spec, budget);
      common.applyTo(b::verifiedBy, b::withBudget, b::soakFor, b::checkingEvery, b::withCommunication);
      b.withRevertFailurePolicy(FailurePolicy.valueOf(onRevertFailure));
      Release release = build(spec, "changes", before, b::build);
      if (release == null) return null;
      return new Compiled("Release", name, file, document, null, release, null, deployment, budget, infos, trig,
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(checkDescriptions)), common.journal(), closeables,
          ctx.notes, ctx.baseDir);
    }

    /** {@code soak: {window, every}}: the window and the interval (null when not given); null without a soak. */
    Duration @Nullable [] soak(Ctx.Obj spec) {
      if (!spec.has("soak")) return null;
      Ctx.Obj so = spec.obj("soak", false, "{window, every}: how long recovery is watched after the rollback");
      if (so == null) return null;
      so.allow(SOAK_FIELDS);
      if (!so.has("window")) {
        so.require("window", "how long recovery is watched after the rollback");
        return null;
      }
      Duration window = duration(so, "window");
      Duration every = duration(so, "every");
      if (window == null) return null;
      return new Duration[] {window, every};
    }

    void element(Ctx.Obj co, Release.Builder b, List<StepInfo> infos, Set<String> names) {
      if (co.has("healthGate")) {
        co.allow("healthGate");
        Ctx.Obj g = co.obj("healthGate", true, "{check, within, every}");
        if (g == null) return;
        g.allow("check", "within", "every");
        String check = g.string("check", true, "the check that must be UP");
        Duration within = duration(g, "within");
        Duration every = duration(g, "every");
        HealthCheck h = check == null ? null : check(check, g.markOf("check"), g.pathOf("check"));
        if (h == null) return;
        b.healthGate(h);
        if (within != null) b.within(within);
        if (every != null) b.checkingEvery(every);
        return;
      }
      if (co.has("bake")) {
        co.allow("bake");
        Ctx.Obj g = co.obj("bake", true, "{duration, every}");
        if (g == null) return;
        g.allow("duration", "every");
        Duration d = g.has("duration") ? duration(g, "duration") : null;
        if (!g.has("duration")) g.require("duration", "how long to watch the triggers");
        Duration every = duration(g, "every");
        if (d == null) return;
        b.bakeFor(d);
        if (every != null) b.checkingEvery(every);
        return;
      }
      co.allow(CHANGE_FIELDS);
      int before = ctx.problemCount();
      String typeName = co.string("type", true, "a step type with a release change, or use healthGate: or bake:");
      String name = co.string("name", false, "the change's name");
      String description = co.string("description", false, "the sentence for its apply step");
      String notRevertible = co.string("notSafelyRevertible", false,
          "why reverting this change is worse than keeping it (the release freezes instead)");
      if (notRevertible != null && notRevertible.isBlank()) {
        ctx.error(co.markOf("notSafelyRevertible"), co.pathOf("notSafelyRevertible"),
            "say why the change is not safely revertible (the text is shown at the freeze gate and in the reports)");
        return;
      }
      Duration timeout = duration(co, "timeout");
      Retry retry = retry(co);
      StepType type = typeName == null ? null : stepType(typeName, co);
      if (type == null) return;
      if (!type.hasChange()) {
        List<String> withChange = registry.steps().values().stream().filter(StepType::hasChange).map(StepType::name).toList();
        ctx.error(co.markOf("type"), co.pathOf("type"), typeName + " has no release change (it belongs in a RollbackPlan); types"
            + " with one: " + String.join(", ", withChange));
        return;
      }
      Map<String, String> written = new LinkedHashMap<>();
      Map<String, Object> values = stepParams(type, co, written);
      if (values == null || ctx.problemCount() > before) return;
      Change c;
      try {
        c = type.change(Arguments.of(co.mark() + " " + co.path, values));
      } catch (RuntimeException | LinkageError e) {
        ctx.error(co.markOf("params"), co.pathOf("params"), typeName + ": " + message(e));
        return;
      }
      if (name != null) {
        Change renamed = Change.of(name, c.apply(), c.revert());
        c = c.knownGoodCapture().isPresent() ? renamed.capturingKnownGood(c.knownGoodCapture().get()) : renamed;
      }
      Step apply = c.apply();
      if (description != null) apply = apply.withDescription(description);
      if (timeout != null) apply = apply.withTimeout(timeout);
      if (retry != null) apply = apply.withRetry(retry);
      c = c.withApply(apply);
      if (notRevertible != null) c = c.notSafelyRevertible(notRevertible);
      if (c.name().contains("/")) {
        ctx.error(co.mark(), co.path, "the change's name '" + c.name() + "' contains '/'; give it a name: field");
        return;
      }
      if (!names.add(c.name())) {
        ctx.error(co.mark(), co.path, "change name '" + c.name() + "' is used twice; give one of them a name: field");
        return;
      }
      b.change(c);
      infos.add(new StepInfo(c.name(), typeName, type.summary(), apply.describe(), written, apply.timeout(),
          apply.retry().maxRetries(), List.of(), Optional.empty()));
      infos.add(new StepInfo(c.name() + "/revert", typeName, "revert", c.revert().describe(), Map.of(), c.revert().timeout(),
          c.revert().retry().maxRetries(), List.of(), Optional.empty()));
    }

    // ---------------------------------------------------------------- Fleet

    @Nullable Compiled fleet(Node.MapNode root, String name, Ctx.Obj spec) {
      spec.allow(FLEET_FIELDS);
      int before = ctx.problemCount();
      Duration budget = duration(spec, "budget");
      String onFailure = spec.choice("onFailure", Set.of("HALT_AND_ASK", "CONTINUE"), "HALT_AND_ASK");
      Path journal = journal(spec);
      List<Node> services = spec.list("services", true, "the services, each {name, plan: {file} or template, dependsOn}");
      List<Compiled.Service> out = new ArrayList<>();
      Map<String, Node.Mark> seen = new LinkedHashMap<>();
      Map<String, String> pathOf = new HashMap<>();
      List<Ctx.Obj> objs = new ArrayList<>();
      if (services != null) {
        if (services.isEmpty()) ctx.error(spec.markOf("services"), spec.pathOf("services"), "a fleet needs at least one service");
        for (int i = 0; i < services.size(); i++) {
          String path = spec.pathOf("services") + "[" + i + "]";
          Ctx.Obj so = ctx.asObj(services.get(i), path, "{name, plan or template, dependsOn}");
          if (so == null) continue;
          so.allow(SERVICE_FIELDS);
          String sn = so.string("name", true, "the service's name");
          if (sn != null) {
            if (!NAME.matcher(sn).matches()) {
              ctx.error(so.markOf("name"), so.pathOf("name"), "must be lower-case letters, digits, '-', '.' or '_', not '" + sn + "'");
            } else if (seen.containsKey(sn)) {
              ctx.error(so.markOf("name"), so.pathOf("name"), "service '" + sn + "' is listed twice (first at line "
                  + seen.get(sn).line() + ")");
            } else {
              seen.put(sn, so.markOf("name"));
              pathOf.put(sn, path);
            }
          }
          objs.add(so);
        }
        for (Ctx.Obj so : objs) {
          String sn = so.string("name", false, "");
          List<String> deps = new ArrayList<>();
          Node dn = so.get("dependsOn");
          if (dn != null) deps = names(dn, so.pathOf("dependsOn"), seen.keySet(), "service");
          if (deps.contains(sn)) ctx.error(so.markOf("dependsOn"), so.pathOf("dependsOn"), "service '" + sn + "' depends on itself");
          Compiled plan = servicePlan(so, sn == null ? "service" : sn);
          if (sn != null && plan != null) {
            out.add(new Compiled.Service(sn, plan, deps, so.has("plan") ? "plan" : "template"));
          }
        }
        if (ctx.problemCount() == before) {
          List<String> cycle = FleetOrder.cycle(out);
          if (!cycle.isEmpty()) {
            ctx.error(seen.get(cycle.get(0)), pathOf.get(cycle.get(0)) + ".dependsOn",
                "the services depend on each other in a cycle: " + String.join(" → ", cycle));
          }
        }
      }
      if (ctx.problemCount() > before) return null;
      return new Compiled("Fleet", name, file, root, null, null, new Compiled.FleetSpec(out, budget, onFailure), null, budget,
          List.of(), List.of(), Map.of(), journal, closeables, ctx.notes, ctx.baseDir);
    }

    @Nullable Compiled servicePlan(Ctx.Obj so, String service) {
      boolean plan = so.has("plan");
      boolean template = so.has("template");
      if (plan == template) {
        ctx.error(so.mark(), so.path, "give exactly one of plan: {file: ...} and template: {file: ..., parameters: ...}");
        return null;
      }
      if (plan) {
        Ctx.Obj p = so.obj("plan", true, "{file: the service's plan file}");
        if (p == null) return null;
        p.allow("file");
        String f = p.string("file", true, "the service's plan file, relative to this file");
        if (f == null) return null;
        Compiled c = load(ctx.baseDir.resolve(f), ctx.problems);
        if (c != null && !c.kind().equals("RollbackPlan")) {
          ctx.error(p.markOf("file"), p.pathOf("file"), f + " is a " + c.kind() + "; a fleet's services roll back with a RollbackPlan");
          return null;
        }
        return c;
      }
      Node.MapNode synthetic = new Node.MapNode(Map.of("apiVersion", new Node.Scalar(API_VERSION, true, so.mark()),
          "kind", new Node.Scalar("RollbackPlan", true, so.mark()),
          "metadata", new Node.MapNode(Map.of("name", new Node.Scalar(service, true, so.mark())), Map.of(), so.mark()),
          "spec", new Node.MapNode(Map.of("template", so.get("template")), Map.of("template", so.markOf("template")),
              so.mark())), Map.of(), so.mark());
      return compileNested(synthetic);
    }

    @Nullable Compiled compileNested(Node.MapNode root) {
      return compile(root, file, ctx.baseDir, ctx.problems);
    }

    // ---------------------------------------------------------------- templates and target files

    @Nullable Compiled templateOnly(Node.MapNode root, String kind, String name, Ctx.Obj spec) {
      spec.allow(TEMPLATE_FIELDS);
      templateParameters(spec);
      spec.obj("template", true, "the " + kind.replace("Template", "") + " spec, with ${parameter} placeholders");
      return new Compiled(kind, name, file, root, null, null, null, null, null, List.of(), List.of(), Map.of(), null, List.of(),
          ctx.notes, ctx.baseDir);
    }

    @Nullable Compiled targetsOnly(Node.MapNode root, String name, Ctx.Obj spec) {
      spec.allow("targets");
      declareTargets(spec);
      return new Compiled("Targets", name, file, root, null, null, null, null, null, List.of(), List.of(), Map.of(), null,
          closeables, ctx.notes, ctx.baseDir);
    }

    Map<String, Optional<String>> templateParameters(Ctx.Obj spec) {
      Map<String, Optional<String>> out = new LinkedHashMap<>();
      List<Node> ps = spec.list("parameters", false, "[{name, default, description}]");
      if (ps == null) return out;
      for (int i = 0; i < ps.size(); i++) {
        Ctx.Obj p = ctx.asObj(ps.get(i), spec.pathOf("parameters") + "[" + i + "]", "{name, default, description}");
        if (p == null) continue;
        p.allow(TEMPLATE_PARAMETER_FIELDS);
        String n = p.string("name", true, "the parameter's name");
        String d = p.string("default", false, "its default");
        p.string("description", false, "what it is");
        if (n != null) out.put(n, Optional.ofNullable(d));
      }
      return out;
    }

    /** The spec of a plan that uses a template: the template's spec filled in, overridden by the plan's own fields. */
    @Nullable Ctx.Obj expandTemplate(Ctx.Obj spec, String templateKind) {
      Ctx.Obj use = spec.obj("template", false, "{file, parameters}");
      if (use == null) return spec.has("template") ? null : spec;
      use.allow(TEMPLATE_USE_FIELDS);
      String f = use.string("file", true, "the template file, relative to this file");
      if (f == null) return null;
      Path tf = ctx.baseDir.resolve(f).normalize();
      String text;
      try {
        text = Files.readString(tf, StandardCharsets.UTF_8);
      } catch (IOException e) {
        ctx.error(use.markOf("file"), use.pathOf("file"), "cannot read the template " + tf + ": " + e);
        return null;
      }
      YamlReader.Parsed parsed = YamlReader.parse(text, tf.toString());
      ctx.problems.addAll(parsed.problems());
      if (parsed.root().isEmpty()) return null;
      int before = ctx.problemCount();
      Ctx.Obj troot = ctx.asObj(parsed.root().get(), "", "a " + templateKind + " document");
      if (troot == null) return null;
      troot.allow(ROOT_FIELDS);
      String kind = troot.string("kind", true, templateKind);
      if (kind != null && !kind.equals(templateKind)) {
        ctx.error(use.markOf("file"), use.pathOf("file"), tf.getFileName() + " is a " + kind + ", not a " + templateKind);
        return null;
      }
      Ctx.Obj tspec = troot.obj("spec", true, "{parameters, template}");
      if (tspec == null) return null;
      tspec.allow(TEMPLATE_FIELDS);
      Map<String, Optional<String>> declared = templateParameters(tspec);
      Ctx.Obj body = tspec.obj("template", true, "the spec with ${parameter} placeholders");
      Map<String, String> given = new LinkedHashMap<>();
      Ctx.Obj gp = use.obj("parameters", false, "parameter names to values");
      if (gp != null) {
        for (Map.Entry<String, Node> e : gp.node.entries().entrySet()) {
          if (!declared.containsKey(e.getKey())) {
            ctx.error(gp.node.keyMark(e.getKey()), gp.pathOf(e.getKey()), "the template " + tf.getFileName() + " has no parameter '"
                + e.getKey() + "'" + Suggest.didYouMean(e.getKey(), declared.keySet()) + " (its parameters: "
                + String.join(", ", declared.keySet()) + ")");
            continue;
          }
          String v = Values.text(e.getValue(), gp.pathOf(e.getKey()), ctx, "text");
          if (v != null) given.put(e.getKey(), v);
        }
      }
      for (Map.Entry<String, Optional<String>> d : declared.entrySet()) {
        if (!given.containsKey(d.getKey())) {
          if (d.getValue().isPresent()) given.put(d.getKey(), d.getValue().get());
          else ctx.error(use.mark(), use.pathOf("parameters"), "missing template parameter '" + d.getKey() + "' of "
              + tf.getFileName());
        }
      }
      if (body == null || ctx.problemCount() > before) return null;
      Node filled = substitute(body.node, "spec", given);
      if (ctx.problemCount() > before) return null;
      Node.MapNode merged = (Node.MapNode) filled;
      for (Map.Entry<String, Node> e : spec.node.entries().entrySet()) {
        if (!e.getKey().equals("template")) merged = merged.with(e.getKey(), e.getValue());
      }
      return ctx.obj(merged, spec.path);
    }

    Node substitute(Node n, String path, Map<String, String> values) {
      if (n instanceof Node.Scalar s) {
        Matcher m = PLACEHOLDER.matcher(s.text());
        if (!m.find()) return s;
        m.reset();
        StringBuilder out = new StringBuilder();
        while (m.find()) {
          String v = values.get(m.group(1));
          if (v == null) {
            ctx.error(s.mark(), path, "unknown template parameter ${" + m.group(1) + "}" + Suggest.didYouMean(m.group(1), values.keySet()));
            v = m.group(0);
          }
          m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return new Node.Scalar(out.toString(), s.plain(), s.mark());
      }
      if (n instanceof Node.ListNode l) {
        List<Node> items = new ArrayList<>();
        for (int i = 0; i < l.items().size(); i++) items.add(substitute(l.items().get(i), path + "[" + i + "]", values));
        return new Node.ListNode(items, l.mark());
      }
      Node.MapNode m = (Node.MapNode) n;
      Map<String, Node> e = new LinkedHashMap<>();
      m.entries().forEach((k, v) -> e.put(k, substitute(v, Ctx.child(path, k), values)));
      return new Node.MapNode(e, m.keys(), m.mark());
    }
  }

  /** A parameter's value as written, on one line: {@code {blue: 100, green: 0}}, {@code [50, 10, 0]}. */
  static String text(Node n) {
    if (n instanceof Node.Scalar s) return s.text();
    StringBuilder b = new StringBuilder();
    if (n instanceof Node.ListNode l) {
      b.append('[');
      for (int i = 0; i < l.items().size(); i++) b.append(i == 0 ? "" : ", ").append(text(l.items().get(i)));
      return b.append(']').toString();
    }
    b.append('{');
    boolean first = true;
    for (Map.Entry<String, Node> e : ((Node.MapNode) n).entries().entrySet()) {
      b.append(first ? "" : ", ").append(e.getKey()).append(": ").append(text(e.getValue()));
      first = false;
    }
    return b.append('}').toString();
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
