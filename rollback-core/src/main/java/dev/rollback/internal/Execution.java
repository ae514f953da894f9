package dev.rollback.internal;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.RetryPolicyBuilder;
import dev.rollback.Change;
import dev.rollback.CommunicationPlan;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Evaluation;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Health;
import dev.rollback.HealthCheck;
import dev.rollback.HealthStatus;
import dev.rollback.KnownGood;
import dev.rollback.Notification;
import dev.rollback.NotificationKind;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackEvent;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RollbackRun;
import dev.rollback.RunMode;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.SnapshotCapture;
import dev.rollback.Stage;
import dev.rollback.Step;
import dev.rollback.StepAction;
import dev.rollback.StepContext;
import dev.rollback.StepOutcome;
import dev.rollback.Trigger;
import dev.rollback.Verdict;
import dev.rollback.internal.detect.Evaluators;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One run of a plan or release: the engine semantics. Every decision goes through the journal
 * first ({@link #append}) and is folded into {@link RunState}; a resumed run rebuilds the same
 * state from the journal and walks the same code, skipping what is done.
 */
public final class Execution implements RollbackRun {
  private static final Logger log = LoggerFactory.getLogger(Execution.class);

  /** What the engine shares with each run. */
  public record Services(Journal journal, Clock clock, Timer timer, ExecutorService executor,
      GateRegistry gates, EventBus events, NotificationDispatcher notifications) {}

  // ---- control flow signals (never leave this class)
  private static final class Halt extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final @Nullable GateRequest gate;
    Halt(@Nullable GateRequest gate, String why) { super(why, null, false, false); this.gate = gate; }
  }

  private static final class Cancelled extends RuntimeException {
    private static final long serialVersionUID = 1L;
    Cancelled(String why) { super(why, null, false, false); }
  }

  private static final class Abandon extends RuntimeException {
    private static final long serialVersionUID = 1L;
    Abandon(String why) { super(why, null, false, false); }
  }

  private static final class AttemptFailed extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean timedOut;
    AttemptFailed(String message, boolean timedOut) { super(message, null, false, false); this.timedOut = timedOut; }
  }

  /** Retrying stops: the last attempt's outcome is unknown and it must not run blindly again. */
  private static final class InDoubt extends Exception {
    private static final long serialVersionUID = 1L;
    InDoubt(String message) { super(message, null, false, false); }
  }

  private final Services svc;
  private final String runId;
  private final RunMode mode;
  private final @Nullable RollbackPlan plan;
  private final @Nullable Release release;
  private final String planName;
  private final Deployment deployment;
  private final String fingerprint;
  private final List<String> outline;
  private final CommunicationPlan communication;
  private final long fence;
  private final RunState state;
  private final boolean resumed;
  private final String startReason;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, StepOutcome> outcomes = Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<Health> verification = new ArrayList<>();
  private final Set<Ctx> active = ConcurrentHashMap.newKeySet();
  private final Set<String> myGates = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<RollbackResult> result = new CompletableFuture<>();
  private final CompletableFuture<GateRequest> firstGate = new CompletableFuture<>();
  private final TimerScheduler failsafeScheduler;
  private volatile @Nullable String cancelReason;
  private volatile @Nullable Thread runThread;
  /** Held while the run's thread is interrupted or let go, so no interrupt reaches it after the run. */
  private final Object runThreadLock = new Object();
  private Timer.@Nullable Cancellable budgetTimer;
  private final List<String> failedSteps = Collections.synchronizedList(new ArrayList<>());
  private final PageEscalation escalation;
  /** The release's trigger evaluators, created when the run starts: their state is this run's alone. */
  private List<Trigger.Evaluator> evaluators = List.of();

  public Execution(Services svc, String runId, @Nullable RollbackPlan plan, @Nullable Release release,
      Deployment deployment, RunState state, boolean resumed, String reason, long fence, List<String> problems) {
    this.svc = svc;
    this.runId = runId;
    this.plan = plan;
    this.release = release;
    this.mode = plan != null ? RunMode.ROLLBACK : RunMode.RELEASE;
    this.planName = plan != null ? plan.name() : release.name();
    this.deployment = deployment;
    this.fingerprint = plan != null ? plan.fingerprint() : release.fingerprint();
    this.outline = plan != null ? Fingerprints.outline(plan) : Fingerprints.outline(release);
    this.communication = plan != null ? plan.communication() : release.communication();
    this.state = state;
    this.resumed = resumed;
    this.startReason = reason;
    this.fence = fence;
    this.problems.addAll(problems);
    this.failsafeScheduler = new TimerScheduler(svc.timer(), svc.executor());
    this.escalation = new PageEscalation(communication, svc.notifications(), svc.timer(), svc.clock(), runId, planName,
        deployment, new PageEscalation.Run() {
          @Override
          public void escalated(Map<String, Object> data, NotificationKind kind, String from, String to, Duration waited) {
            try {
              append(RecordType.ESCALATED, null, data);
            } catch (RuntimeException e) {
              log.warn("plan '{}' run {}: could not journal the escalation to {}: {}", planName, runId, to, e.toString());
            }
            svc.events().emit(new RollbackEvent.Escalated(runId, kind, from, to, waited, svc.clock().instant()));
          }

          @Override
          public void delivered(Map<String, Object> outcome) {
            journalNotification(outcome);
          }
        });
  }

  // ------------------------------------------------------------------ RollbackRun

  @Override public String runId() { return runId; }
  @Override public String plan() { return planName; }
  @Override public Deployment deployment() { return deployment; }
  @Override public CompletableFuture<RollbackResult> result() { return result; }

  @Override
  public RollbackResult await() {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RollbackException("interrupted while waiting for run " + runId + " of plan '" + planName + "'", e);
    } catch (ExecutionException e) {
      throw new RollbackException("run " + runId + " of plan '" + planName + "' failed inside the engine: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public RollbackResult await(Duration timeout) {
    try {
      return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RollbackException("run " + runId + " of plan '" + planName + "' still running after " + timeout
          + (pendingGates().isEmpty() ? "" : "; it waits on gate " + pendingGates().get(0).id()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RollbackException("interrupted while waiting for run " + runId, e);
    } catch (ExecutionException e) {
      throw new RollbackException("run " + runId + " of plan '" + planName + "' failed inside the engine: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public void cancel(String reason) {
    if (result.isDone() || cancelReason != null) return;
    cancelReason = reason == null || reason.isBlank() ? "cancelled" : reason;
    escalation.stop();
    for (Ctx c : active) c.cancel("run cancelled: " + cancelReason);
    for (String g : myGates) svc.gates().abandon(g);
    synchronized (runThreadLock) {
      Thread t = runThread;
      if (t != null) t.interrupt();
    }
  }

  @Override
  public List<GateRequest> pendingGates() {
    return svc.gates().pending(runId);
  }

  @Override
  public GateRequest awaitGate(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<GateRequest> p = pendingGates();
      if (!p.isEmpty()) return p.get(0);
      if (result.isDone()) {
        throw new RollbackException("run " + runId + " ended " + result.join().outcome() + " without waiting on a gate");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new RollbackException("run " + runId + " did not wait on a gate within " + timeout);
      try {
        synchronized (firstGate) {
          firstGate.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RollbackException("interrupted while waiting for a gate of run " + runId, e);
      }
    }
  }

  @Override
  public void answer(String gateId, Decision decision, String actor) {
    if (!gateId.startsWith(runId + "/")) {
      throw new IllegalArgumentException("gate " + gateId + " does not belong to run " + runId);
    }
    svc.gates().answer(gateId, decision, actor, false);
  }

  /**
   * Journals that {@code actor} acknowledged the run's page through {@code source}; pages sent
   * until now stop escalating.
   *
   * @throws RollbackException if the run has ended
   */
  public void acknowledge(String actor, String source) {
    if (result.isDone()) {
      throw new RollbackException("run " + runId + " of plan '" + planName + "' has ended; nothing to acknowledge");
    }
    JournalRecord r = append(RecordType.ACKNOWLEDGED, null, data("actor", actor, "source", source));
    escalation.acknowledged(r.at());
    log.info("plan '{}' run {} acknowledged by {} via {}", planName, runId, actor, source);
    svc.events().emit(new RollbackEvent.Acknowledged(runId, actor, source, r.at()));
  }

  /** Journals an informational record of {@code type} (a notification outcome of the guard that started this run). */
  public void record(RecordType type, Map<String, Object> data) {
    append(type, null, data);
  }

  // ------------------------------------------------------------------ journal

  /**
   * Records whose loss in a crash costs nothing, because a forced record always follows before
   * anything they describe matters, or because they only inform (notes, health results,
   * notifications). PLAN_STARTED is one of them: the run acts on the world only after a forced
   * STEP_STARTED and waits for a human only after a forced GATE_OPENED, and a run lost before
   * either did nothing, so the first step of a kill switch waits for one fsync, not two. The same
   * holds for an undo snapshot (before its STEP_STARTED). Everything else is forced before it returns.
   */
  private static final java.util.Set<RecordType> LAZY = java.util.EnumSet.of(RecordType.PLAN_STARTED,
      RecordType.STAGE_STARTED, RecordType.UNDO_SNAPSHOT, RecordType.NOTE, RecordType.HEALTH_CHECKED,
      RecordType.TRIGGER_FIRED, RecordType.NOTIFICATION, RecordType.BUDGET_EXCEEDED, RecordType.ESCALATED);

  private synchronized JournalRecord append(RecordType type, @Nullable String step, Map<String, Object> data) {
    JournalRecord r = JournalRecord.of(state.lastSeq + 1, runId, type, svc.clock().instant(), fence, step, data);
    if (LAZY.contains(type)) {
      svc.journal().appendLazily(r);
    } else {
      svc.journal().append(r);
    }
    state.apply(r, type);
    return r;
  }

  private static Map<String, Object> data(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] != null) m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  // ------------------------------------------------------------------ start

  /** Journals RUN_CREATED and the known-good snapshots; used before {@link #run()} or on its own by a guard. */
  public KnownGood captureKnownGood() {
    if (!state.created && !state.started) {
      append(RecordType.RUN_CREATED, null, identity());
    }
    Map<String, Snapshot> out = new LinkedHashMap<>(state.knownGood);
    for (Map.Entry<String, SnapshotCapture> e : knownGoodCaptures().entrySet()) {
      if (state.knownGood.containsKey(e.getKey())) continue;
      Ctx ctx = new Ctx(e.getKey(), e.getKey(), null, 0, Instant.MAX);
      Snapshot s;
      try {
        s = e.getValue().capture(ctx);
      } catch (Exception ex) {
        throw new RollbackException("plan '" + planName + "': cannot capture the known-good state of '" + e.getKey()
            + "': " + ex.getMessage(), ex);
      }
      append(RecordType.KNOWN_GOOD, e.getKey(), data("snapshot", s.values()));
      out.put(e.getKey(), s);
    }
    return new KnownGood(runId, out);
  }

  private Map<String, SnapshotCapture> knownGoodCaptures() {
    Map<String, SnapshotCapture> m = new LinkedHashMap<>();
    if (plan != null) {
      for (Stage st : plan.stages()) {
        for (Step s : st.steps()) s.knownGoodCapture().ifPresent(c -> m.put(st.name() + "/" + s.name(), c));
      }
    } else {
      for (Change c : release.changes()) c.knownGoodCapture().ifPresent(k -> m.put(c.name(), k));
    }
    return m;
  }

  private Map<String, Object> identity() {
    return data("mode", mode.name().toLowerCase(), "plan", planName, "deployment", deployment.id(),
        "service", deployment.service(), "version", deployment.version(), "fingerprint", fingerprint,
        "outline", outline);
  }

  /**
   * Runs on the calling thread instead of the engine's executor ({@link dev.rollback.RollbackEngine#run}):
   * no hand-off between the call and the first step. The caller's MDC is put back afterwards, and
   * an interrupt that a {@link #cancel} aimed at this run is cleared once it has ended.
   */
  public void runOnCallingThread() {
    Map<String, String> mdc = MDC.getCopyOfContextMap();
    try {
      run();
    } finally {
      if (cancelReason != null) Thread.interrupted();
      if (mdc == null) MDC.clear();
      else MDC.setContextMap(mdc);
    }
  }

  /** Runs on the engine's executor until the run ends; completes {@link #result()}. */
  public void run() {
    runThread = Thread.currentThread();
    MDC.put("rollback.plan", planName);
    MDC.put("rollback.run", runId);
    RunOutcome outcome;
    String summary;
    GateRequest haltedAt = null;
    try {
      begin();
      if (mode == RunMode.ROLLBACK) {
        outcome = runPlan();
      } else {
        outcome = runRelease();
      }
      summary = summarize(outcome);
    } catch (Halt h) {
      outcome = RunOutcome.HALTED;
      haltedAt = h.gate;
      summary = "halted: " + h.getMessage();
    } catch (Cancelled c) {
      outcome = RunOutcome.CANCELLED;
      summary = "cancelled: " + c.getMessage();
    } catch (RuntimeException | Error e) {
      // the journal or a bug: record what we can, never leave the caller waiting
      log.error("plan '{}' run {} stopped by an internal error", planName, runId, e);
      problems.add("internal error: " + e);
      outcome = RunOutcome.HALTED;
      summary = "halted by an internal error: " + e;
    } finally {
      synchronized (runThreadLock) {
        runThread = null;
      }
      if (budgetTimer != null) budgetTimer.cancel();
      escalation.stop();
    }
    if (cancelReason != null && outcome != RunOutcome.CANCELLED && !outcome.isSuccess()
        && outcome != RunOutcome.NOT_RECOVERED && outcome != RunOutcome.ABANDONED) {
      outcome = RunOutcome.CANCELLED;
      summary = "cancelled: " + cancelReason;
    }
    Instant end = svc.clock().instant();
    try {
      append(RecordType.PLAN_COMPLETED, null, data("outcome", outcome.name(), "summary", summary,
          "haltedAt", haltedAt == null ? null : haltedAt.id()));
    } catch (RuntimeException e) {
      problems.add("could not journal the outcome: " + e.getMessage());
    }
    Instant started = state.startedAt != null ? state.startedAt : end;
    log.info("plan '{}' run {} ended {}: {}", planName, runId, outcome, summary);
    notify(outcome.isSuccess() ? NotificationKind.ROLLBACK_COMPLETED : NotificationKind.ROLLBACK_FAILED,
        planName + " " + outcome, summary, Map.of("outcome", outcome.name()));
    svc.events().emit(new RollbackEvent.RunFinished(runId, outcome, Duration.between(started, end), end));
    Map<String, StepOutcome> steps = orderedOutcomes();
    MDC.remove("rollback.plan");
    MDC.remove("rollback.run");
    result.complete(new RollbackResult(runId, planName, deployment, mode, outcome, steps, verification,
        problems, haltedAt, started, end, summary));
  }

  private void begin() {
    if (resumed) {
      append(RecordType.PLAN_RESUMED, null, data("reason", startReason, "fingerprint", fingerprint));
      log.info("plan '{}' run {} resumed: {}", planName, runId, startReason);
    } else {
      if (mode == RunMode.RELEASE) {
        captureKnownGood();
      }
      Map<String, Object> d = identity();
      d.put("reason", startReason);
      append(RecordType.PLAN_STARTED, null, d);
      log.info("plan '{}' run {} started for {}: {}", planName, runId, deployment, startReason);
    }
    svc.events().emit(new RollbackEvent.RunStarted(runId, planName, deployment, mode, resumed, svc.clock().instant()));
    if (mode == RunMode.ROLLBACK && !resumed) {
      svc.events().emit(new RollbackEvent.RollbackTriggered(runId, startReason, svc.clock().instant()));
      notify(NotificationKind.ROLLBACK_TRIGGERED, "Rolling back " + deployment.id(),
          "Plan '" + planName + "' started: " + startReason, Map.of("reason", startReason));
    }
    Optional<Duration> budget = plan != null ? plan.budget() : release.budget();
    if (budget.isPresent() && !state.budgetExceeded && state.startedAt != null) {
      Duration left = budget.get().minus(Duration.between(state.startedAt, svc.clock().instant()));
      budgetTimer = svc.timer().schedule(() -> budgetExceeded(budget.get()), left.isNegative() ? Duration.ZERO : left);
    }
  }

  private void budgetExceeded(Duration budget) {
    if (result.isDone()) return;
    Duration elapsed = Duration.between(state.startedAt, svc.clock().instant());
    try {
      append(RecordType.BUDGET_EXCEEDED, null, data("budget", budget.toString(), "elapsed", elapsed.toString()));
    } catch (RuntimeException e) {
      log.warn("plan '{}' run {}: could not journal the budget breach", planName, runId, e);
    }
    log.warn("plan '{}' run {} exceeded its budget of {} ({} so far); it goes on", planName, runId, budget, elapsed);
    svc.events().emit(new RollbackEvent.BudgetExceeded(runId, budget, elapsed, svc.clock().instant()));
    notify(NotificationKind.BUDGET_EXCEEDED, planName + " is over its budget",
        "The rollback has taken " + elapsed + ", over its budget of " + budget + "; it continues.",
        Map.of("budget", budget.toString(), "elapsed", elapsed.toString()));
  }

  // ------------------------------------------------------------------ rollback mode

  private RunOutcome runPlan() {
    RollbackPlan p = plan;
    try {
      if (state.abandoning) throw new Abandon(state.abandonReason);
      for (Stage stage : p.stages()) {
        checkCancelled();
        if (!state.stagesStarted.contains(stage.name())) {
          append(RecordType.STAGE_STARTED, stage.name(), data("parallel", stage.parallel()));
        }
        if (stage.parallel() && stage.steps().size() > 1) {
          runParallel(stage);
        } else {
          for (Step step : stage.steps()) runWithPolicy(step, stage.name() + "/" + step.name());
        }
      }
    } catch (Abandon a) {
      return abandon(a.getMessage());
    }
    return verify(p.verifiedBy());
  }

  private void runParallel(Stage stage) {
    List<Future<StepOutcome>> futures = new ArrayList<>();
    List<String> paths = new ArrayList<>();
    Map<String, Ctx> siblings = new ConcurrentHashMap<>();
    for (Step step : stage.steps()) {
      String path = stage.name() + "/" + step.name();
      paths.add(path);
      futures.add(svc.executor().submit(() -> {
        MDC.put("rollback.plan", planName);
        try {
          StepOutcome o = runStep(step, path, path, path, siblings);
          if (o instanceof StepOutcome.Failed f) {
            for (Map.Entry<String, Ctx> e : siblings.entrySet()) {
              if (!e.getKey().equals(path)) e.getValue().cancel("sibling '" + path + "' failed: " + f.error());
            }
          }
          return o;
        } finally {
          MDC.remove("rollback.plan");
        }
      }));
    }
    RuntimeException signal = null;
    List<StepOutcome> results = new ArrayList<>();
    for (Future<StepOutcome> f : futures) {
      try {
        results.add(f.get());
      } catch (ExecutionException e) {
        results.add(null);
        if (e.getCause() instanceof Halt || e.getCause() instanceof Cancelled) {
          if (signal == null) signal = (RuntimeException) e.getCause();
        } else if (e.getCause() instanceof RuntimeException re) {
          if (signal == null) signal = re;
        } else {
          if (signal == null) signal = new RollbackException("step failed in the engine", e.getCause());
        }
      } catch (InterruptedException e) {
        for (Ctx c : siblings.values()) c.cancel("run interrupted");
        waitQuietly(futures);
        throw new Cancelled(cancelReason != null ? cancelReason : "interrupted");
      }
    }
    if (signal != null) throw signal;
    // every outcome is recorded; now the policy for the failed steps (the cause), then the
    // cancelled siblings, whose effect is in doubt, each in plan order
    for (Class<?> kind : List.of(StepOutcome.Failed.class, StepOutcome.Cancelled.class)) {
      for (int i = 0; i < stage.steps().size(); i++) {
        if (kind.isInstance(results.get(i))) {
          checkCancelled();
          runWithPolicy(stage.steps().get(i), paths.get(i));
        }
      }
    }
  }

  private static void waitQuietly(List<? extends Future<?>> futures) {
    for (Future<?> f : futures) {
      try {
        f.get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // waiting only so that every outcome is journaled before the run ends
      }
    }
  }

  /** Runs a plan step and applies the plan's failure policy until it is done, skipped, or the run stops. */
  private void runWithPolicy(Step step, String path) {
    while (true) {
      StepOutcome o = runStep(step, path, path, path, null);
      if (o.isDone() || o instanceof StepOutcome.Skipped) return;
      checkCancelled();
      String error = o instanceof StepOutcome.Failed f ? f.error() : "cancelled with its outcome unknown";
      if (o instanceof StepOutcome.Cancelled) {
        // a sibling failed: its effect is in doubt; runStep decides on the next call
        continue;
      }
      switch (plan.failurePolicy()) {
        case CONTINUE -> {
          failedSteps.add(path);
          log.warn("plan '{}' step '{}' failed, continuing as the plan says: {}", planName, path, error);
          return;
        }
        case ABANDON -> {
          Decision d = gate(GateKind.ABANDON, path, "a" + state.step(path).attempts, plan.abandonGate(),
              "Step '" + path + "' failed: " + error + ". Abandon the rollback? PROCEED undoes every completed step in reverse order, "
                  + "which re-enables the bad release; HALT stops here.");
          if (d == Decision.PROCEED) throw new Abandon("step '" + path + "' failed: " + error);
          throw new Halt(lastGate, "step '" + path + "' failed and abandoning was not approved");
        }
        case HALT_AND_ASK -> {
          Decision d = gate(GateKind.STEP_FAILED, path, "a" + state.step(path).attempts, Gate.named("step failed"),
              "Step '" + path + "' (" + step.describe() + ") failed after " + state.step(path).attempts
                  + " attempt(s): " + error + ". RETRY runs it again, SKIP goes on without it, HALT stops the rollback.");
          if (d == Decision.SKIP) {
            append(RecordType.STEP_SKIPPED, path, data("reason", "skipped after failure by " + lastActor));
            outcomes.put(path, new StepOutcome.Skipped(state.step(path).attempts, "skipped after failure by " + lastActor));
            failedSteps.add(path);
            return;
          }
          if (d == Decision.HALT) throw new Halt(lastGate, "step '" + path + "' failed: " + error);
          // RETRY: a new cycle of attempts
        }
      }
    }
  }

  private RunOutcome abandon(String reason) {
    if (!state.abandoning) append(RecordType.ABANDONING, null, data("reason", reason));
    log.warn("plan '{}' run {}: abandoning the rollback ({}); undoing completed steps", planName, runId, reason);
    List<Map.Entry<String, Step>> done = new ArrayList<>();
    for (Stage st : plan.stages()) {
      for (Step s : st.steps()) {
        String path = st.name() + "/" + s.name();
        if (state.step(path).isDone()) done.add(Map.entry(path, s));
      }
    }
    Collections.reverse(done);
    for (Map.Entry<String, Step> e : done) {
      Step s = e.getValue();
      Step undo = Step.builder("undo").execute(s.undo().orElseThrow()).withRetry(s.retry()).build();
      if (s.timeout().isPresent()) undo = undo.withTimeout(s.timeout().get());
      if (s.isIdempotent()) undo = undo.idempotent();
      runRevertLike(undo, e.getKey() + "/undo", e.getKey(), e.getKey(), FailurePolicy.HALT_AND_ASK);
    }
    return RunOutcome.ABANDONED;
  }

  // ------------------------------------------------------------------ release mode

  private RunOutcome runRelease() {
    Release r = release;
    evaluators = Evaluators.of(r.triggers());
    if (!state.reverting) {
      int index = 0;
      for (Release.Element e : r.elements()) {
        index++;
        checkCancelled();
        if (e instanceof Release.ChangeElement ce) {
          Change c = ce.change();
          String path = c.name() + "/apply";
          StepOutcome o = runStep(c.apply(), path, c.name(), path, null);
          if (!o.isDone()) {
            String why = o instanceof StepOutcome.Failed f ? f.error() : String.valueOf(o);
            startRevert("change '" + c.name() + "' failed: " + why);
            break;
          }
          if (evaluateTriggers("after change '" + c.name() + "'", index)) break;
        } else if (e instanceof Release.HealthGate g) {
          if (!healthGate(g, index)) break;
        } else if (e instanceof Release.Bake bk) {
          if (!bake(bk, index)) break;
        }
      }
      if (!state.reverting) return RunOutcome.RELEASED;
    }
    return revertRelease();
  }

  private void startRevert(String reason) {
    if (state.reverting) return;
    append(RecordType.RELEASE_REVERTING, null, data("reason", reason));
    log.warn("release '{}' run {}: reverting: {}", planName, runId, reason);
    svc.events().emit(new RollbackEvent.RollbackTriggered(runId, reason, svc.clock().instant()));
    notify(NotificationKind.ROLLBACK_TRIGGERED, "Rolling back " + deployment.id(),
        "Release '" + planName + "' is being reverted: " + reason, Map.of("reason", reason));
  }

  /** True when the release must stop applying (reverting now). */
  private boolean evaluateTriggers(String where, int index) {
    for (Trigger.Evaluator evaluator : evaluators) {
      Trigger t = evaluator.trigger();
      Evaluation ev;
      try {
        ev = evaluator.evaluate(svc.clock().instant());
      } catch (RuntimeException ex) {
        ev = Evaluation.askHuman(t.name(), svc.clock().instant(), "trigger threw " + ex);
      }
      if (ev.verdict() == Verdict.HOLD) continue;
      append(RecordType.TRIGGER_FIRED, null, data("trigger", t.name(), "verdict", ev.verdict().name(),
          "evidence", ev.evidence(), "facts", ev.facts(), "where", where));
      if (ev.verdict() == Verdict.ROLL_BACK) {
        startRevert("trigger '" + t.name() + "' fired " + where + ": " + ev.evidence());
        return true;
      }
      Decision d = gate(GateKind.ROLL_BACK, "release", "e" + index, Gate.named("roll back?"),
          "Trigger '" + t.name() + "' is inconclusive " + where + ": " + ev.evidence()
              + ". PROCEED rolls the release back, SKIP keeps it, HALT stops here.");
      if (d == Decision.PROCEED) {
        startRevert("trigger '" + t.name() + "' was inconclusive and " + lastActor + " chose to roll back: " + ev.evidence());
        return true;
      }
      if (d == Decision.HALT) throw new Halt(lastGate, "trigger '" + t.name() + "' inconclusive; halted by " + lastActor);
    }
    return false;
  }

  /** Polls the gate's check until UP; false when the release is reverting (gate failed or a trigger fired). */
  private boolean healthGate(Release.HealthGate g, int index) {
    if (state.healthGatesPassed.contains(g.name())) return true;
    Instant deadline = svc.clock().instant().plus(g.within());
    Health last;
    while (true) {
      checkCancelled();
      last = safeCheck(g.check());
      svc.events().emit(new RollbackEvent.HealthChecked(runId, g.name(), last, svc.clock().instant()));
      if (last.isUp()) {
        append(RecordType.HEALTH_CHECKED, g.name(), healthData(last, true));
        return true;
      }
      if (evaluateTriggers("during " + g.name(), index)) return false;
      if (!svc.clock().instant().isBefore(deadline)) break;
      Duration wait = g.interval();
      Duration left = Duration.between(svc.clock().instant(), deadline);
      pause(wait.compareTo(left) < 0 ? wait : left);
    }
    append(RecordType.HEALTH_CHECKED, g.name(), healthData(last, false));
    startRevert(g.name() + " not UP within " + g.within() + ": " + last.status() + " — " + last.detail());
    return false;
  }

  /** Evaluates the triggers for the bake's duration; false when the release is reverting. */
  private boolean bake(Release.Bake bk, int index) {
    if (state.healthGatesPassed.contains(bk.name())) return true;
    Instant end = svc.clock().instant().plus(bk.duration());
    while (svc.clock().instant().isBefore(end)) {
      checkCancelled();
      Duration left = Duration.between(svc.clock().instant(), end);
      pause(bk.interval().compareTo(left) < 0 ? bk.interval() : left);
      if (evaluateTriggers("while baking (" + bk.name() + ")", index)) return false;
    }
    append(RecordType.HEALTH_CHECKED, bk.name(), data("check", bk.name(), "status", "UP",
        "detail", "triggers held for " + bk.duration(), "latencyMillis", 0L, "gatePassed", true));
    return true;
  }

  private RunOutcome revertRelease() {
    List<Change> changes = new ArrayList<>(release.changes());
    Collections.reverse(changes);
    for (Change c : changes) {
      checkCancelled();
      RunState.StepRec apply = state.steps.get(c.name() + "/apply");
      if (apply == null || apply.attempts == 0) continue; // never started: nothing to revert
      runRevertLike(c.revert(), c.name() + "/revert", c.name(), c.name() + "/apply", release.revertFailurePolicy());
    }
    return verify(release.verifiedBy());
  }

  /** A revert or undo: retried, then the policy (HALT_AND_ASK or CONTINUE). */
  private void runRevertLike(Step step, String path, String knownGoodKey, String undoKey, FailurePolicy policy) {
    while (true) {
      StepOutcome o = runStep(step, path, knownGoodKey, undoKey, null);
      if (o.isDone() || o instanceof StepOutcome.Skipped) return;
      checkCancelled();
      String error = o instanceof StepOutcome.Failed f ? f.error() : String.valueOf(o);
      if (policy == FailurePolicy.CONTINUE) {
        failedSteps.add(path);
        log.warn("'{}' failed, continuing as the release says: {}", path, error);
        return;
      }
      Decision d = gate(GateKind.STEP_FAILED, path, "a" + state.step(path).attempts, Gate.named("revert failed"),
          "'" + path + "' (" + step.describe() + ") failed after " + state.step(path).attempts + " attempt(s): " + error
              + ". RETRY runs it again, SKIP goes on with the next revert, HALT stops here.");
      if (d == Decision.SKIP) {
        append(RecordType.STEP_SKIPPED, path, data("reason", "skipped after failure by " + lastActor));
        outcomes.put(path, new StepOutcome.Skipped(state.step(path).attempts, "skipped after failure by " + lastActor));
        failedSteps.add(path);
        return;
      }
      if (d == Decision.HALT) throw new Halt(lastGate, "'" + path + "' failed: " + error);
    }
  }

  // ------------------------------------------------------------------ verification

  private RunOutcome verify(List<HealthCheck> checks) {
    boolean allUp = true;
    for (HealthCheck c : checks) {
      Health h = safeCheck(c);
      verification.add(h);
      append(RecordType.HEALTH_CHECKED, "verify", healthData(h, h.isUp()));
      svc.events().emit(new RollbackEvent.HealthChecked(runId, "verify", h, svc.clock().instant()));
      if (!h.isUp()) allUp = false;
    }
    if (!allUp) return RunOutcome.NOT_RECOVERED;
    if (checks.isEmpty() && !failedSteps.isEmpty()) return RunOutcome.NOT_RECOVERED;
    return RunOutcome.RECOVERED;
  }

  private Health safeCheck(HealthCheck c) {
    try {
      Health h = c.check();
      return h != null ? h : Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "check returned nothing");
    } catch (RuntimeException e) {
      return Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "check threw " + e);
    }
  }

  private static Map<String, Object> healthData(Health h, boolean passed) {
    return data("check", h.check(), "status", h.status().name(), "detail", h.detail(),
        "latencyMillis", h.latency().toMillis(), "gatePassed", passed);
  }

  // ------------------------------------------------------------------ one step

  /**
   * Runs one step to an outcome: replays what the journal already knows, asks for approval,
   * resolves an in-doubt outcome, then makes attempts with retries. Does not apply the plan's
   * failure policy.
   */
  private StepOutcome runStep(Step step, String path, String knownGoodKey, String undoKey,
      @Nullable Map<String, Ctx> siblings) {
    RunState.StepRec rec = state.step(path);
    switch (rec.status) {
      case SUCCEEDED -> {
        StepOutcome o = rec.reconciled ? new StepOutcome.AlreadyApplied(rec.attempts, "recorded before")
            : new StepOutcome.Succeeded(rec.attempts, Duration.ofMillis(rec.durationMillis));
        outcomes.putIfAbsent(path, o);
        return o;
      }
      case SKIPPED -> {
        StepOutcome o = new StepOutcome.Skipped(rec.attempts, rec.skipReason);
        outcomes.putIfAbsent(path, o);
        return o;
      }
      case FAILED -> {
        if (rec.finalFailure && rec.cycleBase < rec.attempts) {
          StepOutcome o = new StepOutcome.Failed(rec.attempts, rec.error, rec.inDoubt);
          outcomes.put(path, o);
          return o;
        }
      }
      default -> { }
    }
    if (step.approval().isPresent() && rec.attempts == 0) {
      Gate g = step.approval().get();
      Decision d = gate(GateKind.APPROVAL, path, "before", g,
          "Approve step '" + path + "': " + step.describe() + "? PROCEED runs it, HALT stops the run.");
      if (d != Decision.PROCEED) throw new Halt(lastGate, "step '" + path + "' was not approved (" + lastActor + ")");
    }
    boolean inDoubt = rec.status == RunState.Status.STARTED || rec.status == RunState.Status.CANCELLED
        || (rec.status == RunState.Status.FAILED && rec.inDoubt && rec.cycleBase < rec.attempts);
    if (inDoubt) {
      Optional<StepOutcome> resolved = resolveInDoubt(step, path, knownGoodKey, undoKey);
      if (resolved.isPresent()) return resolved.get();
    }
    return attempts(step, path, knownGoodKey, undoKey, siblings);
  }

  /** Empty when the step should run (again); otherwise its outcome (already applied). */
  private Optional<StepOutcome> resolveInDoubt(Step step, String path, String knownGoodKey, String undoKey) {
    RunState.StepRec rec = state.step(path);
    if (step.isIdempotent()) {
      append(RecordType.NOTE, path, data("message", "outcome of attempt " + rec.attempts + " unknown; the step is idempotent, so it runs again"));
      return Optional.empty();
    }
    Reconciliation r = reconcile(step, path, knownGoodKey, undoKey);
    if (r == Reconciliation.APPLIED) {
      append(RecordType.STEP_SUCCEEDED, path, data("attempt", rec.attempts, "reconciled", true,
          "how", "reconcile observed APPLIED"));
      StepOutcome o = new StepOutcome.AlreadyApplied(rec.attempts, "reconcile observed APPLIED");
      finished(path, o);
      return Optional.of(o);
    }
    if (r == Reconciliation.NOT_APPLIED) {
      append(RecordType.NOTE, path, data("message", "outcome of attempt " + rec.attempts + " unknown; reconcile observed NOT_APPLIED, so it runs again"));
      return Optional.empty();
    }
    return askAboutInDoubt(path, "Step '" + path + "' (" + step.describe() + ") may or may not have taken effect (attempt "
        + rec.attempts + " was cut off: " + (rec.error.isEmpty() ? "crash" : rec.error)
        + "), and it is neither idempotent nor reconcilable.");
  }

  /**
   * The IN_DOUBT gate: empty when the step should run again (RETRY); its outcome when a human
   * said it took effect (SKIP) or failed (FAIL); HALT stops the run.
   */
  private Optional<StepOutcome> askAboutInDoubt(String path, String situation) {
    RunState.StepRec rec = state.step(path);
    Decision d = gate(GateKind.IN_DOUBT, path, "a" + rec.attempts, Gate.named("step in doubt"),
        situation + " RETRY runs it again, SKIP records it as done, FAIL records it as failed, HALT stops the run.");
    if (d == Decision.SKIP) {
      append(RecordType.STEP_SUCCEEDED, path, data("attempt", rec.attempts, "reconciled", true,
          "markedDoneBy", lastActor, "how", "marked done by " + lastActor));
      StepOutcome o = new StepOutcome.AlreadyApplied(rec.attempts, "marked done by " + lastActor);
      finished(path, o);
      return Optional.of(o);
    }
    if (d == Decision.FAIL) return Optional.of(declaredFailed(path));
    if (d == Decision.HALT) throw new Halt(lastGate, "step '" + path + "' is in doubt; halted by " + lastActor);
    return Optional.empty();
  }

  /** A human said an in-doubt step failed: record a final failure so the policy applies. */
  private StepOutcome declaredFailed(String path) {
    RunState.StepRec rec = state.step(path);
    String error = "declared failed by " + lastActor + " (outcome was unknown: " + (rec.error.isEmpty() ? "crash" : rec.error) + ")";
    append(RecordType.STEP_FAILED, path, data("attempt", rec.attempts, "error", error, "final", true, "declared", true));
    StepOutcome o = new StepOutcome.Failed(rec.attempts, error, false);
    finished(path, o);
    return o;
  }

  private Reconciliation reconcile(Step step, String path, String knownGoodKey, String undoKey) {
    if (step.reconciler().isEmpty()) return Reconciliation.UNKNOWN;
    Ctx ctx = new Ctx(path, knownGoodKey, undoKey, state.step(path).attempts, Instant.MAX);
    try {
      Reconciliation r = step.reconciler().get().reconcile(ctx);
      return r == null ? Reconciliation.UNKNOWN : r;
    } catch (Exception e) {
      append(RecordType.NOTE, path, data("message", "reconcile failed: " + e));
      return Reconciliation.UNKNOWN;
    }
  }

  private StepOutcome attempts(Step step, String path, String knownGoodKey, String undoKey,
      @Nullable Map<String, Ctx> siblings) {
    RunState.StepRec rec = state.step(path);
    int used = rec.attempts - rec.cycleBase;
    int remaining = Math.max(1, step.retry().maxAttempts() - used);
    if (remaining == 1) {
      try {
        return attempt(step, path, knownGoodKey, undoKey, siblings, true, false);
      } catch (AttemptFailed | InDoubt e) {
        return failedOutcome(path);
      }
    }
    RetryPolicyBuilder<StepOutcome> b = RetryPolicy.<StepOutcome>builder()
        .handle(AttemptFailed.class)
        .abortOn(InDoubt.class)
        .withMaxAttempts(remaining);
    Duration initial = step.retry().initialDelay();
    Duration max = step.retry().maxDelay();
    if (initial.isZero()) {
      b.withDelay(Duration.ZERO);
    } else if (initial.equals(max)) {
      b.withDelay(initial);
    } else {
      b.withBackoff(initial, max);
    }
    if (step.retry().jitter() > 0) b.withJitter(step.retry().jitter());
    RetryPolicy<StepOutcome> policy = b.build();
    int[] n = {0};
    CompletableFuture<StepOutcome> f = Failsafe.with(policy).with(failsafeScheduler).getAsync(ex -> {
      n[0]++;
      boolean last = n[0] >= remaining;
      return attempt(step, path, knownGoodKey, undoKey, siblings, last, n[0] > 1);
    });
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw new Cancelled(cancelReason != null ? cancelReason : "interrupted");
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof FailsafeException fe && fe.getCause() != null) cause = fe.getCause();
      if (cause instanceof InDoubt) {
        Optional<StepOutcome> resolved = resolveInDoubtAfterTimeout(step, path);
        return resolved.orElseGet(() -> attempts(step, path, knownGoodKey, undoKey, siblings));
      }
      if (cause instanceof Halt h) throw h;
      if (cause instanceof Cancelled c) throw c;
      if (cause instanceof AttemptFailed) return failedOutcome(path);
      if (cause instanceof RuntimeException re) throw re;
      throw new RollbackException("step '" + path + "' failed inside the engine", cause);
    } catch (CancellationException e) {
      throw new Cancelled(cancelReason != null ? cancelReason : "cancelled");
    }
  }

  private Optional<StepOutcome> resolveInDoubtAfterTimeout(Step step, String path) {
    // the reconciler already said UNKNOWN inside the retry loop: ask a human
    return askAboutInDoubt(path, "Step '" + path + "' (" + step.describe() + ") timed out on attempt "
        + state.step(path).attempts + " and may have taken effect; it is neither idempotent nor reconcilable.");
  }

  private StepOutcome failedOutcome(String path) {
    RunState.StepRec rec = state.step(path);
    StepOutcome o = rec.status == RunState.Status.CANCELLED
        ? new StepOutcome.Cancelled(rec.attempts, rec.error)
        : new StepOutcome.Failed(rec.attempts, rec.error, rec.inDoubt);
    finished(path, o);
    return o;
  }

  /**
   * One attempt: undo snapshot (first attempt only), durable STEP_STARTED, the action (with its
   * timeout), the step's checks, then the outcome record.
   */
  private StepOutcome attempt(Step step, String path, String knownGoodKey, String undoKey,
      @Nullable Map<String, Ctx> siblings, boolean last, boolean afterFailure) throws AttemptFailed, InDoubt {
    checkCancelled();
    RunState.StepRec rec = state.step(path);
    if (afterFailure && rec.inDoubt && !step.isIdempotent()) {
      Reconciliation r = reconcile(step, path, knownGoodKey, undoKey);
      if (r == Reconciliation.APPLIED) {
        append(RecordType.STEP_SUCCEEDED, path, data("attempt", rec.attempts, "reconciled", true,
            "how", "reconcile observed APPLIED after a timeout"));
        StepOutcome o = new StepOutcome.AlreadyApplied(rec.attempts, "reconcile observed APPLIED after a timeout");
        finished(path, o);
        return o;
      }
      if (r == Reconciliation.UNKNOWN) throw new InDoubt("attempt " + rec.attempts + " timed out");
    }
    int attemptNo = rec.attempts + 1;
    Instant deadline = step.timeout().map(t -> svc.clock().instant().plus(t)).orElse(Instant.MAX);
    Ctx ctx = new Ctx(path, knownGoodKey, undoKey, attemptNo, deadline);
    if (step.undoCapture().isPresent() && !state.undoSnapshots.containsKey(undoKey) && path.equals(undoKey)) {
      Snapshot s;
      try {
        s = step.undoCapture().get().capture(ctx);
      } catch (Exception e) {
        String msg = "cannot capture the undo snapshot: " + e;
        append(RecordType.STEP_FAILED, path, data("attempt", attemptNo, "error", msg, "final", last));
        if (last) finished(path, new StepOutcome.Failed(attemptNo, msg, false));
        throw new AttemptFailed(msg, false);
      }
      append(RecordType.UNDO_SNAPSHOT, path, data("snapshot", s.values()));
    }
    append(RecordType.STEP_STARTED, path, data("attempt", attemptNo));
    Instant start = svc.clock().instant();
    svc.events().emit(new RollbackEvent.StepStarted(runId, path, attemptNo, start));
    if (siblings != null) siblings.put(path, ctx);
    active.add(ctx);
    String failure = null;
    boolean timedOut = false;
    boolean cancelled = false;
    String prevStep = MDC.get("rollback.step");
    MDC.put("rollback.step", path);
    try {
      invoke(step.action(), ctx, step.timeout().orElse(null));
      for (HealthCheck c : step.verifiedBy()) {
        Health h = safeCheck(c);
        svc.events().emit(new RollbackEvent.HealthChecked(runId, path, h, svc.clock().instant()));
        append(RecordType.HEALTH_CHECKED, path, healthData(h, h.isUp()));
        if (!h.isUp()) {
          failure = "check '" + c.name() + "' is " + h.status() + ": " + h.detail();
          break;
        }
      }
    } catch (TimeoutException e) {
      timedOut = true;
      failure = "timed out after " + step.timeout().orElseThrow() + "; the outcome is unknown";
    } catch (CancellationException | InterruptedException e) {
      cancelled = true;
      failure = ctx.cancelReason != null ? ctx.cancelReason : "interrupted";
      if (e instanceof InterruptedException) Thread.interrupted();
    } catch (Exception e) {
      if (ctx.cancelReason != null) {
        cancelled = true;
        failure = ctx.cancelReason;
      } else {
        failure = describe(e);
      }
    } finally {
      active.remove(ctx);
      if (prevStep == null) MDC.remove("rollback.step"); else MDC.put("rollback.step", prevStep);
    }
    long millis = Duration.between(start, svc.clock().instant()).toMillis();
    if (failure == null) {
      append(RecordType.STEP_SUCCEEDED, path, data("attempt", attemptNo, "millis", millis));
      StepOutcome o = new StepOutcome.Succeeded(attemptNo, Duration.ofMillis(millis));
      finished(path, o);
      log.info("plan '{}' step '{}' succeeded (attempt {}, {} ms)", planName, path, attemptNo, millis);
      return o;
    }
    if (cancelled) {
      append(RecordType.STEP_CANCELLED, path, data("attempt", attemptNo, "reason", failure));
      StepOutcome o = new StepOutcome.Cancelled(attemptNo, failure);
      finished(path, o);
      log.warn("plan '{}' step '{}' cancelled: {}", planName, path, failure);
      if (cancelReason != null) throw new Cancelled(cancelReason);
      return o;
    }
    append(RecordType.STEP_FAILED, path, data("attempt", attemptNo, "error", failure, "timedOut", timedOut, "final", last));
    log.warn("plan '{}' step '{}' attempt {} failed: {}", planName, path, attemptNo, failure);
    if (last) {
      StepOutcome o = new StepOutcome.Failed(attemptNo, failure, timedOut);
      finished(path, o);
      notify(NotificationKind.STEP_FAILED, "Step failed: " + path,
          "Step '" + path + "' (" + step.describe() + ") failed after " + attemptNo + " attempt(s): " + failure,
          Map.of("step", path, "error", failure));
      return o;
    }
    throw new AttemptFailed(failure, timedOut);
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private void finished(String path, StepOutcome o) {
    outcomes.put(path, o);
    svc.events().emit(new RollbackEvent.StepFinished(runId, path, o, svc.clock().instant()));
  }

  /** Runs the action inline (no timeout) or on the executor with a timeout on the engine's timer. */
  private void invoke(StepAction action, Ctx ctx, @Nullable Duration timeout) throws Exception {
    if (timeout == null) {
      ctx.thread = Thread.currentThread();
      try {
        action.run(ctx);
      } finally {
        ctx.thread = null;
      }
      return;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    ctx.done = done;
    Future<?> work = svc.executor().submit(() -> {
      ctx.thread = Thread.currentThread();
      MDC.put("rollback.plan", planName);
      MDC.put("rollback.step", ctx.path);
      try {
        action.run(ctx);
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      } finally {
        ctx.thread = null;
        MDC.remove("rollback.step");
        MDC.remove("rollback.plan");
      }
    });
    Timer.Cancellable timer = svc.timer().schedule(() -> {
      if (done.completeExceptionally(new TimeoutException())) {
        ctx.cancelled = true;
      }
    }, timeout);
    try {
      done.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof TimeoutException te) {
        work.cancel(true);
        throw te;
      }
      if (c instanceof Exception ex) throw ex;
      throw new RollbackException("step '" + ctx.path + "' threw " + c, c);
    } catch (CancellationException | InterruptedException e) {
      work.cancel(true);
      throw e;
    } finally {
      timer.cancel();
    }
  }

  // ------------------------------------------------------------------ gates

  private volatile @Nullable GateRequest lastGate;
  private volatile String lastActor = "";

  /**
   * Waits for a decision at a gate. A decision already in the journal is reused, except HALT:
   * a halted gate opens again (with the next number) when the run is resumed.
   */
  private Decision gate(GateKind kind, String path, String qualifier, Gate gate, String question) {
    String base = runId + "/" + path + "/" + kind + "@" + qualifier;
    int n = 1;
    while (true) {
      RunState.GateRec rec = state.gates.get(base + "#" + n);
      if (rec == null || rec.decision == null) break;
      if (rec.decision != Decision.HALT) {
        svc.gates().remember(rec.id, new GateRegistry.Answer(rec.decision, rec.actor, rec.timedOut, rec.decidedAt));
        lastActor = rec.actor;
        return rec.decision;
      }
      n++;
    }
    String id = base + "#" + n;
    Instant now = svc.clock().instant();
    Instant deadline = now.plus(gate.timeout());
    String fullQuestion = question + " If nobody answers by " + deadline + ", the gate decides " + gate.onTimeout() + ".";
    GateRequest req = new GateRequest(id, runId, gate.name(), kind, path, fullQuestion, kind.options(), now, deadline,
        gate.onTimeout());
    if (!state.gates.containsKey(id)) {
      append(RecordType.GATE_OPENED, path, data("gateId", id, "gate", gate.name(), "kind", kind.name(),
          "question", fullQuestion, "options", kind.options().stream().map(Enum::name).toList(),
          "deadline", deadline.toString(), "onTimeout", gate.onTimeout().name(),
          "onTimeoutChosenByAuthor", gate.onTimeout() != Decision.HALT));
    }
    myGates.add(id);
    CompletableFuture<GateRegistry.Answer> answer = svc.gates().open(req);
    Decision timeoutDecision = kind.options().contains(gate.onTimeout()) ? gate.onTimeout() : Decision.HALT;
    Timer.Cancellable timer = svc.timer().schedule(() -> {
      try {
        svc.gates().answer(id, timeoutDecision, "timeout", true);
      } catch (RuntimeException ignored) {
        // answered by a human first
      }
    }, gate.timeout());
    svc.events().emit(new RollbackEvent.GateOpened(runId, req, now));
    log.warn("plan '{}' run {} waits at gate {}: {}", planName, runId, id, fullQuestion);
    notify(NotificationKind.HUMAN_NEEDED, "Decision needed: " + planName, fullQuestion,
        Map.of("gateId", id, "options", kind.options().toString(), "onTimeout", timeoutDecision.name(),
            "deadline", deadline.toString()));
    synchronized (firstGate) {
      firstGate.notifyAll();
    }
    GateRegistry.Answer a;
    try {
      a = answer.get();
    } catch (InterruptedException | CancellationException e) {
      svc.gates().abandon(id);
      throw new Cancelled(cancelReason != null ? cancelReason : "interrupted at gate " + id);
    } catch (ExecutionException e) {
      throw new RollbackException("gate " + id + " failed", e.getCause());
    } finally {
      timer.cancel();
      myGates.remove(id);
    }
    append(RecordType.GATE_DECIDED, path, data("gateId", id, "decision", a.decision().name(), "actor", a.actor(),
        "timedOut", a.timedOut()));
    log.info("plan '{}' run {} gate {} decided {} by {}", planName, runId, id, a.decision(), a.actor());
    svc.events().emit(new RollbackEvent.GateDecided(runId, id, a.decision(), a.actor(), a.timedOut(), a.at()));
    escalation.gateClosed(id);
    if (!a.timedOut()) escalation.acknowledged(a.at()); // a human answered: someone has the incident
    lastGate = req;
    lastActor = a.actor();
    return a.decision();
  }

  // ------------------------------------------------------------------ helpers

  private void checkCancelled() {
    String r = cancelReason;
    if (r != null) throw new Cancelled(r);
  }

  /** Waits on the engine's timer (virtual time under a ManualClock). */
  private void pause(Duration d) {
    if (d.isZero() || d.isNegative()) return;
    CompletableFuture<Void> f = new CompletableFuture<>();
    Timer.Cancellable t = svc.timer().schedule(() -> f.complete(null), d);
    try {
      f.get();
    } catch (InterruptedException e) {
      t.cancel();
      throw new Cancelled(cancelReason != null ? cancelReason : "interrupted");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private void notify(NotificationKind kind, String title, String text, Map<String, String> facts) {
    if (communication.isEmpty()) return;
    svc.notifications().dispatch(this::journalNotification, communication, kind, runId, planName, deployment,
        title, text, facts, Notification.dedupKeyFor(runId), svc.clock().instant());
    escalation.paged(kind, title, text, facts, facts.get("gateId"));
  }

  private void journalNotification(Map<String, Object> d) {
    try {
      append(RecordType.NOTIFICATION, null, d);
    } catch (RuntimeException e) {
      log.warn("plan '{}' run {}: could not journal a notification outcome: {}", planName, runId, e.toString());
    }
  }

  private String summarize(RunOutcome outcome) {
    return switch (outcome) {
      case RELEASED -> "all " + release.changes().size() + " changes applied and healthy";
      case RECOVERED -> (mode == RunMode.RELEASE ? "release reverted (" + state.revertReason + ")" : "rolled back")
          + (failedSteps.isEmpty() ? "" : "; failed or skipped steps: " + failedSteps)
          + (verification.isEmpty() ? "" : "; verification UP");
      case NOT_RECOVERED -> (mode == RunMode.RELEASE ? "release reverted (" + state.revertReason + ") but " : "")
          + (verification.stream().anyMatch(h -> !h.isUp())
              ? "verification failed: " + verification.stream().filter(h -> !h.isUp()).map(Health::toString).toList()
              : "steps failed: " + failedSteps);
      case ABANDONED -> "rollback abandoned: " + state.abandonReason;
      default -> outcome.name();
    };
  }

  private Map<String, StepOutcome> orderedOutcomes() {
    Map<String, StepOutcome> m = new LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    if (plan != null) {
      for (Stage st : plan.stages()) for (Step s : st.steps()) order.add(st.name() + "/" + s.name());
      if (state.abandoning) {
        List<String> undo = new ArrayList<>();
        for (String p : order) if (outcomes.containsKey(p + "/undo")) undo.add(p + "/undo");
        Collections.reverse(undo);
        order.addAll(undo);
      }
    } else {
      for (Change c : release.changes()) order.add(c.name() + "/apply");
      List<Change> rev = new ArrayList<>(release.changes());
      Collections.reverse(rev);
      for (Change c : rev) if (outcomes.containsKey(c.name() + "/revert")) order.add(c.name() + "/revert");
    }
    for (String p : order) m.put(p, outcomes.getOrDefault(p, new StepOutcome.NotRun()));
    return m;
  }

  // ------------------------------------------------------------------ context

  private final class Ctx implements StepContext {
    final String path;
    final String knownGoodKey;
    final @Nullable String undoKey;
    final int attempt;
    final Instant deadline;
    volatile boolean cancelled;
    volatile @Nullable String cancelReason;
    volatile @Nullable Thread thread;
    volatile @Nullable CompletableFuture<Void> done;
    volatile @Nullable CompletableFuture<Void> sleeping;

    Ctx(String path, String knownGoodKey, @Nullable String undoKey, int attempt, Instant deadline) {
      this.path = path;
      this.knownGoodKey = knownGoodKey;
      this.undoKey = undoKey;
      this.attempt = attempt;
      this.deadline = deadline;
    }

    void cancel(String reason) {
      if (cancelled) return;
      cancelReason = reason;
      cancelled = true;
      CompletableFuture<Void> d = done;
      if (d != null) d.completeExceptionally(new CancellationException(reason));
      CompletableFuture<Void> s = sleeping;
      if (s != null) s.completeExceptionally(new CancellationException(reason));
      Thread t = thread;
      if (t != null) t.interrupt();
    }

    @Override public String runId() { return runId; }
    @Override public String planName() { return planName; }
    @Override public String stepPath() { return path; }
    @Override public Deployment deployment() { return deployment; }
    @Override public String idempotencyKey() { return runId + ":" + path; }
    @Override public int attempt() { return attempt; }
    @Override public Instant deadline() { return deadline; }
    @Override public Clock clock() { return svc.clock(); }

    @Override
    public boolean isCancelled() {
      return cancelled || Execution.this.cancelReason != null;
    }

    @Override
    public void checkCancelled() {
      if (isCancelled()) {
        throw new CancellationException("step '" + path + "' cancelled: "
            + (cancelReason != null ? cancelReason : Execution.this.cancelReason));
      }
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      java.util.Objects.requireNonNull(duration, "duration");
      checkCancelled();
      if (duration.isNegative() || duration.isZero()) return;
      CompletableFuture<Void> wake = new CompletableFuture<>();
      sleeping = wake;
      Timer.Cancellable timer = svc.timer().schedule(() -> wake.complete(null), duration);
      try {
        if (isCancelled()) wake.completeExceptionally(new CancellationException(String.valueOf(cancelReason)));
        wake.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("sleep of step '" + path + "' failed", e.getCause());
      } finally {
        timer.cancel();
        sleeping = null;
      }
      checkCancelled();
    }

    @Override
    public Optional<Snapshot> knownGood() {
      return Optional.ofNullable(state.knownGood.get(knownGoodKey));
    }

    @Override
    public Optional<Snapshot> undoSnapshot() {
      return undoKey == null ? Optional.empty() : Optional.ofNullable(state.undoSnapshots.get(undoKey));
    }

    @Override
    public void checkpoint(String key, String value) {
      append(RecordType.CHECKPOINT, path, data("key", key, "value", value));
    }

    @Override
    public Map<String, String> checkpoints() {
      Map<String, String> c = state.checkpoints.get(path);
      return c == null ? Map.of() : Map.copyOf(c);
    }

    @Override
    public void note(String message) {
      append(RecordType.NOTE, path, data("message", message));
      svc.events().emit(new RollbackEvent.Note(runId, path, message, svc.clock().instant()));
    }

    @Override
    public String toString() {
      return "StepContext[" + runId + ":" + path + " attempt " + attempt + "]";
    }
  }
}
