package dev.rollback.internal.engine;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.RetryPolicyBuilder;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.LeaseLostException;
import dev.rollback.Reconciliation;
import dev.rollback.RollbackException;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepAction;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.StepOutcome;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.internal.Durations;
import dev.rollback.internal.Timer;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory.StepHistory;
import dev.rollback.journal.RunHistory.StepStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one unit of a program to an outcome: replays what the journal already knows, asks for
 * approval, resolves an in-doubt outcome (idempotent, reconcile, or a human), then makes attempts
 * with retries (Failsafe) and timeouts. Does not apply the failure policy: that is the
 * {@link Run}'s. Safe to call from several threads at once (the siblings of a parallel stage):
 * it keeps no state of its own, and every event goes through the run's one writer.
 */
final class StepRunner {
  private static final Logger log = LoggerFactory.getLogger(StepRunner.class);

  private static final class AttemptFailed extends Exception {
    private static final long serialVersionUID = 1L;
    AttemptFailed(String message) { super(message, null, false, false); }
  }

  /** Retrying stops: the last attempt's outcome is unknown and it must not run blindly again. */
  private static final class InDoubt extends Exception {
    private static final long serialVersionUID = 1L;
    InDoubt(String message) { super(message, null, false, false); }
  }

  /** The siblings of a parallel stage: a failure cancels the others, and stops those not started yet. */
  static final class Siblings {
    private final Map<String, Ctx> running = new ConcurrentHashMap<>();
    private volatile @Nullable String failure;

    void failed(String path, String error) {
      String why = "sibling '" + path + "' failed: " + error;
      if (failure == null) failure = why;
      for (Map.Entry<String, Ctx> e : running.entrySet()) {
        if (!e.getKey().equals(path)) e.getValue().cancel(why);
      }
    }

    void cancelAll(String why) {
      if (failure == null) failure = why;
      for (Ctx c : running.values()) c.cancel(why);
    }

    @Nullable String failure() {
      return failure;
    }
  }

  private final Run run;
  private final TimerScheduler failsafeScheduler;

  StepRunner(Run run, TimerScheduler failsafeScheduler) {
    this.run = run;
    this.failsafeScheduler = failsafeScheduler;
  }

  /** The outcome the history records for a step; NOT_RUN when it never started. */
  static StepOutcome outcomeOf(StepHistory h) {
    return switch (h.status()) {
      case NOT_STARTED -> new StepOutcome.NotRun();
      case SUCCEEDED -> h.reconciled()
          ? new StepOutcome.AlreadyApplied(h.attempts(), h.how().isEmpty() ? "recorded before" : h.how())
          : new StepOutcome.Succeeded(h.attempts(), h.duration().orElse(Duration.ZERO));
      case SKIPPED -> new StepOutcome.Skipped(h.attempts(), h.skipReason());
      case FAILED -> new StepOutcome.Failed(h.attempts(), h.error(), h.inDoubt());
      case CANCELLED -> new StepOutcome.Cancelled(h.attempts(), h.error());
      case STARTED -> new StepOutcome.Cancelled(h.attempts(), "outcome unknown: the run stopped while the step ran");
    };
  }

  private StepHistory rec(String path) {
    return run.history.stepHistory(path);
  }

  /** Records that a human chose to go on without the step. */
  void skip(String path, String reason) {
    run.append(new JournalEvent.StepSkipped(path, reason));
    finished(path);
  }

  /** A context outside an attempt (capturing the known-good state, reconciling). */
  Ctx contextFor(String path, String knownGoodKey, @Nullable String undoKey) {
    return new Ctx(path, knownGoodKey, undoKey, rec(path).attempts(), Instant.MAX);
  }

  StepOutcome run(Program.Unit u, @Nullable Siblings siblings) {
    Step step = u.step();
    String path = u.path();
    StepHistory h = rec(path);
    switch (h.status()) {
      case SUCCEEDED, SKIPPED -> {
        return outcomeOf(h);
      }
      case FAILED -> {
        if (h.finalFailure() && h.cycleBase() < h.attempts()) return outcomeOf(h);
      }
      default -> { }
    }
    if (step.approval().isPresent() && h.attempts() == 0) {
      Gate g = step.approval().get();
      Run.Answer a = run.gate(GateKind.APPROVAL, path, "before", g,
          "Approve step '" + path + "': " + step.describe() + "? PROCEED runs it, HALT stops the run.");
      if (a.decision() != Decision.PROCEED) {
        throw new Run.Halt(a.gate(), "step '" + path + "' was not approved (" + a.actor() + ")");
      }
      h = rec(path);
    }
    boolean inDoubt = h.status() == StepStatus.STARTED || h.status() == StepStatus.CANCELLED
        || (h.status() == StepStatus.FAILED && h.inDoubt() && h.cycleBase() < h.attempts());
    if (inDoubt) {
      Optional<StepOutcome> resolved = resolveInDoubt(u);
      if (resolved.isPresent()) return resolved.get();
      h = rec(path);
    }
    return attempts(u, h, siblings);
  }

