package dev.rollback.cli.internal;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.DryRun;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.WorstCase;
import dev.rollback.cli.Fleet;
import dev.rollback.cli.PlanFile;
import dev.rollback.cli.PlanFileException;
import dev.rollback.cli.Plans;
import dev.rollback.cli.Problem;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.RunHistory;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.ReportFormat;
import dev.rollback.report.RunReport;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code rollback} command. Exit codes: {@link Exit}. */
@Command(name = "rollback", mixinStandardHelpOptions = true, version = "rollback 0.1.0-SNAPSHOT",
    description = "Validate, outline, run, resume and report rollback plans written as files; roll back fleets.",
    subcommands = {Main.Validate.class, Main.PlanCmd.class, Main.Run.class, Main.Resume.class, Main.Status.class,
        Main.History.class, Main.Answer.class, Main.Ack.class, Main.Report.class, Main.RunbookCmd.class, Main.Drill.class,
        Main.Capture.class, Main.Types.class, Main.Schema.class, Main.Completion.class, Main.WarmUp.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success; a release went out with no rollback; a drill recovered within its budget",
        "1:error outside the plan (state or journal unusable, an unexpected failure)",
        "2:usage or validation error (bad options, a plan file with problems)",
        "3:rolled back and recovered", "4:not recovered (verification failed, or abandoned)",
        "5:halted, waiting for a human at a gate (resume it)", "6:cancelled (resume it)",
        "7:over budget (the plan's worst case, or the drill's time to recover)"})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    if (TypeIndex.absent("simplelogger.properties")) {
      // slf4j-simple looks for its configuration file through the context class loader: on this
      // class path it is known to be missing, and looking for it would open every jar
      Thread t = Thread.currentThread();
      ClassLoader context = t.getContextClassLoader();
      t.setContextClassLoader(ClassLoader.getPlatformClassLoader());
      try {
        org.slf4j.LoggerFactory.getILoggerFactory();
      } finally {
        t.setContextClassLoader(context);
      }
    }
    // log lines go to System.err: through the same redactor as the command's own output
    PrintStream err = RedactingStream.wrap(System.err, () -> Context.redactor);
    System.setErr(err);
    System.exit(run(args, RedactingStream.wrap(System.out, () -> Context.redactor), err));
  }

  /** Runs the command line in this JVM; returns the exit code. */
  public static int run(String[] arguments, PrintStream rawOut, PrintStream rawErr) {
    Timing.mark("main");
    String[] args = arguments;
    Context.redactor = dev.rollback.spi.Redactor.none();
    PrintStream out = RedactingStream.wrap(rawOut, () -> Context.redactor);
    PrintStream err = RedactingStream.wrap(rawErr, () -> Context.redactor);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    // only the command asked for is introspected (picocli reflects over every class it is given)
    java.util.function.Supplier<Object> sub = args.length == 0 ? null : SUBCOMMANDS.get(args[0]);
    if (sub != null) Preload.start();
    Context.out = out;
    Context.err = err;
    Callable<Integer> plain = plainFiles(args);
    if (plain != null) {
      Timing.mark("command line");
      try {
        return plain.call();
      } catch (Exception e) {
        return failed(e, err);
      } finally {
        out.flush();
        err.flush();
        Timing.mark("done");
      }
    }
    CommandLine cl = sub == null ? commandLine() : new CommandLine(sub.get()).setCaseInsensitiveEnumValuesAllowed(true);
    if (sub != null) {
      cl.setCommandName("rollback " + args[0]);
      args = java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExecutionExceptionHandler((ex, cmd, parse) -> failed(ex, err));
    Timing.mark("command line");
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
      Timing.mark("done");
    }
  }

  /** The exit code of a command that threw {@code ex}, after saying why on {@code err}. */
  private static int failed(Exception ex, PrintStream err) {
    if (ex instanceof PlanFileException p) {
      for (Problem pr : p.problems()) err.println(pr);
      return Exit.INVALID;
    }
    if (ex instanceof IllegalArgumentException) {
      err.println("rollback: " + ex.getMessage());
      return Exit.INVALID;
    }
    boolean ours = ex instanceof dev.rollback.RollbackException || ex instanceof IllegalStateException
        || ex instanceof UncheckedIOException;
    err.println("rollback: " + (ours && ex.getMessage() != null ? ex.getMessage() : ex.toString()));
    if (ex instanceof dev.rollback.PlanChangedException) err.println("(rollback resume --force continues with the changed plan)");
    if (System.getenv("ROLLBACK_DEBUG") != null) ex.printStackTrace(err);
    return Exit.ERROR;
  }

  /**
   * {@code validate FILE...} and {@code plan FILE} with nothing but file names, ready to call
   * without picocli, whose model of a command, built by reflection over its annotations, costs
   * more of a start than checking a 200-step plan; null for anything else (options, help, a
   * missing or extra file, an {@code @file} of arguments), which picocli parses as always.
   */
  static @org.jspecify.annotations.Nullable Callable<Integer> plainFiles(String[] args) {
    if (args.length < 2 || !(args[0].equals("validate") || args[0].equals("plan") && args.length == 2)) return null;
    List<Path> files = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.isEmpty() || a.startsWith("-") || a.startsWith("@") || a.indexOf('\0') >= 0) return null;
      files.add(Path.of(a));
    }
    Common common = Common.defaults();
    if (args[0].equals("plan")) {
      PlanCmd p = new PlanCmd();
      p.common = common;
      p.file = files.get(0);
      return p;
    }
    Validate v = new Validate();
    v.common = common;
    v.files = files;
    return v;
  }

  /** The commands, by name, for starting only the one asked for. */
  private static final Map<String, java.util.function.Supplier<Object>> SUBCOMMANDS = Map.ofEntries(
      Map.entry("validate", Validate::new), Map.entry("plan", PlanCmd::new), Map.entry("run", Run::new),
      Map.entry("resume", Resume::new), Map.entry("status", Status::new), Map.entry("history", History::new),
      Map.entry("answer", Answer::new), Map.entry("ack", Ack::new), Map.entry("report", Report::new),
      Map.entry("runbook", RunbookCmd::new), Map.entry("drill", Drill::new), Map.entry("capture", Capture::new),
      Map.entry("types", Types::new), Map.entry("schema", Schema::new), Map.entry("warm-up", WarmUp::new));

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /** The streams of this invocation (tests run the command in-process). */
  static final class Context {
    static PrintStream out = System.out;
    static PrintStream err = System.err;
    /** Hides the secrets of the plan files this invocation loaded; every line printed passes it. */
    static volatile dev.rollback.spi.Redactor redactor = dev.rollback.spi.Redactor.none();

    /** Adds {@code pf}'s secrets to what the output hides; returns {@code pf}. */
    static PlanFile hiding(PlanFile pf) {
      redactor = redactor.and(pf.redactor());
      return pf;
    }
  }

  enum Format { text, json }

  /** Options every command takes. */
  static final class Common {
    static final String STATE_DIR_ENV = "ROLLBACK_STATE_DIR";
    static final String DEFAULT_STATE_DIR = ".rollback";
    static final String JOURNAL_ENV = "ROLLBACK_JOURNAL";

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:" + STATE_DIR_ENV + ":-" + DEFAULT_STATE_DIR + "}",
        description = "Where journal, inbox and run copies live (default: ${DEFAULT-VALUE}; env ROLLBACK_STATE_DIR).")
    Path stateDir;

    @Option(names = "--journal", paramLabel = "DIR", defaultValue = "${env:" + JOURNAL_ENV + "}",
        description = "The journal directory (default: the plan's spec.journal.dir, else STATE_DIR/journal; env ROLLBACK_JOURNAL).")
    Path journal;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    Format output;

    /** The options as picocli sets them when none is given: for a command run without picocli. */
    static Common defaults() {
      Common c = new Common();
      String stateDir = System.getenv(STATE_DIR_ENV);
      c.stateDir = Path.of(stateDir == null ? DEFAULT_STATE_DIR : stateDir);
      String journal = System.getenv(JOURNAL_ENV);
      c.journal = journal == null ? null : Path.of(journal);
      c.output = Format.text;
      return c;
    }

    Out out() {
      return new Out(Context.out, Context.err, output == Format.json);
    }

    State state() {
      return new State(stateDir);
    }

    /** The journal directory: the option, else the run's recorded one, else the plan's, else the state's default. */
    Path journalDir(Optional<String> runId, Optional<Path> fromPlan) {
      if (journal != null) return journal;
      if (runId.isPresent()) {
        Optional<Path> recorded = state().recordedJournal(runId.get());
        if (recorded.isPresent()) return recorded.get();
      }
      return fromPlan.orElse(state().defaultJournal());
    }
  }

  // ------------------------------------------------------------------ helpers

  static PlanFile loadForLook(Path file) {
    return Plans.loader().withoutSecrets().load(file);
  }

  static String newRunId(String name) {
    String base = name.length() > 80 ? name.substring(0, 80) : name;
    byte[] rnd = new byte[2];
    ThreadLocalRandom.current().nextBytes(rnd);
    return base + "-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()) + "-"
        + HexFormat.of().formatHex(rnd);
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static String dur(Duration d) {
    return ReportFormat.duration(d);
  }

  /** Keeps a copy of what a run was started with, so that resume needs nothing else. */
  static void storeRun(State state, String runId, PlanFile pf, Path journalDir) {
    try {
      Path d = state.runDir(runId);
      Files.createDirectories(d);
      Files.writeString(d.resolve("journal"), journalDir.toAbsolutePath().normalize() + "\n", StandardCharsets.UTF_8);
      if (pf.kind().equals("Fleet")) {
        Files.createDirectories(d.resolve("services"));
        Node.MapNode root = parse(pf.toYaml());
        Node.MapNode spec = (Node.MapNode) root.get("spec");
        List<Node> services = new ArrayList<>();
        for (Fleet.Service s : pf.fleet().services()) {
          Files.writeString(d.resolve("services").resolve(s.name() + ".yaml"), anchored(s.plan()), StandardCharsets.UTF_8);
          Node.MapNode svc = Node.map().with("name", Node.scalar(s.name()))
              .with("plan", Node.map().with("file", Node.scalar("services/" + s.name() + ".yaml")));
          if (!s.dependsOn().isEmpty()) svc = svc.with("dependsOn", Node.list(s.dependsOn().stream().map(x -> (Node) Node.scalar(x)).toList()));
          services.add(svc);
        }
        root = root.with("spec", spec.with("services", Node.list(services)));
        Files.writeString(d.resolve("plan.yaml"), Writer.yaml(root), StandardCharsets.UTF_8);
      } else {
        Files.writeString(d.resolve("plan.yaml"), anchored(pf), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep a copy of the plan of run " + runId + " in " + state.dir() + ": " + e.getMessage(), e);
    }
  }

  private static Node.MapNode parse(String yaml) {
    return (Node.MapNode) YamlReader.parse(yaml, "copy").root().orElseThrow();
  }

  /** The plan's YAML with its base directory written in its metadata, so that a copy elsewhere resolves paths as the original. */
  private static String anchored(PlanFile pf) {
    Node.MapNode root = parse(pf.toYaml());
    Node.MapNode meta = (Node.MapNode) root.get("metadata");
    Node.MapNode ann = meta.get("annotations") instanceof Node.MapNode a ? a : Node.map();
    if (ann.get(Compiler.BASE_DIR_ANNOTATION) == null) {
      ann = ann.with(Compiler.BASE_DIR_ANNOTATION, Node.scalar(pf.baseDirectory().toAbsolutePath().normalize().toString()));
    }
    return Writer.yaml(root.with("metadata", meta.with("annotations", ann)));
  }

  static Map<String, Object> resultJson(RollbackResult r, Journal journal) {
    Map<String, Object> steps = new LinkedHashMap<>();
    r.steps().forEach((k, v) -> steps.put(k, Runner.words(v)));
    Map<String, Object> m = map("run", r.runId(), "plan", r.plan(), "deployment", r.deployment().id(), "mode",
        r.mode().name(), "outcome", r.outcome().name(), "exitCode", Exit.of(r.outcome()), "elapsed", dur(r.elapsed()),
        "summary", r.summary(), "steps", steps);
    r.haltedAt().ifPresent(g -> m.put("haltedAt", gateJson(g)));
    List<Map<String, Object>> children = children(journal, r.runId());
    if (!children.isEmpty()) m.put("services", children);
    return m;
  }

  static Map<String, Object> gateJson(GateRequest g) {
    return map("id", g.id(), "gate", g.gate(), "kind", g.kind().name(), "step", g.stepPath(), "question", g.question(),
        "options", g.options().stream().map(Enum::name).toList(), "deadline", g.deadline().toString(), "onTimeout",
        g.onTimeout().name());
  }

  /** The child runs of a fleet run: {@code <run>.<service>}. */
  static List<Map<String, Object>> children(Journal journal, String runId) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String id : journal.runIds()) {
      if (!id.startsWith(runId + ".")) continue;
      RunHistory h = RunHistory.of(journal.read(id));
      out.add(map("service", id.substring(runId.length() + 1), "run", id, "plan", h.plan(), "state",
          h.outcome().orElse(h.isStarted() ? "RUNNING" : "CREATED"), "summary", h.summary()));
    }
    return out;
  }

  static String resultText(RollbackResult r, Journal journal) {
    StringBuilder b = new StringBuilder();
    b.append(r.outcome()).append(": ").append(r.summary()).append('\n');
    b.append("run ").append(r.runId()).append(" of '").append(r.plan()).append("' for ").append(r.deployment()).append(" in ")
        .append(dur(r.elapsed())).append('\n');
    r.steps().forEach((k, v) -> b.append("  ").append(k).append(": ").append(Runner.words(v)).append('\n'));
    for (Map<String, Object> c : children(journal, r.runId())) {
      b.append("  service ").append(c.get("service")).append(": ").append(c.get("state")).append(" (run ").append(c.get("run"))
          .append(")\n");
    }
    r.haltedAt().ifPresent(g -> b.append("halted at gate ").append(g.id()).append(": ").append(g.question())
        .append("\nresume with: rollback resume ").append(r.runId()).append('\n'));
    return b.toString();
  }

  // ------------------------------------------------------------------ validate

  @Command(name = "validate", mixinStandardHelpOptions = true, description = "Check plan files: every problem with file, line, column and path.")
  static final class Validate implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Plan files (YAML or JSON).") List<Path> files;
    @Option(names = "--secrets", description = "Also require every secret to be readable.") boolean secrets;

    @Override public Integer call() {
      Out out = common.out();
      List<Map<String, Object>> results = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      boolean ok = true;
      for (Path f : files) {
        try (PlanFile pf = Context.hiding(secrets ? Plans.load(f) : loadForLook(f))) {
          String what = pf.kind() + " " + pf.name() + (pf.fingerprint().isEmpty() ? "" : ", fingerprint " + pf.fingerprint());
          results.add(map("file", f.toString(), "valid", true, "kind", pf.kind(), "name", pf.name(), "fingerprint", pf.fingerprint(),
              "notes", pf.notes()));
          text.append(f).append(": valid (").append(what).append(")\n");
          pf.notes().forEach(n -> text.append("  note: ").append(n).append('\n'));
        } catch (PlanFileException e) {
          ok = false;
          List<Map<String, Object>> ps = new ArrayList<>();
          for (Problem p : e.problems()) {
            ps.add(map("file", p.file(), "line", p.line(), "column", p.column(), "path", p.path(), "message", p.message()));
            text.append(p).append('\n');
          }
          results.add(map("file", f.toString(), "valid", false, "problems", ps));
        }
      }
      out.result(map("valid", ok, "files", results), text.toString());
      return ok ? Exit.OK : Exit.INVALID;
    }
  }

  // ------------------------------------------------------------------ plan

  @Command(name = "plan", mixinStandardHelpOptions = true, description = "The dry run: what would happen, in order, and the worst-case time against the budget.")
  static final class PlanCmd implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE", description = "A RollbackPlan, Release or Fleet file.") Path file;

    @Override public Integer call() {
      try (PlanFile pf = loadForLook(file)) {
        Out out = common.out();
        StringBuilder t = new StringBuilder();
        Map<String, Object> json = map("kind", pf.kind(), "name", pf.name(), "fingerprint", pf.fingerprint());
        WorstCase w;
        Optional<Duration> budget = pf.budget();
        switch (pf.kind()) {
          case "RollbackPlan", "Release" -> {
            DryRun dr = pf.kind().equals("Release") ? RollbackEngine.dryRun(pf.release()) : RollbackEngine.dryRun(pf.rollbackPlan());
            w = pf.kind().equals("Release") ? pf.release().worstCaseRevert() : pf.rollbackPlan().worstCase();
            // as DryRun.toString, without a Formatter per line (200 lines cost more than the rest of the command)
            t.append("Dry run of ").append(dr.mode().name().toLowerCase(Locale.ROOT)).append(" '").append(dr.plan()).append("':\n");
            for (DryRun.Action a : dr.actions()) {
              String n = Integer.toString(a.order());
              t.append(" ".repeat(Math.max(0, 3 - n.length()))).append(n).append(". ").append(a.path()).append(" — ")
                  .append(a.description());
              if (!a.parallelGroup().isEmpty()) t.append(" [parallel: ").append(a.parallelGroup()).append(']');
              if (!a.safeguards().isEmpty()) t.append(" (").append(a.safeguards()).append(')');
              t.append('\n');
            }
            List<Map<String, Object>> actions = new ArrayList<>();
            for (DryRun.Action a : dr.actions()) {
              actions.add(map("order", a.order(), "path", a.path(), "description", a.description(), "parallelGroup",
                  a.parallelGroup(), "safeguards", a.safeguards()));
            }
            json.put("actions", actions);
          }
          case "Fleet" -> {
            Fleet fl = pf.fleet();
            w = fl.worstCase();
            t.append("Rollback of fleet '").append(fl.name()).append("', in reverse dependency order:\n");
            List<Map<String, Object>> waves = new ArrayList<>();
            int i = 0;
            for (List<String> wave : fl.waves()) {
              i++;
              t.append(String.format("%3d. wave %d%s:%n", i, i, wave.size() > 1 ? " (in parallel)" : ""));
              List<Map<String, Object>> svcs = new ArrayList<>();
              for (String s : wave) {
                Fleet.Service svc = fl.service(s);
                RollbackPlan p = svc.plan().rollbackPlan();
                t.append("       ").append(s).append(" — plan ").append(p.name()).append(", ").append(p.steps().size())
                    .append(" steps, worst case ").append(dur(p.worstCase().duration()))
                    .append(svc.dependsOn().isEmpty() ? "" : "; then " + String.join(", ", svc.dependsOn())).append('\n');
                svcs.add(map("service", s, "plan", p.name(), "steps", p.steps().size(), "worstCase", dur(p.worstCase().duration()),
                    "dependsOn", svc.dependsOn()));
              }
              waves.add(map("wave", i, "parallel", wave.size() > 1, "services", svcs));
            }
            json.put("waves", waves);
          }
          default -> throw new IllegalArgumentException(file + " is a " + pf.kind() + "; plan outlines a RollbackPlan, Release or Fleet");
        }
        boolean over = budget.isPresent() && w.duration().compareTo(budget.get()) > 0;
        t.append("Worst case").append(pf.kind().equals("Release") ? " of the revert" : "").append(": ").append(dur(w.duration()));
        budget.ifPresentOrElse(b -> t.append(over ? " — OVER the budget of " : " — within the budget of ").append(dur(b)),
            () -> t.append(" (no budget)"));
        t.append('\n');
        if (!w.unbounded().isEmpty()) t.append("Not counted (no timeout): ").append(String.join(", ", w.unbounded())).append('\n');
        json.put("worstCase", dur(w.duration()));
        json.put("worstCaseMillis", w.duration().toMillis());
        json.put("unbounded", w.unbounded());
        budget.ifPresent(b -> json.put("budget", dur(b)));
        json.put("withinBudget", !over);
        out.result(json, t.toString());
        return over ? Exit.OVER_BUDGET : Exit.OK;
      }
    }
  }

  // ------------------------------------------------------------------ run, resume, drill, capture

  /** Starts {@code pf} in a runner and prints the result; shared by run and drill. */
  static RollbackResult start(Common common, PlanFile pf, String runId, Optional<Deployment> deployment, String reason,
      boolean quiet, Runner[] holder) {
    State state = common.state();
    Path journalDir = common.journalDir(Optional.of(runId), pf.journalDir());
    Optional<AutoCloseable> lock = state.lock(runId);
    if (lock.isEmpty()) {
      throw new IllegalStateException("run " + runId + " is being run by process " + state.liveProcess(runId).orElse(-1L));
    }
    storeRun(state, runId, pf, journalDir);
    Runner r = new Runner(journalDir, new Inbox(state.inbox()), common.out().err, quiet);
    holder[0] = r;
    RunOptions options = Runner.options(runId, reason);
    return switch (pf.kind()) {
      case "RollbackPlan" -> r.run(runId, e -> e.start(pf.rollbackPlan(), deployment.orElse(pf.deployment().orElseThrow()), options));
      case "Release" -> r.run(runId, e -> e.start(pf.release(), options));
      case "Fleet" -> {
        RollbackPlan fp = FleetPlan.of(pf.fleet(), r.engine(), r.journal());
        yield r.run(runId, e -> e.start(fp, FleetPlan.deployment(pf.fleet()), options));
      }
      default -> throw new IllegalArgumentException(pf.file() + " is a " + pf.kind() + "; only a RollbackPlan, Release or Fleet runs");
    };
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Run a plan, a release or a fleet's rollback; journaled, resumable.")
  static final class Run implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE", description = "A RollbackPlan, Release or Fleet file.") Path file;
    @Option(names = "--run-id", description = "The run's id (default: the plan's name, the time and 4 hex digits).") String runId;
    @Option(names = "--deployment", paramLabel = "SERVICE@VERSION", description = "The deployment (default: spec.deployment).")
    String deployment;
    @Option(names = "--reason", description = "Why the run starts; journaled and reported.") String reason;
    @Option(names = "--quiet", description = "No progress on stderr.") boolean quiet;

    @Override public Integer call() {
      try (PlanFile pf = Context.hiding(Plans.load(file))) {
        String id = runId != null ? runId : newRunId(pf.name());
        Optional<Deployment> d = Optional.ofNullable(deployment).map(Runner::parseDeployment);
        String why = reason != null ? reason : "rollback run " + file + " by " + System.getProperty("user.name", "unknown");
        Runner[] holder = new Runner[1];
        try {
          RollbackResult res = start(common, pf, id, d, why, quiet, holder);
          common.out().result(resultJson(res, holder[0].journal()), resultText(res, holder[0].journal()));
          return Exit.of(res.outcome());
        } finally {
          if (holder[0] != null) holder[0].close();
        }
      }
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Continue a run from its journal: after a crash, a halt at a gate, or a cancel.")
  static final class Resume implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "RUN_ID") String runId;
    @Option(names = "--file", description = "The plan file (default: the copy kept when the run started).") Path file;
    @Option(names = "--force", description = "Resume although the plan changed; the differences are journaled.") boolean force;
    @Option(names = "--quiet", description = "No progress on stderr.") boolean quiet;

    @Override public Integer call() {
      State state = common.state();
      Path planFile = file != null ? file : state.storedPlan(runId).orElseThrow(() -> new IllegalArgumentException(
          "no copy of run " + runId + "'s plan in " + state.runDir(runId) + "; give it with --file"));
      try (PlanFile pf = Context.hiding(Plans.load(planFile))) {
        Path journalDir = common.journalDir(Optional.of(runId), pf.journalDir());
        Optional<AutoCloseable> lock = state.lock(runId);
        if (lock.isEmpty()) throw new IllegalStateException("run " + runId + " is being run by process "
            + state.liveProcess(runId).orElse(-1L));
        try (Runner r = new Runner(journalDir, new Inbox(state.inbox()), common.out().err, quiet)) {
          RollbackResult res = switch (pf.kind()) {
            case "RollbackPlan" -> r.run(runId, e -> e.resume(runId, pf.rollbackPlan(), Runner.resumeOptions(force)));
            case "Release" -> r.run(runId, e -> e.resume(runId, pf.release(), Runner.resumeOptions(force)));
            case "Fleet" -> {
              RollbackPlan fp = FleetPlan.of(pf.fleet(), r.engine(), r.journal());
              yield r.run(runId, e -> e.resume(runId, fp, Runner.resumeOptions(force)));
            }
            default -> throw new IllegalArgumentException(planFile + " is a " + pf.kind());
          };
          common.out().result(resultJson(res, r.journal()), resultText(res, r.journal()));
          return Exit.of(res.outcome());
        }
      }
    }
  }

  @Command(name = "drill", mixinStandardHelpOptions = true, description = "Run a plan against the targets given (staging), time each step and the recovery against the budget.")
  static final class Drill implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE", description = "A RollbackPlan or Fleet file.") Path file;
    @Option(names = "--targets", paramLabel = "FILE", description = "A kind: Targets file whose targets replace the plan's of the same names.")
    Path targets;
    @Option(names = "--run-id", description = "The drill run's id.") String runId;
    @Option(names = "--deployment", paramLabel = "SERVICE@VERSION") String deployment;
    @Option(names = "--quiet", description = "No progress on stderr.") boolean quiet;

    @Override public Integer call() {
      Plans.Loader loader = Plans.loader();
      if (targets != null) loader = loader.withTargets(targets);
      try (PlanFile pf = Context.hiding(loader.load(file))) {
        if (pf.kind().equals("Release")) throw new IllegalArgumentException("drill runs a RollbackPlan or a Fleet; " + file + " is a Release");
        String id = runId != null ? runId : newRunId("drill-" + pf.name());
        Runner[] holder = new Runner[1];
        try {
          RollbackResult res = start(common, pf, id, Optional.ofNullable(deployment).map(Runner::parseDeployment),
              "drill of " + pf.name() + (targets == null ? "" : " against " + targets), quiet, holder);
          Journal journal = holder[0].journal();
          RunReport report = RunReport.of(journal, id);
          Optional<Duration> budget = pf.budget();
          boolean over = budget.isPresent() && res.elapsed().compareTo(budget.get()) > 0;
          StringBuilder t = new StringBuilder("Drill of '" + pf.name() + "': " + res.outcome() + " in " + dur(res.elapsed()));
          budget.ifPresentOrElse(b -> t.append(over ? " — OVER the budget of " : " — within the budget of ").append(dur(b)),
              () -> t.append(" (no budget)"));
          t.append("\n");
          List<Map<String, Object>> steps = new ArrayList<>();
          for (RunReport.StepReport s : report.steps()) {
            String took = s.elapsed().map(Main::dur).orElse("-");
            t.append(String.format("  %-50s %-12s %s%n", s.path(), s.status(), took));
            steps.add(map("path", s.path(), "status", s.status(), "took", took, "tookMillis", s.elapsed().map(Duration::toMillis).orElse(-1L)));
          }
          for (Map<String, Object> c : children(journal, id)) {
            RunReport cr = RunReport.of(journal, (String) c.get("run"));
            t.append("  service ").append(c.get("service")).append(": ").append(c.get("state")).append(" in ")
                .append(cr.elapsed().map(Main::dur).orElse("-")).append('\n');
            for (RunReport.StepReport s : cr.steps()) {
              t.append(String.format("    %-48s %-12s %s%n", s.path(), s.status(), s.elapsed().map(Main::dur).orElse("-")));
            }
          }
          t.append("Time to recover: ").append(dur(res.elapsed())).append(". Report: rollback report ").append(id).append('\n');
          Map<String, Object> json = map("run", id, "plan", pf.name(), "outcome", res.outcome().name(), "timeToRecover",
              dur(res.elapsed()), "timeToRecoverMillis", res.elapsed().toMillis(), "withinBudget", !over, "steps", steps,
              "services", children(journal, id));
          budget.ifPresent(b -> json.put("budget", dur(b)));
          common.out().result(json, t.toString());
          if (res.outcome() == RunOutcome.RECOVERED) return over ? Exit.OVER_BUDGET : Exit.OK;
          return Exit.of(res.outcome());
        } finally {
          if (holder[0] != null) holder[0].close();
        }
      }
    }
  }

  @Command(name = "capture", mixinStandardHelpOptions = true, description = "Capture the known-good state before a deployment, for the steps that restore it.")
  static final class Capture implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE", description = "A RollbackPlan or Fleet file.") Path file;
    @Option(names = "--run-id", required = true, description = "The id the rollback will run under (rollback run --run-id).") String runId;
    @Option(names = "--deployment", paramLabel = "SERVICE@VERSION") String deployment;

    @Override public Integer call() {
      try (PlanFile pf = Context.hiding(Plans.load(file))) {
        State state = common.state();
        Path journalDir = common.journalDir(Optional.of(runId), pf.journalDir());
        storeRun(state, runId, pf, journalDir);
        try (Journal journal = FileJournal.create(journalDir);
            RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
          Map<String, Object> captured = new LinkedHashMap<>();
          if (pf.kind().equals("Fleet")) {
            for (Fleet.Service s : pf.fleet().services()) {
              String child = FleetPlan.childRunId(runId, s.name());
              KnownGood kg = engine.captureKnownGood(s.plan().rollbackPlan(), s.plan().deployment().orElseThrow(),
                  RunOptions.defaults().withRunId(child));
              captured.put(s.name(), kg.snapshots().keySet());
            }
          } else {
            Deployment d = Optional.ofNullable(deployment).map(Runner::parseDeployment).orElse(pf.deployment().orElseThrow());
            KnownGood kg = engine.captureKnownGood(pf.rollbackPlan(), d, RunOptions.defaults().withRunId(runId));
            captured.put(pf.name(), kg.snapshots().keySet());
          }
          common.out().result(map("run", runId, "captured", captured), "captured the known-good state for run " + runId + ": "
              + captured + "\nroll back with: rollback run " + file + " --run-id " + runId);
          return Exit.OK;
        }
      }
    }
  }

  // ------------------------------------------------------------------ status, history, answer, ack, report

  static Journal openJournal(Common common, String runId) {
    return FileJournal.create(common.journalDir(Optional.of(runId), Optional.empty()));
  }

  static RunHistory history(Journal journal, String runId) {
    RunHistory h = RunHistory.of(journal.read(runId));
    if (!h.isCreated() && !h.isStarted()) {
      List<String> ids = journal.runIds();
      throw new IllegalArgumentException("no run " + runId + " in the journal " + journal + Suggest.didYouMean(runId, ids)
          + (ids.isEmpty() ? " (it has no runs)" : ""));
    }
    return h;
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Where a run is: its outcome or progress, its steps, the gates it waits at.")
  static final class Status implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "RUN_ID") String runId;

    @Override public Integer call() {
      try (Journal journal = openJournal(common, runId)) {
        RunHistory h = history(journal, runId);
        Optional<Long> pid = common.state().liveProcess(runId);
        String state = h.outcome().orElse(pid.isPresent() ? "RUNNING" : h.isStarted() ? "INTERRUPTED" : "CAPTURED");
        RunReport report = RunReport.of(h);
        StringBuilder t = new StringBuilder(runId + ": " + state + (h.summary().isEmpty() ? "" : " — " + h.summary()) + "\n");
        t.append("plan '").append(h.plan()).append("' (").append(h.mode()).append(") for ").append(h.deployment()).append('\n');
        pid.ifPresent(p -> t.append("run by process ").append(p).append('\n'));
        if (state.equals("INTERRUPTED")) t.append("no process runs it: resume it with: rollback resume ").append(runId).append('\n');
        List<Map<String, Object>> steps = new ArrayList<>();
        for (RunReport.StepReport s : report.steps()) {
          t.append("  ").append(s.path()).append(": ").append(s.status()).append(s.error().isEmpty() ? "" : " — " + s.error()).append('\n');
          steps.add(map("path", s.path(), "status", s.status(), "attempts", s.attempts(), "error", s.error()));
        }
        List<Map<String, Object>> gates = new ArrayList<>();
        for (RunHistory.GateHistory g : h.gates()) {
          if (g.isDecided()) continue;
          gates.add(map("id", g.id(), "gate", g.gate(), "step", g.step(), "question", g.question(), "options",
              g.options().stream().map(Enum::name).toList(), "deadline", String.valueOf(g.deadline()), "onTimeout",
              String.valueOf(g.onTimeout())));
          t.append("  waiting at gate ").append(g.id()).append(": ").append(g.question()).append(" ").append(g.options())
              .append("\n    answer with: rollback answer ").append(g.id()).append(" <DECISION>\n");
        }
        List<Map<String, Object>> children = children(journal, runId);
        for (Map<String, Object> c : children) {
          t.append("  service ").append(c.get("service")).append(": ").append(c.get("state")).append(" (run ").append(c.get("run")).append(")\n");
          RunHistory ch = RunHistory.of(journal.read((String) c.get("run")));
          for (RunHistory.GateHistory g : ch.gates()) {
            if (g.isDecided()) continue;
            gates.add(map("id", g.id(), "gate", g.gate(), "step", g.step(), "question", g.question(), "options",
                g.options().stream().map(Enum::name).toList(), "deadline", String.valueOf(g.deadline()), "onTimeout",
                String.valueOf(g.onTimeout())));
            t.append("    waiting at gate ").append(g.id()).append(": ").append(g.question()).append(" ").append(g.options()).append('\n');
          }
        }
        common.out().result(map("run", runId, "state", state, "plan", h.plan(), "mode", h.mode(), "deployment", h.deployment(),
            "summary", h.summary(), "process", pid.orElse(null), "steps", steps, "openGates", gates, "services", children),
            t.toString());
        return h.outcome().map(Exit::of).orElse(Exit.OK);
      }
    }
  }

  @Command(name = "history", mixinStandardHelpOptions = true, description = "The runs in the journal, oldest first.")
  static final class History implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--limit", defaultValue = "50", description = "At most this many, the newest (default ${DEFAULT-VALUE}).") int limit;

    @Override public Integer call() {
      try (Journal journal = FileJournal.create(common.journalDir(Optional.empty(), Optional.empty()))) {
        List<String> ids = journal.runIds();
        List<String> shown = ids.subList(Math.max(0, ids.size() - limit), ids.size());
        List<Map<String, Object>> runs = new ArrayList<>();
        StringBuilder t = new StringBuilder();
        for (String id : shown) {
          RunHistory h = RunHistory.of(journal.read(id));
          String state = h.outcome().orElse(h.isStarted() ? "RUNNING/INTERRUPTED" : "CAPTURED");
          String started = h.startedAt().or(h::createdAt).map(ReportFormat::time).orElse("-");
          runs.add(map("run", id, "plan", h.plan(), "deployment", h.deployment(), "state", state, "started", started,
              "elapsed", h.elapsed().map(Main::dur).orElse("")));
          t.append(String.format("%-20s %-12s %-50s %s %s%n", started, state, id, h.plan(), h.deployment()));
        }
        if (shown.isEmpty()) t.append("no runs in ").append(journal).append('\n');
        common.out().result(map("runs", runs), t.toString());
        return Exit.OK;
      }
    }
  }

  @Command(name = "answer", mixinStandardHelpOptions = true, description = "Answer a gate a run waits at (the process running it applies the answer).")
  static final class Answer implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(index = "0", paramLabel = "GATE_ID", description = "As status and the run print it (quote it: it has spaces);"
        + " or a run id, for the one gate that run (or, for a fleet, one of its services) waits at.") String gateId;
    @Parameters(index = "1", paramLabel = "DECISION", description = "PROCEED, RETRY, SKIP, FAIL or HALT, as the gate offers.") String decision;
    @Option(names = "--actor", defaultValue = "${env:USER:-unknown}", description = "Who decides (default: $USER).") String actor;
    @Option(names = "--wait", defaultValue = "30s", description = "How long to wait for the running process to apply it.") String wait;

    /** The id of the one gate run {@code runId} (or one of its fleet's services) waits at. */
    private String onlyOpenGate(String runId) {
      try (Journal journal = openJournal(common, runId)) {
        history(journal, runId);
        List<String> open = new ArrayList<>();
        List<String> runs = new ArrayList<>(List.of(runId));
        journal.runIds().stream().filter(id -> id.startsWith(runId + ".")).forEach(runs::add);
        for (String r : runs) {
          RunHistory.of(journal.read(r)).gates().stream().filter(g -> !g.isDecided()).forEach(g -> open.add(g.id()));
        }
        if (open.size() != 1) {
          throw new IllegalArgumentException("run " + runId + (open.isEmpty() ? " waits at no gate" : " waits at " + open.size()
              + " gates; name one: " + open));
        }
        return open.get(0);
      }
    }

    @Override public Integer call() throws InterruptedException {
      if (!gateId.contains("/")) gateId = onlyOpenGate(gateId);

      String runId = gateId.substring(0, gateId.indexOf('/'));
      Decision d;
      try {
        d = Decision.valueOf(decision.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("decision must be one of " + List.of(Decision.values()) + ", not '" + decision + "'");
      }
      try (Journal journal = openJournal(common, runId)) {
        RunHistory h = history(journal, runId);
        Optional<RunHistory.GateHistory> g = h.gate(gateId);
        List<String> open = h.gates().stream().filter(x -> !x.isDecided()).map(RunHistory.GateHistory::id).toList();
        if (g.isEmpty()) {
          throw new IllegalArgumentException("run " + runId + " has no gate " + gateId + Suggest.didYouMean(gateId, open)
              + (open.isEmpty() ? "; it waits at no gate" : "; open: " + open));
        }
        if (g.get().isDecided()) {
          throw new IllegalArgumentException("gate " + gateId + " was already decided: " + g.get().decision() + " by " + g.get().actor());
        }
        if (!g.get().options().contains(d)) {
          throw new IllegalArgumentException("gate " + gateId + " takes " + g.get().options() + ", not " + d);
        }
      }
      if (common.state().liveProcess(runId).isEmpty()) {
        throw new IllegalArgumentException("run " + runId + " is not running now, so nothing waits for the answer: resume it"
            + " (rollback resume " + runId + ") and answer the gate it opens");
      }
      Inbox inbox = new Inbox(common.state().inbox());
      Path written = inbox.writeAnswer(gateId, d, actor);
      Inbox.Fate f = awaitFate(inbox, written, wait).orElseThrow(() -> new IllegalStateException(
          "the process running " + runId + " did not pick the answer up within " + wait + "; it is in " + written));
      if (!f.done()) throw new IllegalArgumentException("the answer was refused: " + f.reason());
      common.out().result(map("gate", gateId, "decision", d.name(), "actor", actor, "applied", true),
          "gate " + gateId + " answered " + d + " by " + actor);
      return Exit.OK;
    }
  }

  @Command(name = "ack", mixinStandardHelpOptions = true, description = "Acknowledge a run's page, so its escalation stops.")
  static final class Ack implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "RUN_ID") String runId;
    @Option(names = "--actor", defaultValue = "${env:USER:-unknown}", description = "Who acknowledges (default: $USER).") String actor;
    @Option(names = "--wait", defaultValue = "30s", description = "How long to wait for the running process to apply it.") String wait;

    @Override public Integer call() throws InterruptedException {
      try (Journal journal = openJournal(common, runId)) {
        RunHistory h = history(journal, runId);
        if (h.isCompleted()) throw new IllegalArgumentException("run " + runId + " has ended (" + h.outcome().orElse("") + "); nothing to acknowledge");
      }
      if (common.state().liveProcess(runId).isEmpty()) {
        throw new IllegalArgumentException("run " + runId + " is not running now; nothing pages for it");
      }
      Inbox inbox = new Inbox(common.state().inbox());
      Path written = inbox.writeAck(runId, actor);
      Inbox.Fate f = awaitFate(inbox, written, wait).orElseThrow(() -> new IllegalStateException(
          "the process running " + runId + " did not pick the acknowledgement up within " + wait));
      if (!f.done()) throw new IllegalArgumentException("the acknowledgement was refused: " + f.reason());
      common.out().result(map("run", runId, "actor", actor, "acknowledged", true), "run " + runId + " acknowledged by " + actor);
      return Exit.OK;
    }
  }

  /**
   * Waits for the running process to take up {@code written} (an answer or an acknowledgement in
   * its inbox), looking every 50 ms for at most {@code wait} (30 s when it does not parse), and
   * once more at the end: its fate, or empty when the process left it where it was.
   */
  private static Optional<Inbox.Fate> awaitFate(Inbox inbox, Path written, String wait) throws InterruptedException {
    Instant until = Instant.now().plus(Optional.ofNullable(Values.parseDuration(wait)).orElse(Duration.ofSeconds(30)));
    while (true) {
      Inbox.Fate f = inbox.fate(written);
      if (f != null) return Optional.of(f);
      if (!Instant.now().isBefore(until)) return Optional.empty();
      Thread.sleep(50);
    }
  }

  enum ReportKind { markdown, json, html, postmortem }

  @Command(name = "report", mixinStandardHelpOptions = true, description = "A run's report from its journal: Markdown, JSON, HTML (with a timeline) or a post-mortem draft.")
  static final class Report implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "RUN_ID") String runId;
    @Option(names = "--format", defaultValue = "markdown", description = "markdown, json, html or postmortem.") ReportKind format;
    @Option(names = "--out", paramLabel = "FILE", description = "Write it here instead of printing it.") Path outFile;

    @Override public Integer call() throws IOException {
      try (Journal journal = openJournal(common, runId)) {
        history(journal, runId);
        List<String> kids = journal.runIds().stream().filter(id -> id.startsWith(runId + ".")).toList();
        ReportKind f = common.output == Format.json ? ReportKind.json : format;
        String text;
        switch (f) {
          case json -> {
            StringBuilder b = new StringBuilder("{\"run\": ").append(RunReport.of(journal, runId).toJson());
            if (!kids.isEmpty()) {
              b.append(", \"services\": {");
              for (int i = 0; i < kids.size(); i++) {
                b.append(i == 0 ? "" : ", ").append('"').append(kids.get(i).substring(runId.length() + 1)).append("\": ")
                    .append(RunReport.of(journal, kids.get(i)).toJson());
              }
              b.append('}');
            }
            text = b.append("}\n").toString();
          }
          case html -> text = HtmlReport.of(PostMortem.of(journal, runId));
          case postmortem -> text = PostMortem.of(journal, runId).toMarkdown();
          default -> {
            StringBuilder b = new StringBuilder(RunReport.of(journal, runId).toMarkdown());
            for (String k : kids) b.append("\n---\n\n## Service ").append(k.substring(runId.length() + 1)).append("\n\n")
                .append(RunReport.of(journal, k).toMarkdown());
            text = b.toString();
          }
        }
        if (outFile != null) {
          Files.writeString(outFile, text, StandardCharsets.UTF_8);
          if (f == ReportKind.html) {
            for (String k : kids) {
              Path p = outFile.resolveSibling(outFile.getFileName().toString().replace(".html", "") + "-" + k.substring(runId.length() + 1) + ".html");
              Files.writeString(p, HtmlReport.of(PostMortem.of(journal, k)), StandardCharsets.UTF_8);
            }
          }
          Context.err.println("wrote " + outFile);
        } else {
          Context.out.print(text);
        }
        return Exit.OK;
      }
    }
  }

  enum RunbookFormat { markdown, html }

  @Command(name = "runbook", mixinStandardHelpOptions = true, description = "Generate the runbook of a plan: triggers, steps, gates and who answers them, communication, worst-case time.")
  static final class RunbookCmd implements Callable<Integer> {
    @Mixin Common common;
    @Parameters(paramLabel = "FILE") Path file;
    @Option(names = "--format", defaultValue = "markdown", description = "markdown or html.") RunbookFormat format;
    @Option(names = "--out", paramLabel = "FILE") Path outFile;

    @Override public Integer call() throws IOException {
      try (PlanFile pf = loadForLook(file)) {
        if (!pf.kind().equals("RollbackPlan") && !pf.kind().equals("Release")) {
          throw new IllegalArgumentException("runbook documents a RollbackPlan or a Release; " + file + " is a " + pf.kind());
        }
        String text = format == RunbookFormat.html ? Runbook.html(pf) : Runbook.markdown(pf);
        if (outFile != null) {
          Files.writeString(outFile, text, StandardCharsets.UTF_8);
          Context.err.println("wrote " + outFile);
        } else {
          Context.out.print(text);
        }
        return Exit.OK;
      }
    }
  }

  // ------------------------------------------------------------------ types, schema, completion

  @Command(name = "types", mixinStandardHelpOptions = true, description = "The step and target types on the class path, with their parameters.")
  static final class Types implements Callable<Integer> {
    @Mixin Common common;

    @Override public Integer call() {
      Registry r = Registry.get();
      StringBuilder t = new StringBuilder("Step types:\n");
      List<Map<String, Object>> steps = new ArrayList<>();
      for (StepType s : r.steps().values()) {
        t.append("  ").append(s.name()).append(s.hasChange() ? " (also a release change)" : "").append(" — ").append(s.summary()).append('\n');
        s.parameters().forEach(p -> t.append("      ").append(param(p)).append('\n'));
        steps.add(map("name", s.name(), "summary", s.summary(), "change", s.hasChange(), "parameters", params(s.parameters())));
      }
      t.append("Target types:\n");
      List<Map<String, Object>> targets = new ArrayList<>();
      for (TargetType s : r.targets().values()) {
        t.append("  ").append(s.name()).append(" — ").append(s.summary()).append('\n');
        s.parameters().forEach(p -> t.append("      ").append(param(p)).append('\n'));
        targets.add(map("name", s.name(), "summary", s.summary(), "parameters", params(s.parameters())));
      }
      common.out().result(map("stepTypes", steps, "targetTypes", targets), t.toString());
      return Exit.OK;
    }

    private static String param(Parameter p) {
      return p.name() + ": " + p.type().name().toLowerCase(Locale.ROOT) + (p.choices().isEmpty() ? "" : " " + p.choices())
          + (p.isRequired() ? ", required" : p.defaultValue().map(d -> ", default " + d).orElse(", optional")) + " — " + p.description();
    }

    private static List<Map<String, Object>> params(List<Parameter> ps) {
      return ps.stream().map(p -> map("name", p.name(), "type", p.type().name(), "required", p.isRequired(), "default",
          p.defaultValue().orElse(null), "choices", p.choices(), "description", p.description())).toList();
    }
  }

  @Command(name = "schema", mixinStandardHelpOptions = true, description = "The JSON Schema of a kind (for editors and kubeconform-style tools), or all of them into a directory.")
  static final class Schema implements Callable<Integer> {
    @Option(names = "--kind", defaultValue = "RollbackPlan", description = "One of: RollbackPlan, Release, Fleet, RollbackPlanTemplate, ReleaseTemplate, Targets.")
    String kind;
    @Option(names = "--out-dir", paramLabel = "DIR", description = "Write every kind's schema here.") Path outDir;

    @Override public Integer call() throws IOException {
      if (outDir != null) {
        Files.createDirectories(outDir);
        for (Map.Entry<String, String> e : Schemas.all(Registry.get()).entrySet()) {
          Files.writeString(outDir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
        Context.err.println("wrote " + Compiler.KINDS.size() + " schemas to " + outDir);
        return Exit.OK;
      }
      if (!Compiler.KINDS.contains(kind)) {
        throw new IllegalArgumentException("unknown kind '" + kind + "'" + Suggest.didYouMean(kind, Compiler.KINDS));
      }
      Context.out.print(Schemas.text(kind, Registry.get()));
      return Exit.OK;
    }
  }

  @Command(name = "warm-up", hidden = true, description = "Load, validate, outline and document the embedded sample plan"
      + " (what bin/rollback trains its class-data-sharing archive on).")
  static final class WarmUp implements Callable<Integer> {
    @Option(names = "--type-index", paramLabel = "FILE", description = "Also write the index of the types found on this class path.")
    Path typeIndex;

    @Override public Integer call() throws Exception {
      if (typeIndex != null) TypeIndex.write(typeIndex, Registry.get());
      Path dir = Files.createTempDirectory("rollback-warm-up");
      try {
        Path f = dir.resolve("warm-up.yaml");
        try (var in = Main.class.getResourceAsStream("/dev/rollback/cli/sample/warm-up.yaml")) {
          Files.write(f, in.readAllBytes());
        }
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        PrintStream out = Context.out;
        Context.out = quiet;
        try {
          plainFiles(new String[] {"validate", f.toString()}).call();
          plainFiles(new String[] {"plan", f.toString()}).call();
          commandLine().execute("validate", f.toString());
          commandLine().execute("plan", f.toString());
          commandLine().execute("plan", f.toString(), "-o", "json");
          commandLine().execute("validate", f.toString(), "-o", "json");
        } finally {
          Context.out = out;
        }
        return Exit.OK;
      } finally {
        try (var files = Files.walk(dir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Command(name = "completion", mixinStandardHelpOptions = true, description = "Print the bash (and zsh, with bashcompinit) completion script: source <(rollback completion)")
  static final class Completion implements Callable<Integer> {
    @Override public Integer call() {
      Context.out.print(AutoComplete.bash("rollback", commandLine()));
      return Exit.OK;
    }
  }

}
