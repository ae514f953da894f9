package dev.rollback.internal.guard;

import static dev.rollback.internal.Durations.human;

import dev.rollback.Deployment;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.engine.HeldLease;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.PreparedRun;
import dev.rollback.engine.ResumeOptions;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.internal.RealTimer;
import dev.rollback.internal.Timer;
import dev.rollback.internal.detect.Evaluators;
import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard: see {@link Guard}. Uses only the engine's public surface.
 */
public final class DefaultGuard implements Guard {
  private static final Logger log = LoggerFactory.getLogger(Guard.class);
  /** The trigger name a {@link #rollBackNow} decision is journaled under. */
  private static final String MANUAL = "manual";

  private final RollbackPlan plan;
  private final Deployment deployment;
  private final RollbackEngine engine;
  private final boolean ownsEngine;
  private final Lease lease;
  private final String holder;
  private final Duration leaseTtl;
  private final List<Trigger> triggers;
  /** The triggers' evaluators, created at {@link #arm()}: what this guard observed, shared with nobody. */
  private List<Trigger.Evaluator> evaluators = List.of();
  private final Duration bakeTime;
  private final Duration evaluationInterval;
  private final Duration cooldown;
  /** The soak window of this guard's rollback (its own, else the plan's); null: none. */
  private final @Nullable Duration soak;
  private final int rollbackLimit;
  private final Duration rollbackLimitWindow;
  /** When the next lease attempt may be made: jitter, backoff, Retry-After. */
  private final LeaseAttempts attempts;
  /** A decision to roll back whose lease attempt is delayed (jitter) or failed; retried when due. */
  private @Nullable Evaluation retryEvaluation;
  private @Nullable String retryReason;
  private final Clock clock;
  private final Timer timer;
  private final @Nullable ScheduledExecutorService ownedScheduler;
  private final String runId;
  private final String leaseName;
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final Runnable wakeUp = this::wake;
  private final Map<String, Evaluation> lastEvaluations = new LinkedHashMap<>();
  private final Set<String> asking = new LinkedHashSet<>();

  private GuardState state = GuardState.CREATED;
  private String detail = "not armed";
  private @Nullable Instant armedAt;
  private @Nullable Instant bakeEnd;
  private @Nullable PreparedRun prepared;
  private Timer.@Nullable Cancellable nextTick;
  private @Nullable RollbackRun run;
  private @Nullable String pendingDecision;
  private boolean watching;
  private boolean resumeOwnRun;
  private boolean closed;
  /** How this guard's rollback ended; null before. */
  private dev.rollback.@Nullable RunOutcome outcome;

  /** What the guard's builder validated. */
  public record Settings(RollbackPlan plan, Deployment deployment, String holder, Duration leaseTtl,
      List<Trigger> triggers, Duration bakeTime, Duration evaluationInterval, Duration cooldown, @Nullable Duration soak,
      int rollbackLimit, Duration rollbackLimitWindow, Duration leaseJitter, Duration leaseBackoffCap) {}