  /**
   * Empty when the step should run (again); otherwise its outcome. A step that can observe its
   * effect is asked first, so what happened is recorded as it was (APPLIED is done, NOT_APPLIED
   * runs again); an idempotent step runs again when it cannot tell; any other step asks a human.
   */
  private Optional<StepOutcome> resolveInDoubt(Program.Unit u) {
    Step step = u.step();
    String path = u.path();
    StepHistory h = rec(path);
    Reconciliation r = reconcile(u);
    if (r == Reconciliation.APPLIED) {
      run.append(new JournalEvent.StepSucceeded(path, h.attempts(), true, "reconcile observed APPLIED", null));
      return Optional.of(finished(path));
    }
    if (r == Reconciliation.NOT_APPLIED) {
      run.append(new JournalEvent.NoteAdded(path, "outcome of attempt " + h.attempts()
          + " unknown; reconcile observed NOT_APPLIED, so it runs again"));
      return Optional.empty();
    }
    if (step.isIdempotent()) {
      run.append(new JournalEvent.NoteAdded(path, "outcome of attempt " + h.attempts()
          + " unknown; the step is idempotent, so it runs again"));
      return Optional.empty();
    }
    return askAboutInDoubt(path, "Step '" + path + "' (" + step.describe() + ") may or may not have taken effect (attempt "
        + h.attempts() + " was cut off: " + (h.error().isEmpty() ? "crash" : h.error())
        + "), and it is neither idempotent nor reconcilable.");
  }

  /**
   * The IN_DOUBT gate: empty when the step should run again (RETRY); its outcome when a human
   * said it took effect (SKIP) or failed (FAIL); HALT stops the run.
   */
  private Optional<StepOutcome> askAboutInDoubt(String path, String situation) {
    StepHistory h = rec(path);
    Run.Answer a = run.gate(GateKind.IN_DOUBT, path, "a" + h.attempts(), Gate.named("step in doubt"),
        situation + " RETRY runs it again, SKIP records it as done, FAIL records it as failed, HALT stops the run.");
    if (a.decision() == Decision.SKIP) {
      run.append(new JournalEvent.StepSucceeded(path, h.attempts(), true, "marked done by " + a.actor(), a.actor()));
      return Optional.of(finished(path));
    }
    if (a.decision() == Decision.FAIL) {
      String error = "declared failed by " + a.actor() + " (outcome was unknown: "
          + (h.error().isEmpty() ? "crash" : h.error()) + ")";
      run.append(new JournalEvent.StepFailed(path, h.attempts(), error, false, true, true));
      return Optional.of(finished(path));
    }
    if (a.decision() == Decision.HALT) throw new Run.Halt(a.gate(), "step '" + path + "' is in doubt; halted by " + a.actor());
    return Optional.empty();
  }

  private Reconciliation reconcile(Program.Unit u) {
    if (u.step().reconciler().isEmpty()) return Reconciliation.UNKNOWN;
    Ctx ctx = contextFor(u.path(), u.knownGoodKey(), u.undoKey());
    try {
      Reconciliation r = u.step().reconciler().get().reconcile(ctx);
      return r == null ? Reconciliation.UNKNOWN : r;
    } catch (Exception e) {
      run.append(new JournalEvent.NoteAdded(u.path(), "reconcile failed: " + e));
      return Reconciliation.UNKNOWN;
    }
  }

