package dev.rollback.internal.engine;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.RollbackException;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.SnapshotCapture;
import dev.rollback.StepOutcome;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.StepLease;
import dev.rollback.engine.HeldLease;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackRun;
import dev.rollback.internal.Timer;
import dev.rollback.internal.communication.NotificationDispatcher;
import dev.rollback.internal.communication.PageEscalation;
import dev.rollback.internal.detect.Evaluators;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory.StepHistory;
import dev.rollback.journal.RunHistory.StepStatus;
import dev.rollback.journal.RunHistory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
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
 * One run of a {@link Program}: the policy loop. Walks the program's forward elements, applies
 * the failure policy to each unit's outcome, compensates in reverse order when the program is
 * reverted or abandoned, and verifies. A unit is run to its outcome by the {@link StepRunner};
 * every event goes through the run's {@link RunLog}, its one writer. A resumed run rebuilds its
 * history from the journal and walks the same path, skipping what is done.
 */
public final class Run implements RollbackRun {
  private static final Logger log = LoggerFactory.getLogger(Run.class);

  /** What the engine shares with each run. */
  public record Services(Journal journal, Clock clock, Timer timer, ExecutorService executor,
      GateRegistry gates, EventBus events, NotificationDispatcher notifications) {}

  // ---- control flow (never leaves the run)
  static final class Halt extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final @Nullable GateRequest gate;
    Halt(@Nullable GateRequest gate, String why) { super(why, null, false, false); this.gate = gate; }
  }

  static final class Cancelled extends RuntimeException {
    private static final long serialVersionUID = 1L;
    Cancelled(String why) { super(why, null, false, false); }
  }

  /** The forward elements stop: compensate (revert or abandon) for this reason. */
  private static final class Compensate extends RuntimeException {
    private static final long serialVersionUID = 1L;
    Compensate(String why) { super(why, null, false, false); }
  }

  /** A decision taken at a gate, and the gate. */
  record Answer(Decision decision, String actor, @Nullable GateRequest gate) {}

  final Services svc;
  final Program program;
  final RunLog log_;
  final RunHistory history;
  private final String runId;
  private final boolean resumed;
  private final String startReason;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final List<Health> verification = new ArrayList<>();
  final Set<StepRunner.Ctx> active = ConcurrentHashMap.newKeySet();
  private final Set<String> myGates = ConcurrentHashMap.newKeySet();
  private final CompletableFuture<RollbackResult> result = new CompletableFuture<>();
  private final Object gateSignal = new Object();
  private volatile @Nullable String cancelReason;
  private volatile @Nullable Thread runThread;
  /** Held while the run's thread is interrupted or let go, so no interrupt reaches it after the run. */
  private final Object runThreadLock = new Object();
  private Timer.@Nullable Cancellable budgetTimer;
  private final PageEscalation escalation;
  private final StepRunner steps;
  /** The triggers' evaluators, created when the run first evaluates them: their state is this run's alone. */
  private @Nullable List<Trigger.Evaluator> evaluators;
  /** The lease the run acts under, renewed while it runs; null without one. */
  private final @Nullable LeaseKeeper keeper;
  /** The soak window given with the run's options (a guard's), overriding the program's; null: the program's. */
  private @Nullable Duration soakWindow;
  /** Triggers watched during the soak besides the program's (a guard's own). */
  private List<Trigger> soakTriggers = List.of();
  /** What broke recovery during the soak, for the summary; null while it holds. */
  private @Nullable String soakRegression;
  /** The run ended RECOVERED with nothing that defines recovered: no check, no soak. */
  private boolean unverified;

  public Run(Services svc, Program program, String runId, RunHistory history, long fence, boolean resumed,
      String reason, List<String> problems) {
    this(svc, program, runId, history, fence, null, resumed, reason, problems);
  }

  /** A run acting under {@code lease} (its token fences the journal) when it is not null. */
  public Run(Services svc, Program program, String runId, RunHistory history, long fence, @Nullable HeldLease lease,
      boolean resumed, String reason, List<String> problems) {
    this.svc = svc;
    this.program = program;
    this.runId = runId;
    this.history = history;
    this.log_ = new RunLog(svc.journal(), svc.clock(), runId, lease != null ? lease.grant().fencingToken() : fence, history);
    this.keeper = lease == null ? null : new LeaseKeeper(runId, lease, svc.clock(), svc.timer(),
        svc.clock() instanceof ManualClock ? null : svc.executor(), this::leaseLost);
    this.resumed = resumed;
    this.startReason = reason;
    this.problems.addAll(problems);
    this.steps = new StepRunner(this, new TimerScheduler(svc.timer(), svc.executor()));
    this.escalation = new PageEscalation(program.communication(), svc.notifications(), svc.timer(), svc.clock(), runId,
        program.name(), program.deployment(), new PageEscalation.Run() {
          @Override
          public void escalated(Map<String, Object> data, NotificationKind kind, String from, String to, Duration waited) {
            try {
              append(Notices.escalated(data));
            } catch (RuntimeException e) {
              log.warn("plan '{}' run {}: could not journal the escalation to {}: {}", program.name(), runId, to, e.toString());
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
  @Override public String plan() { return program.name(); }
  @Override public Deployment deployment() { return program.deployment(); }
  @Override public CompletableFuture<RollbackResult> result() { return result; }

  @Override
  public RollbackResult await() {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RollbackException("interrupted while waiting for run " + runId + " of plan '" + program.name() + "'", e);
    } catch (ExecutionException e) {
      throw new RollbackException("run " + runId + " of plan '" + program.name() + "' failed inside the engine: "
          + e.getCause(), e.getCause());
    }
  }

  @Override
  public RollbackResult await(Duration timeout) {
    try {
      return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RollbackException("run " + runId + " of plan '" + program.name() + "' still running after " + timeout
          + (pendingGates().isEmpty() ? "" : "; it waits on gate " + pendingGates().get(0).id()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RollbackException("interrupted while waiting for run " + runId, e);
    } catch (ExecutionException e) {
      throw new RollbackException("run " + runId + " of plan '" + program.name() + "' failed inside the engine: "
          + e.getCause(), e.getCause());
    }
  }

  /**
   * A soak of {@code window} (null: the program's) watching {@code triggers} besides the program's;
   * set by the engine before the run starts.
   */
  public void soakWith(@Nullable Duration window, List<Trigger> triggers) {
    this.soakWindow = window;
    this.soakTriggers = List.copyOf(triggers);
  }

  /** The soak this run watches after a RECOVERED verification, if any. */
  private dev.rollback.@Nullable Soak soak() {
    if (soakWindow != null) {
      if (soakWindow.isZero()) return null;
      Duration every = program.soak().map(dev.rollback.Soak::interval).orElse(dev.rollback.Soak.of(soakWindow).interval());
      return new dev.rollback.Soak(soakWindow, every.compareTo(soakWindow) > 0 ? soakWindow : every);
    }
    return program.soak().orElse(null);
  }

  /** What a step sees of the run's lease: the kept lease, or none. */
  StepLease lease() {
    LeaseKeeper k = keeper;
    return k != null ? k : StepLease.none();
  }

  /**
   * The lease is lost (a renewal found it taken over or about to lapse, or a system refused a
   * write for a higher token): nothing more goes to the journal, the step in flight is
   * interrupted, and the run ends CANCELLED, left for the replica that holds the lease now.
   */
  void leaseLost(String why) {
    LeaseKeeper k = keeper;
    if (k == null) {
      cancel("a step found the run fenced off: " + why);
      return;
    }
    log_.detach();
    k.lose(why);
    cancel("lost the lease " + k.name() + " (fencing token " + k.token() + "): " + k.lostBecause());
  }

  @Override
  public void cancel(String reason) {
    if (result.isDone() || cancelReason != null) return;
    cancelReason = reason == null || reason.isBlank() ? "cancelled" : reason;
    escalation.stop();
    for (StepRunner.Ctx c : active) c.cancel("run cancelled: " + cancelReason);
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
        synchronized (gateSignal) {
          gateSignal.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
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
      throw new RollbackException("run " + runId + " of plan '" + program.name() + "' has ended; nothing to acknowledge");
    }
    JournalRecord r = append(new JournalEvent.Acknowledged(actor, source));
    escalation.acknowledged(r.at());
    log.info("plan '{}' run {} acknowledged by {} via {}", program.name(), runId, actor, source);
    svc.events().emit(new RollbackEvent.Acknowledged(runId, actor, source, r.at()));
  }

  /** Journals an event into this run (a notification outcome of the guard that started it). */
  public void record(JournalEvent.Known event) {
    append(event);
  }

  /** The run's history: what its journal says, as it is written. */
  public RunHistory history() {
    return history;
  }

  JournalRecord append(JournalEvent.Known event) {
    return log_.append(event);
  }

  // ------------------------------------------------------------------ start

  /** Journals RUN_CREATED and the known-good snapshots; before {@link #run()}, or on its own by a guard. */
  public KnownGood captureKnownGood() {
    if (!history.isCreated() && !history.isStarted()) append(new JournalEvent.RunCreated(identity()));
    Map<String, Snapshot> out = new LinkedHashMap<>(history.knownGood());
    for (Map.Entry<String, SnapshotCapture> e : program.knownGoodCaptures().entrySet()) {
      if (out.containsKey(e.getKey())) continue;
      Snapshot s;
      try {
        s = e.getValue().capture(steps.contextFor(e.getKey(), e.getKey(), null));
      } catch (Exception ex) {
        throw new RollbackException("plan '" + program.name() + "': cannot capture the known-good state of '"
            + e.getKey() + "': " + ex.getMessage(), ex);
      }
      append(new JournalEvent.KnownGoodCaptured(e.getKey(), s));
      out.put(e.getKey(), s);
    }
    return new KnownGood(runId, out);
  }

  private JournalEvent.Identity identity() {
    Deployment d = program.deployment();
    return new JournalEvent.Identity(program.journalMode(), program.name(), d.id(), d.service(), d.version(),
        program.fingerprint(), program.outline());
  }

  /**
   * Runs on the calling thread instead of the engine's executor: no hand-off between the call and
   * the first step. The caller's MDC is put back afterwards, and an interrupt that a
   * {@link #cancel} aimed at this run is cleared once it has ended.
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

  /** Runs until the run ends; completes {@link #result()}. */
  public void run() {
    runThread = Thread.currentThread();
    if (keeper != null) keeper.start();
    MDC.put("rollback.plan", program.name());
    MDC.put("rollback.run", runId);
    RunOutcome outcome;
    String summary;
    GateRequest haltedAt = null;
    try {
      begin();
      outcome = execute();
      summary = summarize(outcome);
    } catch (Halt h) {
      outcome = RunOutcome.HALTED;
      haltedAt = h.gate;
      summary = "halted: " + h.getMessage();
    } catch (Cancelled c) {
      outcome = RunOutcome.CANCELLED;
      summary = "cancelled: " + c.getMessage();
    } catch (RuntimeException | Error e) {
      outcome = RunOutcome.HALTED;
      summary = "halted by an internal error: " + e;
      internalError(null, e);
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
    boolean leaseLost = keeper != null && keeper.isLost();
    if (leaseLost) {
      outcome = RunOutcome.CANCELLED;
      summary = "stopped: lost the lease " + keeper.name() + " (fencing token " + keeper.token() + "): "
          + keeper.lostBecause() + "; nothing was written to the journal after that, and the replica that holds the"
          + " lease now resumes run " + runId;
      problems.add(summary);
    }
    Instant end;
    if (leaseLost) {
      // nothing goes to the journal, not even when the loss raced the run's end: a PLAN_COMPLETED
      // here would make the replica that holds the lease now stand down instead of finishing the run
      end = svc.clock().instant();
    } else {
      try {
        end = append(new JournalEvent.PlanCompleted(outcome.name(), summary, haltedAt == null ? null : haltedAt.id(),
            !(unverified && outcome == RunOutcome.RECOVERED))).at();
      } catch (RuntimeException e) {
        end = svc.clock().instant();
        problems.add("could not journal the outcome: " + e.getMessage());
      }
    }
    Instant started = history.startedAt().orElse(end);
    if (leaseLost) {
      log.warn("plan '{}' run {} {}", program.name(), runId, summary);
    } else {
      log.info("plan '{}' run {} ended {}: {}", program.name(), runId, outcome, summary);
      notify(outcome.isSuccess() ? NotificationKind.ROLLBACK_COMPLETED : NotificationKind.ROLLBACK_FAILED,
          program.name() + " " + outcome, summary, Map.of("outcome", outcome.name()));
    }
    svc.events().emit(new RollbackEvent.RunFinished(runId, outcome, Duration.between(started, end), end));
    Map<String, StepOutcome> outcomes = orderedOutcomes();
    MDC.remove("rollback.plan");
    MDC.remove("rollback.run");
    // before anyone waiting on the result goes on (a process that exits right after): the lease is free now
    if (keeper != null) keeper.release();
    result.complete(new RollbackResult(runId, program.name(), program.deployment(), program.mode(), outcome, outcomes,
        verification, problems, haltedAt, started, end, summary, !(unverified && outcome == RunOutcome.RECOVERED)));
  }

  /** Journals an error of the engine itself (type, message, stack trace) where every report shows it. */
  void internalError(@Nullable String step, Throwable e) {
    log.error("plan '{}' run {} stopped by an internal error", program.name(), runId, e);
    problems.add("internal error" + (step == null ? "" : " in step '" + step + "'") + ": " + e);
    try {
      append(JournalEvent.InternalError.of(step, e));
    } catch (RuntimeException journalFailed) {
      problems.add("could not journal the internal error: " + journalFailed.getMessage());
    }
  }

  private void begin() {
    if (resumed) {
      append(new JournalEvent.PlanResumed(startReason, program.fingerprint()));
      log.info("plan '{}' run {} resumed: {}", program.name(), runId, startReason);
    } else {
      if (program.captureKnownGoodAtStart()) captureKnownGood();
      append(new JournalEvent.PlanStarted(identity(), startReason));
      log.info("plan '{}' run {} started for {}: {}", program.name(), runId, program.deployment(), startReason);
      for (String w : program.warnings()) {
        if (soakWindow != null && !soakWindow.isZero() && w.contains("nothing defines")) continue; // the guard's soak defines it
        log.warn("plan '{}' run {}: {}", program.name(), runId, w);
        append(new JournalEvent.NoteAdded(null, "plan warning: " + w));
      }
    }
    svc.events().emit(new RollbackEvent.RunStarted(runId, program.name(), program.deployment(), program.mode(), resumed,
        svc.clock().instant()));
    if (program.announceStart() && !resumed) {
      svc.events().emit(new RollbackEvent.RollbackTriggered(runId, startReason, svc.clock().instant()));
      notify(NotificationKind.ROLLBACK_TRIGGERED, "Rolling back " + program.deployment().id(),
          program.texts().noun() + " '" + program.name() + "' started: " + startReason, Map.of("reason", startReason));
    }
    if (program.budget().isPresent() && !history.budgetExceeded() && history.startedAt().isPresent()) {
      Duration budget = program.budget().get();
      Duration left = budget.minus(Duration.between(history.startedAt().get(), svc.clock().instant()));
      budgetTimer = svc.timer().schedule(() -> budgetExceeded(budget), left.isNegative() ? Duration.ZERO : left);
    }
  }

  private void budgetExceeded(Duration budget) {
    if (result.isDone()) return;
    Duration elapsed = Duration.between(history.startedAt().orElseThrow(), svc.clock().instant());
    try {
      append(new JournalEvent.BudgetExceeded(budget, elapsed));
    } catch (RuntimeException e) {
      log.warn("plan '{}' run {}: could not journal the budget breach", program.name(), runId, e);
    }
    log.warn("plan '{}' run {} exceeded its budget of {} ({} so far); it goes on", program.name(), runId, budget, elapsed);
    svc.events().emit(new RollbackEvent.BudgetExceeded(runId, budget, elapsed, svc.clock().instant()));
    notify(NotificationKind.BUDGET_EXCEEDED, program.name() + " is over its budget",
        "The rollback has taken " + elapsed + ", over its budget of " + budget + "; it continues.",
        Map.of("budget", budget.toString(), "elapsed", elapsed.toString()));
  }

  // ------------------------------------------------------------------ the policy loop

  private boolean compensating() {
    return history.isReverting() || history.isAbandoning();
  }

  private RunOutcome execute() {
    if (!compensating()) {
      try {
        forward();
        return program.verifyAfterForward() ? soak(verify()) : RunOutcome.RELEASED;
      } catch (Compensate c) {
        startCompensation(c.getMessage());
      }
    }
    compensate();
    return program.verifyAfterCompensation() ? soak(verify()) : RunOutcome.ABANDONED;
  }

  private void forward() {
    int index = 0;
    for (Program.Element e : program.forward()) {
      index++;
      checkCancelled();
      if (e instanceof Program.Block b) {
        if (b.journaled() && !history.stageStarted(b.name())) append(new JournalEvent.StageStarted(b.name(), b.parallel()));
        if (b.parallel()) {
          runParallel(b);
        } else {
          for (Program.Unit u : b.units()) runWithPolicy(u);
        }
      } else if (e instanceof Program.Watch w) {
        evaluateTriggers(w.where(), index);
      } else if (e instanceof Program.HealthGate g) {
        healthGate(g, index);
      } else if (e instanceof Program.Bake bk) {
        bake(bk, index);
      }
    }
  }

  private void startCompensation(String reason) {
    if (compensating()) return;
    freezeIfNotRevertible(reason);
    append(program.compensating().apply(reason));
    log.warn("{} '{}' run {}: {}: {}", program.texts().noun().toLowerCase(), program.name(), runId,
        program.onFailure() == Program.OnFailure.ABANDON ? "abandoning, undoing completed steps" : "reverting", reason);
    if (!program.announceStart()) {
      svc.events().emit(new RollbackEvent.RollbackTriggered(runId, reason, svc.clock().instant()));
      notify(NotificationKind.ROLLBACK_TRIGGERED, "Rolling back " + program.deployment().id(),
          program.texts().noun() + " '" + program.name() + "' is being reverted: " + reason, Map.of("reason", reason));
    }
  }

  /**
   * A release that must revert while a change it applied (started) declared itself not safely
   * revertible freezes: nothing is reverted, and a FREEZE gate (paged to HUMAN_NEEDED) asks whether
   * to revert anyway (PROCEED) or keep it frozen (HALT, also on timeout: the run ends HALTED).
   */
  private void freezeIfNotRevertible(String reason) {
    List<String> frozenBy = new ArrayList<>();
    for (Program.Unit u : program.units()) {
      if (u.notRevertible() != null && history.stepHistory(u.path()).attempts() > 0) {
        frozenBy.add(u.label() + " (" + u.notRevertible() + ")");
      }
    }
    if (frozenBy.isEmpty()) return;
    String question = program.texts().noun() + " '" + program.name() + "' must be reverted (" + reason + "), but "
        + String.join(", ", frozenBy) + (frozenBy.size() == 1 ? " is" : " are") + " not safely revertible: it is frozen."
        + " Nothing was reverted; flags, traffic and workloads stay where they are. PROCEED reverts every applied change"
        + " anyway; HALT keeps it frozen (the run ends HALTED; resume it to be asked again).";
    if (history.gate(runId + "/release/" + GateKind.FREEZE + "@freeze#1").isEmpty()) {
      append(new JournalEvent.NoteAdded(null, "frozen instead of reverted: " + String.join(", ", frozenBy)));
      log.warn("{} '{}' run {} frozen instead of reverted: {}", program.texts().noun().toLowerCase(), program.name(), runId,
          frozenBy);
    }
    Answer a = gate(GateKind.FREEZE, "release", "freeze", Gate.named("frozen release"), question);
    if (a.decision() != Decision.PROCEED) {
      throw new Halt(a.gate(), "frozen instead of reverted (" + reason + "): " + String.join(", ", frozenBy)
          + " not safely revertible; kept frozen by " + a.actor());
    }
    append(new JournalEvent.NoteAdded(null, a.actor() + " chose to revert the frozen release anyway"));
  }

  /** Compensates, in reverse order, every unit that started (or succeeded, by the program) and has a compensation. */
  private void compensate() {
    List<Program.Unit> units = new ArrayList<>(program.units());
    Collections.reverse(units);
    for (Program.Unit u : units) {
      checkCancelled();
      if (u.compensation() == null) continue;
      StepHistory h = history.stepHistory(u.path());
      boolean due = program.compensateStarted() ? h.attempts() > 0 : h.isDone();
      if (!due) continue;
      runCompensation(u.compensation());
    }
  }

  /** Runs a forward unit and applies the program's failure policy until it is done, skipped, or the run stops. */
  private void runWithPolicy(Program.Unit u) {
    while (true) {
      StepOutcome o = steps.run(u, null);
      if (o.isDone() || o instanceof StepOutcome.Skipped) return;
      checkCancelled();
      if (o instanceof StepOutcome.Cancelled) continue; // a sibling failed: its effect is in doubt; decided on the next call
      String error = o instanceof StepOutcome.Failed f ? f.error() : String.valueOf(o);
      int attempts = history.stepHistory(u.path()).attempts();
      switch (program.onFailure()) {
        case REVERT -> throw new Compensate(u.label() + " failed: " + error);
        case CONTINUE -> {
          log.warn("plan '{}' step '{}' failed, continuing as the plan says: {}", program.name(), u.path(), error);
          return;
        }
        case ABANDON -> {
          Answer a = gate(GateKind.ABANDON, u.path(), "a" + attempts, program.abandonGate(),
              "Step '" + u.path() + "' failed: " + error + ". Abandon the rollback? PROCEED undoes every completed step in"
                  + " reverse order, which re-enables the bad release; HALT stops here.");
          if (a.decision() == Decision.PROCEED) throw new Compensate(u.label() + " failed: " + error);
          throw new Halt(a.gate(), "step '" + u.path() + "' failed and abandoning was not approved");
        }
        case ASK -> {
          Answer a = gate(GateKind.STEP_FAILED, u.path(), "a" + attempts, Gate.named("step failed"),
              "Step '" + u.path() + "' (" + u.step().describe() + ") failed after " + attempts + " attempt(s): " + error
                  + ". RETRY runs it again, SKIP goes on without it, HALT stops the run.");
          if (a.decision() == Decision.SKIP) {
            steps.skip(u.path(), "skipped after failure by " + a.actor());
            return;
          }
          if (a.decision() == Decision.HALT) throw new Halt(a.gate(), "step '" + u.path() + "' failed: " + error);
          // RETRY: a new cycle of attempts
        }
      }
    }
  }

  /** A revert or undo: retried, then the compensation policy (HALT_AND_ASK or CONTINUE). */
  private void runCompensation(Program.Unit u) {
    while (true) {
      StepOutcome o = steps.run(u, null);
      if (o.isDone() || o instanceof StepOutcome.Skipped) return;
      checkCancelled();
      String error = o instanceof StepOutcome.Failed f ? f.error() : String.valueOf(o);
      if (program.compensationPolicy() == FailurePolicy.CONTINUE) {
        log.warn("'{}' failed, continuing as the {} says: {}", u.path(), program.texts().noun().toLowerCase(), error);
        return;
      }
      int attempts = history.stepHistory(u.path()).attempts();
      Answer a = gate(GateKind.STEP_FAILED, u.path(), "a" + attempts, Gate.named(program.texts().compensationGateName()),
          "'" + u.path() + "' (" + u.step().describe() + ") failed after " + attempts + " attempt(s): " + error + ". "
              + program.texts().compensationQuestion());
      if (a.decision() == Decision.SKIP) {
        steps.skip(u.path(), "skipped after failure by " + a.actor());
        return;
      }
      if (a.decision() == Decision.HALT) throw new Halt(a.gate(), "'" + u.path() + "' failed: " + error);
    }
  }

  private void runParallel(Program.Block block) {
    List<Future<StepOutcome>> futures = new ArrayList<>();
    StepRunner.Siblings siblings = new StepRunner.Siblings();
    for (Program.Unit u : block.units()) {
      futures.add(svc.executor().submit(() -> {
        MDC.put("rollback.plan", program.name());
        MDC.put("rollback.run", runId);
        try {
          return steps.run(u, siblings);
        } catch (Halt | Cancelled signal) {
          siblings.cancelAll("sibling '" + u.path() + "' stopped: " + signal.getMessage());
          throw signal;
        } catch (RuntimeException | Error e) {
          // an error of the engine in this sibling: its siblings stop, the run halts with the cause on record
          siblings.cancelAll("sibling '" + u.path() + "' stopped by an internal error");
          internalError(u.path(), e);
          throw new Halt(null, "internal error in step '" + u.path() + "': " + e);
        } finally {
          MDC.remove("rollback.plan");
          MDC.remove("rollback.run");
        }
      }));
    }
    RuntimeException signal = null;
    List<@Nullable StepOutcome> results = new ArrayList<>();
    for (Future<StepOutcome> f : futures) {
      try {
        results.add(f.get());
      } catch (ExecutionException e) {
        results.add(null);
        if (signal == null || (signal instanceof Cancelled && e.getCause() instanceof Halt)) {
          signal = e.getCause() instanceof RuntimeException re ? re
              : new Halt(null, "step failed in the engine: " + e.getCause());
        }
      } catch (InterruptedException e) {
        siblings.cancelAll("run interrupted");
        waitQuietly(futures);
        throw new Cancelled(cancelReason != null ? cancelReason : "interrupted");
      }
    }
    if (signal != null) throw signal;
    // every outcome is recorded; now the policy for the failed steps (the cause), then the
    // cancelled siblings, whose effect is in doubt, then those that never started, each in plan order
    for (Class<?> kind : List.of(StepOutcome.Failed.class, StepOutcome.Cancelled.class, StepOutcome.NotRun.class)) {
      for (int i = 0; i < block.units().size(); i++) {
        if (kind.isInstance(results.get(i))) {
          checkCancelled();
          runWithPolicy(block.units().get(i));
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

  // ------------------------------------------------------------------ triggers, health gates, bakes

  private List<Trigger.Evaluator> evaluators() {
    if (evaluators == null) evaluators = Evaluators.of(program.triggers());
    return evaluators;
  }

  /** Evaluates the triggers; a ROLL_BACK (or a human's PROCEED on an inconclusive one) compensates. */
  private void evaluateTriggers(String where, int index) {
    for (Trigger.Evaluator evaluator : evaluators()) {
      Trigger t = evaluator.trigger();
      Evaluation ev = evaluator.evaluate(svc.clock().instant());
      if (ev.verdict() == Verdict.HOLD) continue;
      append(new JournalEvent.TriggerFired(t.name(), ev.verdict(), ev.evidence(), ev.facts(), where, null, null));
      if (ev.verdict() == Verdict.ROLL_BACK) {
        throw new Compensate("trigger '" + t.name() + "' fired " + where + ": " + ev.evidence());
      }
      Answer a = gate(GateKind.ROLL_BACK, "release", "e" + index, Gate.named("roll back?"),
          "Trigger '" + t.name() + "' is inconclusive " + where + ": " + ev.evidence()
              + ". PROCEED rolls the release back, SKIP keeps it, HALT stops here.");
      if (a.decision() == Decision.PROCEED) {
        throw new Compensate("trigger '" + t.name() + "' was inconclusive and " + a.actor() + " chose to roll back: "
            + ev.evidence());
      }
      if (a.decision() == Decision.HALT) throw new Halt(a.gate(), "trigger '" + t.name() + "' inconclusive; halted by " + a.actor());
    }
  }

  /** Polls the gate's check until UP; compensates when it is not UP in time or a trigger fires. */
  private void healthGate(Program.HealthGate g, int index) {
    if (history.gatePassed(g.name())) return;
    Instant deadline = svc.clock().instant().plus(g.within());
    Health last;
    while (true) {
      checkCancelled();
      last = safeCheck(g.check());
      svc.events().emit(new RollbackEvent.HealthChecked(runId, g.name(), last, svc.clock().instant()));
      if (last.isUp()) {
        append(healthEvent(g.name(), last, true));
        return;
      }
      evaluateTriggers("during " + g.name(), index);
      if (!svc.clock().instant().isBefore(deadline)) break;
      Duration left = Duration.between(svc.clock().instant(), deadline);
      pause(g.interval().compareTo(left) < 0 ? g.interval() : left);
    }
    append(healthEvent(g.name(), last, false));
    throw new Compensate(g.name() + " not UP within " + g.within() + ": " + last.status() + " — " + last.detail());
  }

  /** Evaluates the triggers for the bake's duration; compensates when one fires. */
  private void bake(Program.Bake bk, int index) {
    if (history.gatePassed(bk.name())) return;
    Instant end = svc.clock().instant().plus(bk.duration());
    while (svc.clock().instant().isBefore(end)) {
      checkCancelled();
      Duration left = Duration.between(svc.clock().instant(), end);
      pause(bk.interval().compareTo(left) < 0 ? bk.interval() : left);
      evaluateTriggers("while baking (" + bk.name() + ")", index);
    }
    append(new JournalEvent.HealthChecked(bk.name(), bk.name(), HealthStatus.UP, "triggers held for " + bk.duration(), 0,
        true));
  }

  // ------------------------------------------------------------------ verification

  private RunOutcome verify() {
    boolean allUp = true;
    for (HealthCheck c : program.verifiedBy()) {
      Health h = safeCheck(c);
      verification.add(h);
      append(healthEvent("verify", h, h.isUp()));
      svc.events().emit(new RollbackEvent.HealthChecked(runId, "verify", h, svc.clock().instant()));
      if (!h.isUp()) allUp = false;
    }
    if (!allUp) return RunOutcome.NOT_RECOVERED;
    if (program.verifiedBy().isEmpty() && !failedUnits().isEmpty()) return RunOutcome.NOT_RECOVERED;
    unverified = program.verifiedBy().isEmpty() && soak() == null;
    return RunOutcome.RECOVERED;
  }

  /**
   * After a RECOVERED verification, watches recovery for the soak's window: the program's checks
   * and the triggers (the program's and the run's own, with evaluators created now, so what they
   * saw of the bad release does not count) every interval. A check not UP at two polls in a row
   * (or at the last one), or a trigger that says ROLL_BACK, ends the soak: the run is
   * NOT_RECOVERED and the HUMAN_NEEDED audience hears the evidence. A resumed run continues the
   * soak it journaled until that soak's window ends.
   */
  private RunOutcome soak(RunOutcome outcome) {
    dev.rollback.Soak soak = soak();
    if (outcome != RunOutcome.RECOVERED || soak == null) return outcome;
    RunHistory.SoakHistory before = history.soak().orElse(null);
    if (before != null && before.isEnded()) {
      if (!before.held()) soakRegression = before.evidence();
      return before.held() ? outcome : RunOutcome.NOT_RECOVERED;
    }
    List<Trigger> triggers = new ArrayList<>(program.triggers());
    triggers.addAll(soakTriggers);
    List<String> checkNames = program.verifiedBy().stream().map(HealthCheck::name).toList();
    List<String> triggerNames = triggers.stream().map(Trigger::name).toList();
    Instant start;
    Duration window;
    Duration every;
    if (before == null) {
      start = append(new JournalEvent.SoakStarted(soak.window(), soak.interval(), checkNames, triggerNames)).at();
      window = soak.window();
      every = soak.interval();
    } else {
      start = before.startedAt();
      window = before.window();
      every = before.interval();
    }
    Instant end = start.plus(window);
    log.info("plan '{}' run {}: watching recovery for {} (every {}): checks {}, triggers {}", program.name(), runId,
        dev.rollback.internal.Durations.human(window), dev.rollback.internal.Durations.human(every), checkNames, triggerNames);
    List<Trigger.Evaluator> watching = Evaluators.of(triggers);
    Map<String, Integer> downInARow = new LinkedHashMap<>();
    java.util.Set<String> asked = new java.util.HashSet<>();
    String regression = null;
    int rounds = 0;
    while (regression == null) {
      checkCancelled();
      Instant now = svc.clock().instant();
      if (!now.isBefore(end)) break;
      Duration left = Duration.between(now, end);
      pause(every.compareTo(left) < 0 ? every : left);
      rounds++;
      now = svc.clock().instant();
      boolean last = !now.isBefore(end);
      String into = dev.rollback.internal.Durations.human(Duration.between(start, now)) + " into the soak";
      for (HealthCheck c : program.verifiedBy()) {
        Health h = safeCheck(c);
        svc.events().emit(new RollbackEvent.HealthChecked(runId, "soak", h, now));
        if (h.isUp()) {
          downInARow.remove(c.name());
          continue;
        }
        append(healthEvent("soak", h, false));
        int n = downInARow.merge(c.name(), 1, Integer::sum);
        if (n >= 2 || last) {
          regression = "check '" + c.name() + "' is " + h.status() + " " + into + (n >= 2 ? " (" + n + " polls in a row)" : "")
              + ": " + h.detail();
          break;
        }
      }
      if (regression != null) break;
      for (Trigger.Evaluator ev : watching) {
        Trigger t = ev.trigger();
        Evaluation e;
        try {
          e = last ? ev.evaluateAtDeadline(now) : ev.evaluate(now);
        } catch (RuntimeException x) {
          e = Evaluation.askHuman(t.name(), now, "trigger '" + t.name() + "' threw " + x);
        }
        if (e.verdict() == Verdict.ROLL_BACK) {
          append(new JournalEvent.TriggerFired(t.name(), Verdict.ROLL_BACK, e.evidence(), e.facts(), "during the soak", null, null));
          regression = "trigger '" + t.name() + "' fired " + into + ": " + e.evidence();
          break;
        }
        if (e.verdict() == Verdict.ASK_HUMAN && asked.add(t.name())) {
          append(new JournalEvent.TriggerFired(t.name(), Verdict.ASK_HUMAN, e.evidence(), e.facts(), "during the soak", null, null));
        }
      }
    }
    Instant now = svc.clock().instant();
    if (regression != null) {
      append(new JournalEvent.SoakEnded(false, regression));
      soakRegression = regression;
      log.warn("plan '{}' run {}: recovery did not hold: {}", program.name(), runId, regression);
      svc.events().emit(new RollbackEvent.SoakEnded(runId, false, regression, now));
      notify(NotificationKind.HUMAN_NEEDED, "Recovery did not hold: " + program.deployment().id(),
          program.texts().noun() + " '" + program.name() + "' completed its steps, but during the soak " + regression
              + ". The run ends NOT_RECOVERED: look at " + program.deployment().id() + " now.",
          Map.of("evidence", regression, "soakWindow", window.toString(), "soakStartedAt", start.toString()));
      return RunOutcome.NOT_RECOVERED;
    }
    String held = "recovery held for " + dev.rollback.internal.Durations.human(window) + " (" + rounds + " round"
        + (rounds == 1 ? "" : "s") + " of " + checkNames.size() + " check" + (checkNames.size() == 1 ? "" : "s") + " and "
        + triggerNames.size() + " trigger" + (triggerNames.size() == 1 ? "" : "s") + ")"
        + (asked.isEmpty() ? "" : "; inconclusive on the way: " + asked);
    append(new JournalEvent.SoakEnded(true, held));
    log.info("plan '{}' run {}: {}", program.name(), runId, held);
    svc.events().emit(new RollbackEvent.SoakEnded(runId, true, held, now));
    return outcome;
  }

  /**
   * Units that ended failed or were skipped after a failure: the forward units, or once the run
   * compensates, the compensations (the forward failure is then the reason, not the result).
   */
  private List<String> failedUnits() {
    if (history.failedOrSkippedSteps() == 0) return List.of();
    List<String> failed = new ArrayList<>();
    boolean compensating = compensating();
    for (Program.Unit u : program.units()) {
      if (!compensating) addIfFailed(failed, u.path());
      else if (u.compensation() != null) addIfFailed(failed, u.compensation().path());
    }
    return failed;
  }

  private void addIfFailed(List<String> failed, String path) {
    if (history.stepHistory(path).isFailedOrSkipped()) failed.add(path);
  }

  static Health safeCheck(HealthCheck c) {
    try {
      Health h = c.check();
      return h != null ? h : Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "check returned nothing");
    } catch (RuntimeException e) {
      return Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "check threw " + e);
    }
  }

  static JournalEvent.HealthChecked healthEvent(String path, Health h, boolean passed) {
    return new JournalEvent.HealthChecked(path, h.check(), h.status(), h.detail(), h.latency().toMillis(), passed);
  }

  // ------------------------------------------------------------------ gates

  /**
   * Waits for a decision at a gate. A decision already in the journal is reused, except HALT:
   * a halted gate opens again (with the next number) when the run is resumed.
   */
  Answer gate(GateKind kind, String path, String qualifier, Gate gate, String question) {
    String base = runId + "/" + path + "/" + kind + "@" + qualifier;
    int n = 1;
    while (true) {
      RunHistory.GateHistory rec = history.gate(base + "#" + n).orElse(null);
      if (rec == null || rec.decision() == null) break;
      if (rec.decision() != Decision.HALT) {
        svc.gates().remember(rec.id(), new GateRegistry.Answer(rec.decision(), rec.actor(), rec.timedOut(),
            rec.decidedAt() == null ? svc.clock().instant() : rec.decidedAt()));
        return new Answer(rec.decision(), rec.actor(), null);
      }
      n++;
    }
    String id = base + "#" + n;
    Instant now = svc.clock().instant();
    Instant deadline = now.plus(gate.timeout());
    String fullQuestion = question + " If nobody answers by " + deadline + ", the gate decides " + gate.onTimeout() + ".";
    GateRequest req = new GateRequest(id, runId, gate.name(), kind, path, fullQuestion, kind.options(), now, deadline,
        gate.onTimeout());
    if (history.gate(id).isEmpty()) {
      append(new JournalEvent.GateOpened(path, id, gate.name(), kind, fullQuestion, kind.options(), deadline,
          gate.onTimeout(), gate.onTimeout() != Decision.HALT));
    }
    Decision timeoutDecision = kind.options().contains(gate.onTimeout()) ? gate.onTimeout() : Decision.HALT;
    log.warn("plan '{}' run {} waits at gate {}: {}", program.name(), runId, id, fullQuestion);
    // the page (and its escalation timers) goes out before the gate is visible to pendingGates(),
    // so whoever sees the gate also sees everything that asks a human to answer it
    notify(NotificationKind.HUMAN_NEEDED, "Decision needed: " + program.name(), fullQuestion,
        Map.of("gateId", id, "options", kind.options().toString(), "onTimeout", timeoutDecision.name(),
            "deadline", deadline.toString()));
    myGates.add(id);
    CompletableFuture<GateRegistry.Answer> answer = svc.gates().open(req);
    if (cancelReason != null) svc.gates().abandon(id); // cancelled while the gate opened
    Timer.Cancellable timer = svc.timer().schedule(() -> {
      try {
        svc.gates().answer(id, timeoutDecision, "timeout", true);
      } catch (RuntimeException ignored) {
        // answered by a human first
      }
    }, gate.timeout());
    svc.events().emit(new RollbackEvent.GateOpened(runId, req, now));
    synchronized (gateSignal) {
      gateSignal.notifyAll();
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
    append(new JournalEvent.GateDecided(path, id, a.decision(), a.actor(), a.timedOut()));
    log.info("plan '{}' run {} gate {} decided {} by {}", program.name(), runId, id, a.decision(), a.actor());
    svc.events().emit(new RollbackEvent.GateDecided(runId, id, a.decision(), a.actor(), a.timedOut(), a.at()));
    escalation.gateClosed(id);
    if (!a.timedOut()) escalation.acknowledged(a.at()); // a human answered: someone has the incident
    return new Answer(a.decision(), a.actor(), req);
  }

  // ------------------------------------------------------------------ helpers

  void checkCancelled() {
    String r = cancelReason;
    if (r != null) throw new Cancelled(r);
  }

  @Nullable String cancelReason() {
    return cancelReason;
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

  void notify(NotificationKind kind, String title, String text, Map<String, String> facts) {
    if (program.communication().isEmpty()) return;
    svc.notifications().dispatch(this::journalNotification, program.communication(), kind, runId, program.name(),
        program.deployment(), title, text, facts, Notification.dedupKeyFor(runId), svc.clock().instant());
    escalation.paged(kind, title, text, facts, facts.get("gateId"));
  }

  private void journalNotification(Map<String, Object> d) {
    try {
      append(Notices.notification(d));
    } catch (RuntimeException e) {
      log.warn("plan '{}' run {}: could not journal a notification outcome: {}", program.name(), runId, e.toString());
    }
  }

  private String summarize(RunOutcome outcome) {
    List<String> failed = failedUnits();
    String compensated = program.texts().compensatedPrefix() + " (" + history.revertReason() + ")";
    return switch (outcome) {
      case RELEASED -> program.texts().forwardDone();
      case RECOVERED -> (history.isReverting() ? compensated : "rolled back")
          + (failed.isEmpty() ? "" : "; failed or skipped steps: " + failed)
          + (verification.isEmpty() ? "" : "; verification UP")
          + history.soak().filter(RunHistory.SoakHistory::held).map(k -> "; " + k.evidence()).orElse("")
          + (unverified ? "; not verified: nothing defines recovered (no verifiedBy check, no soak)" : "");
      case NOT_RECOVERED -> (history.isReverting() ? compensated + " but " : "")
          + (soakRegression != null ? "recovery did not hold during the soak: " + soakRegression
          : verification.stream().anyMatch(h -> !h.isUp())
              ? "verification failed: " + verification.stream().filter(h -> !h.isUp()).map(Health::toString).toList()
              : "steps failed: " + withErrors(failed));
      case ABANDONED -> program.texts().compensatedPrefix() + history.abandonReason();
      default -> outcome.name();
    };
  }

  /** Each failed path with the error it ended with: {@code [restore/db (IllegalStateException: lock timeout)]}. */
  private List<String> withErrors(List<String> failed) {
    List<String> out = new ArrayList<>();
    for (String path : failed) {
      StepHistory h = history.stepHistory(path);
      String why = h.status() == StepStatus.SKIPPED ? h.skipReason() : h.error();
      out.add(why.isEmpty() ? path : path + " (" + why + ")");
    }
    return out;
  }

  /** Each unit's outcome, by path: the forward units in order, then the compensations that ran, in the order they ran. */
  private Map<String, StepOutcome> orderedOutcomes() {
    List<Program.Unit> units = program.units();
    Map<String, StepOutcome> m = new LinkedHashMap<>(units.size() * 2);
    for (Program.Unit u : units) m.put(u.path(), StepRunner.outcomeOf(history.stepHistory(u.path())));
    List<Program.Unit> rev = new ArrayList<>(units);
    Collections.reverse(rev);
    for (Program.Unit u : rev) {
      if (u.compensation() == null) continue;
      StepHistory h = history.stepHistory(u.compensation().path());
      if (h.status() != StepStatus.NOT_STARTED) m.put(h.path(), StepRunner.outcomeOf(h));
    }
    return m;
  }
}