  public DefaultGuard(Settings b, RollbackEngine engine, boolean ownsEngine, Lease lease) {
    this.plan = b.plan();
    this.deployment = b.deployment();
    this.engine = engine;
    this.ownsEngine = ownsEngine;
    this.lease = lease;
    this.holder = b.holder();
    this.leaseTtl = b.leaseTtl();
    this.triggers = List.copyOf(b.triggers());
    this.bakeTime = b.bakeTime();
    this.evaluationInterval = b.evaluationInterval();
    this.cooldown = b.cooldown();
    this.soak = b.soak() != null ? b.soak() : plan.soak().map(dev.rollback.Soak::window).orElse(null);
    this.rollbackLimit = b.rollbackLimit();
    this.rollbackLimitWindow = b.rollbackLimitWindow();
    Duration renewEvery = leaseTtl.dividedBy(3);
    Duration recheck = evaluationInterval.compareTo(Duration.ofSeconds(1)) > 0 ? evaluationInterval : Duration.ofSeconds(1);
    this.attempts = new LeaseAttempts(b.leaseJitter(), Duration.ofMillis(100), b.leaseBackoffCap(),
        recheck.compareTo(renewEvery) < 0 ? recheck : renewEvery);
    this.clock = engine.clock();
    if (clock instanceof ManualClock manual) {
      this.timer = Timer.of(manual);
      this.ownedScheduler = null;
    } else {
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rollback-guard-" + deployment.id());
        t.setDaemon(true);
        return t;
      });
      this.timer = new RealTimer(s);
      this.ownedScheduler = s;
    }
    this.runId = Guard.runIdOf(plan, deployment);
    this.leaseName = "rollback-guard-" + deployment.id();
  }

  @Override
  public String runId() {
    return runId;
  }

  @Override
  public synchronized GuardState state() {
    settled();
    return state;
  }

  @Override
  public synchronized Status status() {
    settled();
    return new Status(state, deployment, plan.name(), runId, armedAt, bakeEnd, detail, new ArrayList<>(lastEvaluations.values()),
        outcome);
  }

  /** The rollback this guard started, if it did. */
  @Override
  public synchronized Optional<RollbackRun> run() {
    return Optional.ofNullable(run);
  }

  /**
   * Captures the known-good state and starts watching. If a rollback of this deployment already
   * ran (another replica, or this application before a restart), the guard stands down instead;
   * if one was decided but never started, it starts it now. The first guard armed in a JVM also
   * warms the engine up ({@link RollbackEngine#warmUp()}, tens of milliseconds once), so the
   * rollback it may start later is not the JVM's first run.
   *
   * @throws IllegalStateException if already armed or closed
   * @throws RollbackException if the known-good state cannot be captured (the guard does not protect then)
   */
  @Override
  public void arm() {
    synchronized (this) {
      if (state != GuardState.CREATED) throw new IllegalStateException("guard for " + deployment + " is already " + state);
      Optional<Earlier> earlier = findRollback();
      if (earlier.isPresent()) {
        Earlier e = earlier.get();
        if (e.finished() || !e.runId().equals(runId)) {
          standDown(e.description() + (e.finished() ? "" : " (resume it with the engine)"));
          return;
        }
        // this guard's own rollback, interrupted (the replica running it died): take it over once the lease is free
        resumeOwnRun = true;
        armedAt = clock.instant();
        bakeEnd = armedAt.plus(bakeTime);
        state = GuardState.ARMED;
        detail = e.description() + "; resuming it once the lease " + leaseName + " is free";
        log.warn("guard for {}: {}", deployment, detail);
        watching = true;
        tick(true);
        return;
      }
      prepared = engine.prepare(plan, deployment,
          RunOptions.defaults().withRunId(runId).withReason("guard armed for " + deployment));
      // the rollback this guard may start hours from now should not be the JVM's first run
      RollbackEngine.warmUp();
      pendingDecision = decidedButNotStarted().orElse(null);
      armedAt = clock.instant();
      bakeEnd = armedAt.plus(bakeTime);
      state = GuardState.ARMED;
      detail = "watching " + triggers.size() + " trigger" + (triggers.size() == 1 ? "" : "s") + " until " + bakeEnd;
      log.info("guard for {} armed: plan '{}', run id {}, bake time {}", deployment, plan.name(), runId, human(bakeTime));
      evaluators = Evaluators.of(triggers);
      for (Trigger t : triggers) for (Signal s : t.signals()) s.addWakeUp(wakeUp);
      watching = true;
      // the first evaluation happens now, so every evaluator's baseline is the moment of arming
      try {
        evaluate(false);
      } catch (RuntimeException e) {
        log.error("guard for {}: first evaluation failed; still watching", deployment, e);
      }
      if (watching) nextTick = timer.schedule(() -> tick(true), evaluationInterval);
    }
  }

  /** Rolls back now, on a human's word (e.g. after NEEDS_HUMAN); journaled with {@code actor}. */
  @Override
  public void rollBackNow(String actor, String reason) {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(reason, "reason");
    synchronized (this) {
      if (state != GuardState.ARMED && state != GuardState.NEEDS_HUMAN && state != GuardState.BAKED
          && state != GuardState.DEFERRED) {
        throw new IllegalStateException("guard for " + deployment + " cannot roll back: it is " + state + " (" + detail + ")");
      }
      if (prepared == null) throw new IllegalStateException("guard for " + deployment + " was never armed");
      String why = "rollback requested by " + actor + ": " + reason;
      startRollback(new Evaluation(MANUAL, Verdict.ROLL_BACK, clock.instant(), why, Map.of("actor", actor)), why, false);
    }
  }

  /** Evaluates again in {@code d} (a delayed or retried lease attempt). */
  private void wakeIn(Duration d) {
    try {
      timer.schedule(() -> tick(false), d);
    } catch (RuntimeException e) {
      log.debug("guard for {}: cannot schedule the next lease attempt (closing?): {}", deployment, e.toString());
    }
  }

  private void wake() {
    if (wakePending.compareAndSet(false, true)) {
      try {
        timer.schedule(() -> tick(false), Duration.ZERO);
      } catch (RuntimeException e) {
        wakePending.set(false);
      }
    }
  }

  private void tick(boolean periodic) {
    if (!periodic) wakePending.set(false);
    synchronized (this) {
      if (!watching || !isWatchingState()) return;
      try {
        evaluate(periodic);
      } catch (RuntimeException e) {
        // never let an error out of the guard's thread: report and keep watching
        log.error("guard for {}: evaluation failed; still watching", deployment, e);
        detail = "evaluation failed: " + e + "; still watching";
      }
      if (watching && isWatchingState() && periodic) {
        Duration left = Duration.between(clock.instant(), bakeEnd);
        Duration next = resumeOwnRun || left.compareTo(evaluationInterval) >= 0 ? evaluationInterval
            : (left.isNegative() ? Duration.ZERO : left);
        nextTick = timer.schedule(() -> tick(true), next);
      }
    }
  }

  private boolean isWatchingState() {
    return state == GuardState.ARMED || state == GuardState.NEEDS_HUMAN || state == GuardState.DEFERRED;
  }

  private void evaluate(boolean periodic) {
    Instant now = clock.instant();
    if (resumeOwnRun) {
      resumeOwnRun();
      return;
    }
    if (state == GuardState.DEFERRED) {
      // another replica acts: stand down once its rollback shows in the journal; take its run over if it stopped
      Optional<Earlier> e = findRollback();
      if (e.isPresent()) {
        if (e.get().finished() || !e.get().runId().equals(runId)) {
          standDown(e.get().description());
        } else {
          resumeOwnRun();
        }
        return;
      }
      if (periodic && !now.isBefore(Objects.requireNonNull(bakeEnd))) {
        standDown("another replica held the lease " + leaseName + " when this one wanted to roll back, and no rollback of "
            + deployment + " appeared in this guard's journal by the end of the bake time (is the journal shared?)");
        return;
      }
    }
    if (pendingDecision != null) {
      String why = pendingDecision;
      if (startRollback(new Evaluation("journal", Verdict.ROLL_BACK, now, why, Map.of()), why, false)) return;
    }
    if (retryEvaluation != null && attempts.due(now)) {
      if (startRollback(retryEvaluation, Objects.requireNonNull(retryReason), true)) return;
    }
    boolean end = periodic && !now.isBefore(bakeEnd);
    for (Trigger.Evaluator evaluator : evaluators) {
      Trigger t = evaluator.trigger();
      Evaluation ev;
      try {
        ev = end ? evaluator.evaluateAtDeadline(now) : evaluator.evaluate(now);
        if (ev == null) ev = Evaluation.askHuman(t.name(), now, "trigger '" + t.name() + "' returned no evaluation");
      } catch (RuntimeException e) {
        ev = Evaluation.askHuman(t.name(), now, "trigger '" + t.name() + "' threw " + e);
      }
      lastEvaluations.put(t.name(), ev);
      switch (ev.verdict()) {
        case ROLL_BACK -> {
          fire(t, ev);
          if (state != GuardState.ARMED && state != GuardState.NEEDS_HUMAN) return;
        }
        case ASK_HUMAN -> ask(t.name(), ev);
        case HOLD -> asking.remove(t.name());
      }
    }
    if (asking.isEmpty() && state == GuardState.NEEDS_HUMAN) {
      state = GuardState.ARMED;
      detail = "watching again: the inconclusive triggers hold now";
      stopEscalating();
    }
    if (end) {
      if (state == GuardState.NEEDS_HUMAN) {
        detail = "bake time over with inconclusive triggers " + asking + ": a human decides (rollBackNow or keep)";
        log.warn("guard for {}: {}", deployment, detail);
      } else {
        state = GuardState.BAKED;
        detail = "bake time of " + human(bakeTime) + " passed without a rollback";
        log.info("guard for {}: {}", deployment, detail);
      }
      stopWatching();
    }
  }

  /** Takes over this guard's own interrupted run once the lease is free (the replica that held it died). */
  private void resumeOwnRun() {
    Instant now = clock.instant();
    if (!attempts.due(now)) return;
    Optional<LeaseGrant> g;
    try {
      g = lease.tryAcquire(leaseName, holder, leaseTtl);
    } catch (RuntimeException e) {
      Duration d = attempts.failed(now, e);
      detail = "waiting to resume run " + runId + ": the lease " + leaseName + " is unavailable (attempt " + attempts.failures()
          + "): " + e.getMessage() + "; trying again in " + human(d);
      wakeIn(d);
      return;
    }
    if (g.isEmpty()) {
      attempts.held(now);
      if (state == GuardState.ARMED) state = GuardState.DEFERRED;
      detail = "run " + runId + " is in progress on the replica holding the lease " + leaseName + "; standing by, taking"
          + " it over if that replica stops";
      return;
    }
    attempts.reset();
    LeaseGrant grant = g.get();
    Optional<Earlier> found = findRollback();
    if (found.isEmpty() || found.get().finished() || !found.get().runId().equals(runId)) {
      lease.release(grant);
      resumeOwnRun = false;
      standDown(found.map(Earlier::description).orElse("run " + runId + " disappeared from the journal"));
      return;
    }
    RollbackRun r;
    try {
      ResumeOptions options = ResumeOptions.defaults().withLease(lease, grant, leaseTtl);
      r = engine.resume(runId, plan, soak == null ? options : options.withSoak(soak, triggers));
    } catch (RollbackException e) {
      lease.release(grant);
      resumeOwnRun = false;
      standDown("cannot resume run " + runId + ": " + e.getMessage());
      return;
    }
    resumeOwnRun = false;
    run = r;
    stopEscalating();
    state = GuardState.FIRED;
    detail = "resumed run " + runId + ", interrupted on another replica or before a restart";
    log.warn("guard for {}: {}", deployment, detail);
    stopWatching();
    followRun(r);
  }

  private void fire(Trigger t, Evaluation ev) {
    String reason = "trigger '" + t.name() + "' fired: " + ev.evidence();
    List<String> automatic = automaticRollbacksOfService(ev.at());
    if (automatic.size() >= rollbackLimit) {
      ask(t.name(), new Evaluation(t.name(), Verdict.ASK_HUMAN, ev.at(), "would roll back (" + ev.evidence() + ") but "
          + automatic.size() + " automatic rollbacks of " + deployment.service() + " started within the last "
          + human(rollbackLimitWindow) + " " + automatic + ", the limit is " + rollbackLimit + ": no rollback loops, a human"
          + " decides (rollBackNow)", ev.facts()));
      return;
    }
    if (!cooldown.isZero()) {
      Optional<String> recent = recentRollbackOfService(ev.at());
      if (recent.isPresent()) {
        ask(t.name(), new Evaluation(t.name(), Verdict.ASK_HUMAN, ev.at(), "would roll back (" + ev.evidence()
            + ") but " + recent.get() + ", within the cooldown of " + human(cooldown) + "; a human decides", ev.facts()));
        return;
      }
    }
    startRollback(ev, reason, true);
  }

  /**
   * Takes the lease, checks the journal, journals the decision and starts the run; true if the
   * guard is done. An {@code automatic} decision waits for its jitter and for the backoff after a
   * failed attempt ({@link LeaseAttempts}); a human's does not.
   */
  private boolean startRollback(Evaluation ev, String reason, boolean automatic) {
    Instant now = clock.instant();
    if (automatic) {
      Duration first = attempts.firstDelay(now);
      if (!first.isZero()) {
        retryEvaluation = ev;
        retryReason = reason;
        detail = "rolling back: trying the lease " + leaseName + " in " + human(first) + " (jitter, so replicas firing together"
            + " spread out): " + reason;
        wakeIn(first);
        return false;
      }
      if (!attempts.due(now)) return false;
    }
    Optional<LeaseGrant> g;
    try {
      g = lease.tryAcquire(leaseName, holder, leaseTtl);
    } catch (RuntimeException e) {
      Duration d = attempts.failed(now, e);
      retryEvaluation = ev;
      retryReason = reason;
      detail = "wants to roll back (" + reason + ") but the lease " + leaseName + " is unavailable (attempt "
          + attempts.failures() + "): " + e.getMessage() + "; trying again in " + human(d);
      log.warn("guard for {}: {}", deployment, detail);
      wakeIn(d);
      return false;
    }
    retryEvaluation = null;
    retryReason = null;
    if (g.isEmpty()) {
      attempts.held(now);
      if (state != GuardState.DEFERRED) stopEscalating(); // the replica holding the lease answers the question
      state = GuardState.DEFERRED;
      detail = "wants to roll back but another replica holds the lease " + leaseName + " and acts; watching until its"
          + " rollback shows in the journal, taking it over if that replica stops: " + reason;
      log.info("guard for {}: {}", deployment, detail);
      return false;
    }
    attempts.reset();
    LeaseGrant grant = g.get();
    Optional<Earlier> earlier = findRollback();
    if (earlier.isPresent()) {
      lease.release(grant);
      standDown(earlier.get().description());
      return true;
    }
    try {
      Objects.requireNonNull(prepared).record(new JournalEvent.TriggerFired(ev.trigger(), Verdict.ROLL_BACK,
          ev.evidence(), ev.facts(), "guard", deployment.id(), holder), grant.fencingToken());
    } catch (FencedOffException e) {
      lease.release(grant);
      detail = "lost the lease before acting (" + e.getMessage() + "); standing by";
      log.warn("guard for {}: {}", deployment, detail);
      return false;
    }
    stopEscalating(); // the rollback answers the question
    RollbackRun r;
    try {
      r = Objects.requireNonNull(prepared).start(reason, new HeldLease(lease, grant, leaseTtl),
          o -> soak == null ? o : o.withSoak(soak, triggers));
    } catch (RollbackException e) {
      lease.release(grant);
      standDown("the engine refused to start run " + runId + ": " + e.getMessage());
      return true;
    }
    run = r;
    pendingDecision = null;
    state = GuardState.FIRED;
    detail = "rolling back: " + reason;
    log.warn("guard for {} fired, run {}: {}", deployment, runId, reason);
    stopWatching();
    followRun(r);
    return true;
  }

  /** When the run ends, the guard's state says how. */
  private void followRun(RollbackRun r) {
    r.result().whenComplete((res, err) -> settle(r, res, err));
  }

  /**
   * The state after {@code r} ended, applied once: by the run's completion, or by {@link #state()}
   * or {@link #status()} when they are asked first (a caller whose {@code await()} just returned
   * sees the end, not FIRED).
   */
  private synchronized void settled() {
    RollbackRun r = run;
    if (state != GuardState.FIRED || r == null || !r.result().isDone()) return;
    try {
      settle(r, r.result().getNow(null), null);
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      settle(r, null, e.getCause() != null ? e.getCause() : e);
    }
  }

  private synchronized void settle(RollbackRun r, dev.rollback.@Nullable RollbackResult res, @Nullable Throwable err) {
    if (run != r || state != GuardState.FIRED) return;
    if (res == null) {
      state = GuardState.ROLLBACK_FAILED;
      detail = "run " + runId + " failed inside the engine: " + err;
      log.warn("guard for {}: {}", deployment, detail);
      return;
    }
    outcome = res.outcome();
    String took = human(res.elapsed());
    if (res.outcome() == dev.rollback.RunOutcome.RECOVERED) {
      state = GuardState.ROLLED_BACK;
      detail = "run " + runId + " ended RECOVERED" + (res.isVerified() ? "" : " (not verified)") + " in " + took + ": "
          + res.summary();
    } else if (res.outcome() == dev.rollback.RunOutcome.CANCELLED && res.summary().startsWith("stopped: lost the lease")) {
      outcome = null; // the run goes on on the replica that holds the lease now
      if (closed) {
        state = GuardState.STOOD_DOWN;
        detail = res.summary() + "; this guard is closed";
      } else {
        // watch it, take it over if that replica stops
        state = GuardState.DEFERRED;
        detail = res.summary();
        resumeOwnRun = true;
        watching = true;
        try {
          nextTick = timer.schedule(() -> tick(true), evaluationInterval);
        } catch (RuntimeException e) {
          watching = false; // the scheduler is shutting down
        }
      }
    } else {
      state = GuardState.ROLLBACK_FAILED;
      detail = "run " + runId + " ended " + res.outcome() + " after " + took + ": " + res.summary();
    }
    log.info("guard for {}: {}", deployment, detail);
  }

  private void ask(String trigger, Evaluation ev) {
    boolean isNew = asking.add(trigger);
    if (state == GuardState.ARMED) state = GuardState.NEEDS_HUMAN;
    detail = "inconclusive: " + ev.evidence();
    if (!isNew) return;
    log.warn("guard for {}: trigger '{}' is inconclusive, a human should look: {}", deployment, trigger, ev.evidence());
    journal(new JournalEvent.TriggerFired(trigger, Verdict.ASK_HUMAN, ev.evidence(), ev.facts(), "guard", deployment.id(),
        holder));
    askHumans(trigger, ev);
  }

  /**
   * Tells the plan's HUMAN_NEEDED audiences that a trigger is inconclusive, with its evidence and
   * what the guard does if nobody answers. Delivery runs on the engine's notification lanes; each
   * outcome is journaled in the guard's run.
   */
  private void askHumans(String trigger, Evaluation ev) {
    CommunicationPlan comms = plan.communication();
    if (comms.audiencesFor(NotificationKind.HUMAN_NEEDED).isEmpty()) return;
    Instant end = Objects.requireNonNull(bakeEnd);
    String ifNobody = "If nobody answers, the guard does not roll back for this verdict: it keeps evaluating every "
        + human(evaluationInterval) + " until the bake time ends at " + end + "; it rolls back by itself only if a"
        + " trigger says ROLL_BACK, and goes back to watching if the triggers hold again. After " + end
        + " it stops watching and the release stays.";
    String text = "Guard for " + deployment.id() + ": trigger '" + trigger + "' is inconclusive: " + ev.evidence()
        + ". To roll back now, call rollBackNow(actor, reason) on the guard (run " + runId + "). " + ifNobody;
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("trigger", trigger);
    facts.put("reason", ev.evidence());
    ev.facts().forEach((k, v) -> facts.putIfAbsent("evidence." + k, String.valueOf(v)));
    facts.put("bakeEndsAt", end.toString());
    facts.put("onTimeout", "release stays; guard stops watching at " + end);
    facts.put("deadline", end.toString());
    String title = "Decision needed: is " + deployment.id() + " bad?";
    PreparedRun p = prepared;
    if (p != null) p.askHumans(title, text, facts);
  }

  /** The question is settled (a rollback started, the triggers hold again, the guard stood down or closed). */
  private void stopEscalating() {
    PreparedRun p;
    synchronized (this) {
      p = prepared;
    }
    if (p != null) p.stopAsking();
  }

  private void journal(JournalEvent.Known event) {
    synchronized (this) {
      try {
        PreparedRun p = prepared;
        if (p != null) p.record(event);
      } catch (RuntimeException e) {
        log.warn("guard for {}: could not journal {}: {}", deployment, event.type(), e.toString());
      }
    }
  }

  private void standDown(String why) {
    stopEscalating();
    state = GuardState.STOOD_DOWN;
    detail = why;
    log.info("guard for {} stands down: {}", deployment, why);
    stopWatching();
  }

  private void stopWatching() {
    watching = false;
    Timer.Cancellable t = nextTick;
    if (t != null) t.cancel();
    nextTick = null;
    for (Trigger tr : triggers) for (Signal s : tr.signals()) s.removeWakeUp(wakeUp);
  }

  /** A rollback of this deployment found in the journal. */
  private record Earlier(String runId, boolean finished, String description) {}

  /** A started rollback of this deployment in the journal; empty if none. */
  private Optional<Earlier> findRollback() {
    Journal j = engine.journal();
    // this guard's own run first: one read, where every replica of the deployment writes it
    List<String> ids = new ArrayList<>();
    ids.add(runId);
    for (String id : j.runIds()) if (!id.equals(runId)) ids.add(id);
    for (String id : ids) {
      RunHistory h;
      try {
        h = RunHistory.of(j.read(id).records());
      } catch (RuntimeException e) {
        log.warn("guard for {}: cannot read run {} of the journal while looking for earlier rollbacks", deployment, id, e);
        continue;
      }
      if (!h.isStarted() || !"rollback".equals(h.mode()) || !deployment.id().equals(h.deployment())) continue;
      String outcome = h.outcome().orElse("");
      return Optional.of(new Earlier(id, !outcome.isEmpty(), "run " + id + " (plan '" + h.plan()
          + "') already rolled back " + deployment + ", started at " + h.startedAt().orElseThrow()
          + (outcome.isEmpty() ? " and not finished" : ", ended " + outcome) + ": " + h.reason()));
    }
    return Optional.empty();
  }

  /** The evidence of a ROLL_BACK journaled by a guard for this run that never reached PLAN_STARTED (a crash in between). */
  private Optional<String> decidedButNotStarted() {
    String found = null;
    for (RunHistory.Stamped<JournalEvent.TriggerFired> t
        : RunHistory.of(engine.journal().read(runId).records()).events(JournalEvent.TriggerFired.class)) {
      if (t.event().verdict() == Verdict.ROLL_BACK) {
        found = "trigger '" + t.event().trigger() + "' fired at " + t.at() + " (journaled before a restart): "
            + t.event().evidence();
      }
    }
    return Optional.ofNullable(found);
  }

  /** The automatic (guard-started) rollbacks of this service that started within the rollback limit's window. */
  private List<String> automaticRollbacksOfService(Instant now) {
    List<String> out = new ArrayList<>();
    Journal j = engine.journal();
    for (String id : j.runIds()) {
      if (!id.startsWith("guard-")) continue;
      RunHistory h;
      try {
        h = RunHistory.of(j.read(id).records());
      } catch (RuntimeException e) {
        continue;
      }
      Optional<Instant> at = h.startedAt();
      if (at.isPresent() && "rollback".equals(h.mode())
          && deployment.service().equals(h.identity().map(JournalEvent.Identity::service).orElse(""))
          && !at.get().isBefore(now.minus(rollbackLimitWindow)) && !at.get().isAfter(now) && !askedByAHuman(h)) {
        out.add(h.deployment() + " at " + at.get());
      }
    }
    return out;
  }

  /** A guard's run that a human started with {@link #rollBackNow}: not an automatic rollback. */
  private static boolean askedByAHuman(RunHistory h) {
    List<RunHistory.Stamped<JournalEvent.TriggerFired>> decisions = h.events(JournalEvent.TriggerFired.class).stream()
        .filter(t -> t.event().verdict() == Verdict.ROLL_BACK).toList();
    if (decisions.isEmpty()) return false;
    JournalEvent.TriggerFired last = decisions.get(decisions.size() - 1).event();
    return MANUAL.equals(last.trigger()) && last.facts().containsKey("actor");
  }

  /** A rollback of any version of this service that started within the cooldown, described. */
  private Optional<String> recentRollbackOfService(Instant now) {
    Journal j = engine.journal();
    for (String id : j.runIds()) {
      RunHistory h;
      try {
        h = RunHistory.of(j.read(id).records());
      } catch (RuntimeException e) {
        continue;
      }
      Optional<Instant> at = h.startedAt();
      if (at.isPresent() && "rollback".equals(h.mode())
          && deployment.service().equals(h.identity().map(JournalEvent.Identity::service).orElse(""))
          && !at.get().isBefore(now.minus(cooldown)) && !at.get().isAfter(now)) {
        return Optional.of("run " + id + " rolled back " + h.deployment() + " at " + at.get());
      }
    }
    return Optional.empty();
  }

  /** Disarms: stops evaluating. A rollback already started keeps running (on an owned engine, until it ends). */
  @Override
  public void close() {
    RollbackRun r;
    synchronized (this) {
      closed = true;
      if (state == GuardState.ARMED || state == GuardState.NEEDS_HUMAN || state == GuardState.CREATED
          || state == GuardState.DEFERRED) {
        state = GuardState.CLOSED;
        detail = "closed";
      }
      stopWatching();
      r = run;
    }
    stopEscalating();
    if (ownedScheduler != null) {
      if (r == null || r.result().isDone()) ownedScheduler.shutdownNow();
      else r.result().whenComplete((res, e) -> ownedScheduler.shutdownNow());
    }
    if (ownsEngine) {
      if (r == null || r.result().isDone()) engine.close();
      else r.result().whenComplete((res, e) -> engine.close());
    }
  }

  @Override
  public String toString() {
    return "Guard[" + deployment + ", plan '" + plan.name() + "', " + state() + "]";
  }
}