  /** {@code h}: the step's history as it is now (read by the caller). */
  private StepOutcome attempts(Program.Unit u, StepHistory h, @Nullable Siblings siblings) {
    Step step = u.step();
    String path = u.path();
    int used = h.attempts() - h.cycleBase();
    int remaining = Math.max(1, step.retry().maxAttempts() - used);
    if (remaining == 1) {
      try {
        return attempt(u, h, siblings, true, false);
      } catch (AttemptFailed | InDoubt e) {
        return finished(path);
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
      return attempt(u, siblings, n[0] >= remaining, n[0] > 1);
    });
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw new Run.Cancelled(run.cancelReason() != null ? run.cancelReason() : "interrupted");
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof FailsafeException fe && fe.getCause() != null) cause = fe.getCause();
      if (cause instanceof InDoubt) {
        // the reconciler already said UNKNOWN inside the retry loop: ask a human
        Optional<StepOutcome> resolved = askAboutInDoubt(path, "Step '" + path + "' (" + step.describe()
            + ") timed out on attempt " + rec(path).attempts() + " and may have taken effect; it is neither idempotent"
            + " nor reconcilable.");
        return resolved.orElseGet(() -> attempts(u, rec(path), siblings));
      }
      if (cause instanceof Run.Halt halt) throw halt;
      if (cause instanceof Run.Cancelled c) throw c;
      if (cause instanceof AttemptFailed) return finished(path);
      if (cause instanceof RuntimeException re) throw re;
      if (cause instanceof Error err) throw err;
      throw new RollbackException("step '" + path + "' failed inside the engine", cause);
    } catch (CancellationException e) {
      throw new Run.Cancelled(run.cancelReason() != null ? run.cancelReason() : "cancelled");
    }
  }

  /**
   * One attempt: undo snapshot (first attempt only), durable STEP_STARTED, the action (with its
   * timeout), the step's checks, then the outcome record.
   */
  private StepOutcome attempt(Program.Unit u, @Nullable Siblings siblings, boolean last, boolean afterFailure)
      throws AttemptFailed, InDoubt {
    return attempt(u, null, siblings, last, afterFailure);
  }

  /** {@code known}: the step's history as it is now, when the caller has just read it. */
  private StepOutcome attempt(Program.Unit u, @Nullable StepHistory known, @Nullable Siblings siblings, boolean last,
      boolean afterFailure) throws AttemptFailed, InDoubt {
    run.checkCancelled();
    Step step = u.step();
    String path = u.path();
    StepHistory h = known != null ? known : rec(path);
    if (afterFailure && h.inDoubt()) {
      Reconciliation r = reconcile(u);
      if (r == Reconciliation.APPLIED) {
        run.append(new JournalEvent.StepSucceeded(path, h.attempts(), true, "reconcile observed APPLIED after a timeout",
            null));
        return finished(path);
      }
      if (r == Reconciliation.UNKNOWN && !step.isIdempotent()) throw new InDoubt("attempt " + h.attempts() + " timed out");
    }
    if (siblings != null && siblings.failure() != null && h.attempts() == 0) {
      // a sibling failed before this step started: it does not start; the policy decides what comes next
      return new StepOutcome.NotRun();
    }
    int attemptNo = h.attempts() + 1;
    Instant deadline = step.timeout().map(t -> run.svc.clock().instant().plus(t)).orElse(Instant.MAX);
    Ctx ctx = new Ctx(path, u.knownGoodKey(), u.undoKey(), attemptNo, deadline);
    if (step.undoCapture().isPresent() && path.equals(u.undoKey()) && run.history.undoSnapshot(path).isEmpty()) {
      Snapshot s;
      try {
        s = step.undoCapture().get().capture(ctx);
      } catch (Exception e) {
        String msg = "cannot capture the undo snapshot: " + e;
        run.append(new JournalEvent.StepFailed(path, attemptNo, msg, false, last, false));
        if (last) return finished(path);
        throw new AttemptFailed(msg);
      }
      run.append(new JournalEvent.UndoSnapshotTaken(path, s));
    }
    run.append(new JournalEvent.StepStarted(path, attemptNo));
    if (!run.svc.events().isEmpty()) {
      run.svc.events().emit(new RollbackEvent.StepStarted(run.runId(), path, attemptNo, run.svc.clock().instant()));
    }
    if (siblings != null) {
      siblings.running.put(path, ctx);
      String failure = siblings.failure();
      if (failure != null) ctx.cancel(failure);
    }
    run.active.add(ctx);
    String failure = null;
    boolean timedOut = false;
    boolean cancelled = false;
    String prevStep = MDC.get("rollback.step");
    MDC.put("rollback.step", path);
    try {
      invoke(step.action(), ctx, step.timeout().orElse(null));
      for (HealthCheck c : step.verifiedBy()) {
        Health hc = Run.safeCheck(c);
        run.svc.events().emit(new RollbackEvent.HealthChecked(run.runId(), path, hc, run.svc.clock().instant()));
        run.append(Run.healthEvent(path, hc, hc.isUp()));
        if (!hc.isUp()) {
          failure = "check '" + c.name() + "' is " + hc.status() + ": " + hc.detail();
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
      LeaseLostException lost = leaseLostIn(e);
      if (lost != null) {
        // a system refused the write for a higher fencing token, or the step checked the lease: stop writing
        run.leaseLost("step '" + path + "': " + lost.getMessage());
        cancelled = true;
        failure = ctx.cancelReason != null ? ctx.cancelReason : lost.getMessage();
      } else if (ctx.cancelReason != null) {
        cancelled = true;
        failure = ctx.cancelReason;
      } else {
        failure = describe(e);
      }
    } finally {
      run.active.remove(ctx);
      if (siblings != null) siblings.running.remove(path, ctx);
      if (prevStep == null) MDC.remove("rollback.step");
      else MDC.put("rollback.step", prevStep);
    }
    if (failure == null) {
      run.append(JournalEvent.StepSucceeded.ran(path, attemptNo));
      StepOutcome o = finished(path);
      if (log.isInfoEnabled()) {
        log.info("plan '{}' step '{}' succeeded (attempt {}, {})", run.program.name(), path, attemptNo,
            Durations.human(rec(path).duration().orElse(Duration.ZERO)));
      }
      return o;
    }
    if (cancelled) {
      run.append(new JournalEvent.StepCancelled(path, attemptNo, failure));
      StepOutcome o = finished(path);
      log.warn("plan '{}' step '{}' cancelled: {}", run.program.name(), path, failure);
      if (run.cancelReason() != null) throw new Run.Cancelled(run.cancelReason());
      return o;
    }
    run.append(new JournalEvent.StepFailed(path, attemptNo, failure, timedOut, last, false));
    log.warn("plan '{}' step '{}' attempt {} failed: {}", run.program.name(), path, attemptNo, failure);
    if (last) {
      StepOutcome o = finished(path);
      if (siblings != null) siblings.failed(path, failure);
      run.notify(NotificationKind.STEP_FAILED, "Step failed: " + path,
          "Step '" + path + "' (" + step.describe() + ") failed after " + attemptNo + " attempt(s): " + failure,
          Map.of("step", path, "error", failure));
      return o;
    }
    throw new AttemptFailed(failure);
  }

  /** The {@link LeaseLostException} in {@code e}'s cause chain, if there is one. */
  private static @Nullable LeaseLostException leaseLostIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof LeaseLostException l) return l;
      if (t.getCause() == t) break;
    }
    return null;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** The step's outcome as the history now says, announced to listeners. */
  private StepOutcome finished(String path) {
    StepOutcome o = outcomeOf(rec(path));
    if (!run.svc.events().isEmpty()) {
      run.svc.events().emit(new RollbackEvent.StepFinished(run.runId(), path, o, run.svc.clock().instant()));
    }
    return o;
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
    String planName = run.program.name();
    Future<?> work = run.svc.executor().submit(() -> {
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
    Timer.Cancellable timer = run.svc.timer().schedule(() -> {
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

  // ------------------------------------------------------------------ context

  /** What a running step sees. Reads go to the run's history; writes go through its one writer. */
  final class Ctx implements StepContext {
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

    @Override public String runId() { return run.runId(); }
    @Override public String planName() { return run.program.name(); }
    @Override public String stepPath() { return path; }
    @Override public Deployment deployment() { return run.program.deployment(); }
    @Override public String idempotencyKey() { return run.runId() + ":" + path; }
    @Override public int attempt() { return attempt; }
    @Override public Instant deadline() { return deadline; }
    @Override public Clock clock() { return run.svc.clock(); }

    @Override
    public boolean isCancelled() {
      return cancelled || run.cancelReason() != null;
    }

    @Override
    public void checkCancelled() {
      if (isCancelled()) {
        throw new CancellationException("step '" + path + "' cancelled: "
            + (cancelReason != null ? cancelReason : run.cancelReason()));
      }
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      Objects.requireNonNull(duration, "duration");
      checkCancelled();
      if (duration.isNegative() || duration.isZero()) return;
      CompletableFuture<Void> wake = new CompletableFuture<>();
      sleeping = wake;
      Timer.Cancellable timer = run.svc.timer().schedule(() -> wake.complete(null), duration);
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
      return run.history.knownGood(knownGoodKey);
    }

    @Override
    public Optional<Snapshot> undoSnapshot() {
      return undoKey == null ? Optional.empty() : run.history.undoSnapshot(undoKey);
    }

    @Override
    public void checkpoint(String key, String value) {
      run.append(new JournalEvent.CheckpointRecorded(path, key, value));
    }

    @Override
    public Map<String, String> checkpoints() {
      return run.history.checkpoints(path);
    }

    @Override
    public void note(String message) {
      run.append(new JournalEvent.NoteAdded(path, message));
      run.svc.events().emit(new RollbackEvent.Note(run.runId(), path, message, run.svc.clock().instant()));
    }

    @Override
    public StepLease lease() {
      return run.lease();
    }

    @Override
    public String toString() {
      return "StepContext[" + run.runId() + ":" + path + " attempt " + attempt + "]";
    }
  }
}
