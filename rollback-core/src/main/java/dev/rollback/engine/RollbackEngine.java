package dev.rollback.engine;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.DryRun;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.PlanChangedException;
import dev.rollback.Release;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunMode;
import dev.rollback.RunOutcome;
import dev.rollback.Stage;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Trigger;
import dev.rollback.guard.Guard;
import dev.rollback.internal.RealTimer;
import dev.rollback.internal.Timer;
import dev.rollback.internal.communication.NotificationDispatcher;
import dev.rollback.internal.engine.EventBus;
import dev.rollback.internal.engine.Fingerprints;
import dev.rollback.internal.engine.GateRegistry;
import dev.rollback.internal.engine.Preparation;
import dev.rollback.internal.engine.Program;
import dev.rollback.internal.engine.Run;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalLines;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Runs plans and releases: journals every decision, executes steps on its executor, waits on its
 * clock, asks humans at gates, resumes runs from the journal.
 *
 * <pre>{@code
 * try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
 *   RollbackResult result = engine.start(plan, Deployment.of("checkout", "2.4.0")).await();
 * }
 * }</pre>
 */
public final class RollbackEngine implements AutoCloseable {
  private final Journal journal;
  private final Clock clock;
  private final Timer timer;
  private final ExecutorService executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final @Nullable ScheduledExecutorService ownedScheduler;
  private final GateRegistry gates;
  private final EventBus events;
  private final NotificationDispatcher notifications;
  private final Run.Services services;
  private final Preparation.Engine preparationEngine;
  /** Runs of this engine that have not ended, by run id: for acknowledgements. */
  private final java.util.concurrent.ConcurrentMap<String, Run> live = new java.util.concurrent.ConcurrentHashMap<>();
  /** Runs prepared and not started yet (a guard's, between arm and fire), by run id: for acknowledgements. */
  private final java.util.concurrent.ConcurrentMap<String, Preparation> prepared = new java.util.concurrent.ConcurrentHashMap<>();

  private RollbackEngine(Builder b) {
    this.journal = b.journal != null ? b.journal : InMemoryJournal.create();
    this.clock = b.clock;
    if (b.clock instanceof ManualClock manual) {
      this.timer = Timer.of(manual);
      this.ownedScheduler = null;
    } else if (b.scheduler != null) {
      this.timer = new RealTimer(b.scheduler);
      this.ownedScheduler = null;
    } else {
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(daemon("rollback-timer"));
      this.timer = new RealTimer(s);
      this.ownedScheduler = s;
    }
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      this.executor = Executors.newCachedThreadPool(daemon("rollback-run"));
      this.ownedExecutor = this.executor;
    }
    this.gates = new GateRegistry(clock);
    this.events = new EventBus(b.listeners);
    this.notifications = NotificationDispatcher.defaults();
    this.services = new Run.Services(journal, clock, timer, executor, gates, events, notifications);
    this.preparationEngine = new Preparation.Engine() {
      @Override public Journal journal() { return journal; }
      @Override public Clock clock() { return clock; }
      @Override public Timer timer() { return timer; }
      @Override public NotificationDispatcher notifications() { return notifications; }
      @Override public @Nullable Run live(String runId) { return live.get(runId); }
    };
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public static Builder builder() {
    return new Builder();
  }

  public Journal journal() { return journal; }
  public Clock clock() { return clock; }

  // ------------------------------------------------------------------ rollback mode

  private static final java.util.concurrent.atomic.AtomicBoolean WARMED_UP = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Runs the engine's machinery once, off any real run, so the first real run of this JVM (a kill
   * switch, hours after start-up) does not pay for loading its classes and their first use: a
   * no-op plan on a private engine with an in-memory journal (no listener, no notifier, nothing in
   * any journal of the application) and one record through the journal encoder. It takes away
   * most, not all, of a first run's extra cost: the first use of a step's own system (its client,
   * its classes) remains.
   * {@link Guard#arm()} calls it; an application that runs plans without a guard may call it at
   * start-up. Only the first call in a JVM does anything.
   */
  public static void warmUp() {
    if (!WARMED_UP.compareAndSet(false, true)) return;
    try {
      rehearse();
    } catch (RuntimeException e) {
      // a warm-up that fails costs the first run its time, nothing else
      org.slf4j.LoggerFactory.getLogger(RollbackEngine.class).debug("warm-up failed", e);
    }
  }

  /** What {@link #warmUp} does, every time it is called; returns the rehearsal's result. */
  static RollbackResult rehearse() {
    Deployment d = Deployment.of("rollback-warm-up", "0");
    RollbackResult r;
    try (RollbackEngine rehearsal = RollbackEngine.builder().build()) {
      // verified by a constant check, so the rehearsal does not log the "nothing defines recovered"
      // warning into the application's log; verification is part of the path a real run takes anyway
      r = rehearsal.run(RollbackPlan.builder("warm-up").step(Step.of("nothing", ctx -> { }))
          .verifiedBy(HealthCheck.constant("warm-up", HealthStatus.UP)).build(), d);
    }
    // what a FileJournal does with each record, short of the file
    JournalLines.encode(JournalRecord.of(1, "warm-up", java.time.Instant.EPOCH, 0,
        new JournalEvent.NoteAdded(null, "warm-up")));
    return r;
  }

  /** Starts {@code plan} for {@code deployment}; returns at once. */
  public RollbackRun start(RollbackPlan plan, Deployment deployment) {
    return start(plan, deployment, RunOptions.defaults());
  }

  public RollbackRun start(RollbackPlan plan, Deployment deployment, RunOptions options) {
    Run e = execution(plan, deployment, options);
    launch(e);
    return e;
  }

  private Run execution(RollbackPlan plan, Deployment deployment, RunOptions options) {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(deployment, "deployment");
    Objects.requireNonNull(options, "options");
    String runId = options.runId().orElseGet(() -> newRunId(deployment));
    RunHistory history = historyOf(runId);
    if (history.isStarted()) {
      throw new RollbackException("run " + runId + " was already started; use resume(\"" + runId + "\", plan)");
    }
    if (history.isCreated() && !history.fingerprint().isEmpty() && !history.fingerprint().equals(plan.fingerprint())) {
      throw new PlanChangedException(runId, plan.name(), Fingerprints.diff(outline(history), plan.outline()));
    }
    String reason = options.reason().isEmpty()
        ? "rollback of " + deployment.id() + " started without a reason (give one with RunOptions.withReason)"
        : options.reason();
    Run run = new Run(services, Program.of(plan, deployment), runId, history, options.fencingToken(),
        options.lease().orElse(null), false, reason, List.of());
    run.soakWith(options.soak().orElse(null), options.soakTriggers());
    return run;
  }

  private void launch(Run e) {
    live.put(e.runId(), e);
    e.result().whenComplete((r, x) -> live.remove(e.runId(), e));
    executor.execute(e::run);
  }

  /**
   * Runs {@code plan} on the calling thread and returns its result: what {@code start(plan,
   * deployment).await()} does, without handing the run to the engine's executor first, so a kill
   * switch starts as soon as its intent is journaled. Steps with a timeout still run on the
   * executor, so a step that ignores interrupts cannot hold the run past its timeout. Interrupting
   * the calling thread interrupts the step running on it; use {@link #start} for a run that must
   * go on whatever happens to its caller.
   */
  public RollbackResult run(RollbackPlan plan, Deployment deployment) {
    return run(plan, deployment, RunOptions.defaults());
  }

  /** {@link #run(RollbackPlan, Deployment)} with a reason, run id or fencing token. */
  public RollbackResult run(RollbackPlan plan, Deployment deployment, RunOptions options) {
    Run e = execution(plan, deployment, options);
    live.put(e.runId(), e);
    e.result().whenComplete((r, x) -> live.remove(e.runId(), e));
    e.runOnCallingThread();
    return e.await();
  }

  /**
   * Captures and journals the known-good state of every step that captures one, under a new run
   * id. Give the result to {@link RunOptions#withKnownGood} when the rollback starts.
   */
  public KnownGood captureKnownGood(RollbackPlan plan, Deployment deployment) {
    return captureKnownGood(plan, deployment, RunOptions.defaults());
  }

  public KnownGood captureKnownGood(RollbackPlan plan, Deployment deployment, RunOptions options) {
    String runId = options.runId().orElseGet(() -> newRunId(deployment));
    RunHistory history = historyOf(runId);
    if (history.isStarted()) throw new RollbackException("run " + runId + " already started; cannot capture its known-good state now");
    Run e = new Run(services, Program.of(plan, deployment), runId, history, options.fencingToken(), false,
        options.reason(), List.of());
    return e.captureKnownGood();
  }

  /**
   * Captures and journals the known-good state of every step of {@code plan} that captures one,
   * under the run id of {@code options} (or a new one), and returns the run, ready to start when
   * the release turns out bad. What a guard does when it is armed.
   */
  public PreparedRun prepare(RollbackPlan plan, Deployment deployment, RunOptions options) {
    KnownGood kg = captureKnownGood(plan, deployment, options);
    Preparation p = new Preparation(preparationEngine, plan, deployment, kg, (reason, more) -> {
      RollbackRun run = start(plan, deployment, more.apply(RunOptions.defaults().withKnownGood(kg).withReason(reason)));
      prepared.remove(kg.runId());
      return run;
    });
    prepared.put(kg.runId(), p);
    return p;
  }

  // ------------------------------------------------------------------ release mode

  /**
   * Runs {@code release} on the calling thread and returns its result: what {@code start(release)
   * .await()} does, without handing the run to the engine's executor.
   */
  public RollbackResult run(Release release) {
    return run(release, RunOptions.defaults());
  }

  public RollbackResult run(Release release, RunOptions options) {
    Run e = releaseRun(release, options);
    live.put(e.runId(), e);
    e.result().whenComplete((r, x) -> live.remove(e.runId(), e));
    e.runOnCallingThread();
    return e.await();
  }

  public RollbackRun start(Release release) {
    return start(release, RunOptions.defaults());
  }

  public RollbackRun start(Release release, RunOptions options) {
    Run e = releaseRun(release, options);
    launch(e);
    return e;
  }

  private Run releaseRun(Release release, RunOptions options) {
    Objects.requireNonNull(release, "release");
    Objects.requireNonNull(options, "options");
    String runId = options.runId().orElseGet(() -> newRunId(release.deployment()));
    RunHistory history = historyOf(runId);
    if (history.isStarted()) throw new RollbackException("run " + runId + " was already started; use resume(\"" + runId + "\", release)");
    String reason = options.reason().isEmpty() ? "release of " + release.deployment().id() + " started" : options.reason();
    Run run = new Run(services, Program.of(release, release.deployment()), runId, history, options.fencingToken(),
        options.lease().orElse(null), false, reason, List.of());
    run.soakWith(options.soak().orElse(null), options.soakTriggers());
    return run;
  }

  // ------------------------------------------------------------------ resume

  public RollbackRun resume(String runId, RollbackPlan plan) {
    return resume(runId, plan, ResumeOptions.defaults());
  }

  /**
   * Continues a run from its journal: done steps are not run again, in-doubt steps are decided
   * by idempotency, reconcile or a gate. Refuses a plan whose fingerprint changed unless forced.
   */
  public RollbackRun resume(String runId, RollbackPlan plan, ResumeOptions options) {
    Objects.requireNonNull(plan, "plan");
    Loaded l = load(runId, "rollback", plan.name(), plan.fingerprint(), plan.outline(), options);
    Run e = new Run(services, Program.of(plan, l.deployment()), runId, l.history, options.fencingToken(),
        options.lease().orElse(null), true, l.reason, l.problems);
    e.soakWith(options.soak().orElse(null), options.soakTriggers());
    launch(e);
    return e;
  }

  public RollbackRun resume(String runId, Release release) {
    return resume(runId, release, ResumeOptions.defaults());
  }

  public RollbackRun resume(String runId, Release release, ResumeOptions options) {
    Objects.requireNonNull(release, "release");
    Loaded l = load(runId, "release", release.name(), release.fingerprint(), release.outline(), options);
    Run e = new Run(services, Program.of(release, l.deployment()), runId, l.history, options.fencingToken(),
        options.lease().orElse(null), true, l.reason, l.problems);
    e.soakWith(options.soak().orElse(null), options.soakTriggers());
    launch(e);
    return e;
  }

  private record Loaded(RunHistory history, String reason, List<String> problems) {
    Deployment deployment() {
      JournalEvent.Identity i = history.identity().orElseThrow();
      return Deployment.of(i.service(), i.version());
    }
  }

  private static List<String> outline(RunHistory h) {
    return h.identity().map(JournalEvent.Identity::outline).orElse(List.of());
  }

  private Loaded load(String runId, String mode, String name, String fingerprint, List<String> outline, ResumeOptions options) {
    JournalRead read = journal.read(runId);
    List<String> problems = new ArrayList<>(read.problems());
    if (read.isEmpty()) {
      throw new RollbackException("cannot resume run " + runId + ": the journal " + journal + " has no records for it"
          + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")"));
    }
    RunHistory history = RunHistory.of(read.records());
    if (!history.isStarted() && !history.isCreated()) {
      throw new RollbackException("cannot resume run " + runId + ": its journal has no PLAN_STARTED record");
    }
    if (!history.mode().isEmpty() && !history.mode().equals(mode)) {
      throw new RollbackException("cannot resume run " + runId + " as a " + mode + ": it is a " + history.mode() + " run");
    }
    if (history.outcome().isPresent()) {
      RunOutcome o = RunOutcome.valueOf(history.outcome().get());
      if (o != RunOutcome.HALTED && o != RunOutcome.CANCELLED) {
        throw new RollbackException("run " + runId + " of '" + history.plan() + "' already ended " + o + "; nothing to resume");
      }
    }
    String reason = "resumed";
    if (!history.fingerprint().equals(fingerprint)) {
      List<String> diff = Fingerprints.diff(outline(history), outline);
      if (!options.isForced()) throw new PlanChangedException(runId, name, diff);
      reason = "resumed with a changed plan (forced): " + String.join("; ", diff);
    }
    if (!read.problems().isEmpty()) {
      String repaired = journal.repair(runId);
      if (!repaired.isEmpty()) {
        problems.clear();
        problems.add(repaired);
        // the record that says what happened to the torn bytes
        JournalRecord r = JournalRecord.of(history.lastSeq() + 1, runId, clock.instant(), options.fencingToken(),
            new JournalEvent.JournalRepaired(repaired));
        journal.append(r);
        history.add(r);
      }
    }
    return new Loaded(history, reason, problems);
  }

  /** The history of a run that is about to start; a torn tail left by a crash is moved aside first. */
  private RunHistory historyOf(String runId) {
    JournalRead read = journal.read(runId);
    if (!read.problems().isEmpty()) {
      journal.repair(runId);
      read = journal.read(runId);
    }
    return RunHistory.of(read.records());
  }

  // ------------------------------------------------------------------ gates, dry run

  /** Answers a gate of any run of this engine; journaled with {@code actor}. */
  public void answer(String gateId, Decision decision, String actor) {
    gates.answer(gateId, decision, actor, false);
  }

  /**
   * Records that {@code actor} acknowledged the page of run {@code runId} through {@code source}
   * ("http", "pagerduty", "api", ...): journaled as ACKNOWLEDGED, and the run's pages sent until now
   * stop escalating to the next audience (see {@link CommunicationPlan.Builder#escalate}).
   *
   * <p>A guard that asked a human about its release (an inconclusive trigger) before any run
   * started is acknowledged the same way, with its {@link Guard#runId()}.
   *
   * @throws RollbackException if {@code runId} is neither a run of this engine that is still going
   *     nor a guard's open question
   */
  public void acknowledge(String runId, String actor, String source) {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(source, "source");
    if (actor.isBlank()) throw new IllegalArgumentException("actor must not be blank (who acknowledged run " + runId + "?)");
    Run e = live.get(runId);
    if (e != null) {
      e.acknowledge(actor, source);
      return;
    }
    Preparation p = prepared.get(runId);
    if (p == null || !p.isAsking()) {
      throw new RollbackException("run " + runId + " is not running in this engine (unknown, or it has ended), and no guard"
          + " is asking about it; nothing to acknowledge");
    }
    p.acknowledged(actor, source);
  }

  /** The ids of the runs of this engine that have not ended, in no particular order. */
  public List<String> runningRuns() {
    return List.copyOf(live.keySet());
  }

  /** The gates all runs of this engine wait on now, oldest first. */
  public List<GateRequest> pendingGates() {
    return gates.pending();
  }

  /** What {@code plan} would do, in order; runs nothing. */
  public static DryRun dryRun(RollbackPlan plan) {
    List<DryRun.Action> actions = new ArrayList<>();
    int i = 0;
    for (Stage st : plan.stages()) {
      for (Step s : st.steps()) {
        actions.add(new DryRun.Action(++i, st.name() + "/" + s.name(), s.describe(),
            st.parallel() && st.steps().size() > 1 ? st.name() : "", safeguards(s)));
      }
    }
    for (HealthCheck c : plan.verifiedBy()) {
      actions.add(new DryRun.Action(++i, "verify/" + c.name(), "check that " + c.name() + " is UP", "", ""));
    }
    return new DryRun(plan.name(), RunMode.ROLLBACK, actions);
  }

  /** What {@code release} would do when it goes well, then what its revert would do. */
  public static DryRun dryRun(Release release) {
    List<DryRun.Action> actions = new ArrayList<>();
    int i = 0;
    for (Change c : release.changes()) {
      if (c.knownGoodCapture().isPresent()) {
        actions.add(new DryRun.Action(++i, c.name() + "/known-good", "capture the known-good state of " + c.name(), "", ""));
      }
    }
    for (Release.Element e : release.elements()) {
      if (e instanceof Release.ChangeElement ce) {
        actions.add(new DryRun.Action(++i, ce.change().name() + "/apply", ce.change().apply().describe(), "",
            safeguards(ce.change().apply())));
      } else if (e instanceof Release.HealthGate g) {
        actions.add(new DryRun.Action(++i, g.name(), "wait until " + g.check().name() + " is UP, at most " + g.within(), "", ""));
      } else if (e instanceof Release.Bake b) {
        actions.add(new DryRun.Action(++i, b.name(), "watch the triggers " + release.triggers().stream().map(Trigger::name).toList()
            + " every " + b.interval() + " for " + b.duration(), "", ""));
      }
    }
    List<Change> rev = new ArrayList<>(release.changes());
    java.util.Collections.reverse(rev);
    for (Change c : rev) {
      actions.add(new DryRun.Action(++i, c.name() + "/revert", "on failure: " + c.revert().describe(), "",
          safeguards(c.revert())));
    }
    return new DryRun(release.name(), RunMode.RELEASE, actions);
  }

  private static String safeguards(Step s) {
    List<String> g = new ArrayList<>();
    s.approval().ifPresent(a -> g.add("approval at gate '" + a.name() + "'"));
    s.timeout().ifPresent(t -> g.add("timeout " + t));
    if (s.retry().maxRetries() > 0) g.add(s.retry().maxRetries() + " retries");
    if (s.isIdempotent()) g.add("idempotent");
    if (s.reconciler().isPresent()) g.add("reconcilable");
    if (s.hasUndo()) g.add("has undo");
    if (s.mayTerminateHost()) g.add("may terminate host");
    return String.join(", ", g);
  }

  private String newRunId(Deployment d) {
    String name = d.service();
    StringBuilder service = new StringBuilder(Math.min(name.length(), 40));
    for (int i = 0; i < name.length() && service.length() < 40; i++) {
      char c = name.charAt(i);
      boolean safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
          || c == '-';
      service.append(safe ? c : '-');
    }
    byte[] rnd = new byte[4];
    ThreadLocalRandom.current().nextBytes(rnd);
    return service + "-" + clock.millis() + "-" + HexFormat.of().formatHex(rnd);
  }

  @Override
  public void close() {
    notifications.close();
    if (ownedExecutor != null) ownedExecutor.shutdownNow();
    if (ownedScheduler != null) ownedScheduler.shutdownNow();
  }

  /** Configures a {@link RollbackEngine}. Everything has a default. */
  public static final class Builder {
    private @Nullable Journal journal;
    private Clock clock = Clock.systemUTC();
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable ExecutorService executor;
    private final List<RollbackListener> listeners = new ArrayList<>();

    private Builder() {}

    /** Where records go; default an {@link InMemoryJournal} (not durable: use a FileJournal or JDBC journal in production). */
    public Builder withJournal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /** The clock for timestamps, timeouts, delays and budgets; a {@link ManualClock} gives virtual time. */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The scheduler for timeouts and delays (ignored under a ManualClock). Default: one daemon thread. */
    public Builder withScheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The executor runs and steps run on. Default: a cached pool of daemon threads. */
    public Builder withExecutor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder withListener(RollbackListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public RollbackEngine build() {
      return new RollbackEngine(this);
    }
  }

}
