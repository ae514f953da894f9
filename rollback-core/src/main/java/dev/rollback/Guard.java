package dev.rollback;

import static dev.rollback.internal.detect.Durations.human;

import dev.rollback.internal.PageEscalation;
import dev.rollback.internal.RealTimer;
import dev.rollback.internal.Timer;
import dev.rollback.internal.detect.Budgets;
import dev.rollback.internal.detect.Evaluators;
import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded self-rollback watchdog. {@link #arm()} after a deployment: it captures the
 * known-good state, evaluates its triggers for the bake time on the engine's clock, and when one
 * says ROLL_BACK it takes the lease and runs the plan — exactly once per deployment, also across
 * replicas and restarts (the run id is derived from the plan and the deployment, and the journal
 * is checked for an earlier rollback of the deployment before acting). Every firing and every
 * inconclusive verdict is journaled with its evidence. {@link #close()} disarms.
 *
 * <pre>{@code
 * try (Guard guard = Guard.builder(plan, Deployment.of("checkout", "2.4.0"))
 *         .withEngine(engine).withLease(lease)
 *         .trigger(Trigger.sequential(requests))
 *         .trigger(Trigger.consecutiveFailures(Signals.poll(health, ofSeconds(2)), 3))
 *         .withBakeTime(ofMinutes(10))
 *         .build()) {
 *   guard.arm();
 *   ...
 * }
 * }</pre>
 *
 * <p>Idle cost: one scheduler thread (none under a {@link ManualClock}), woken every evaluation
 * interval and at once when a watched {@link RequestRecorder} records a failure.
 */
public final class Guard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Guard.class);

  /** A snapshot of the guard for the application's health endpoint. */
  public record Status(GuardState state, Deployment deployment, String plan, String runId, @Nullable Instant armedAt,
      @Nullable Instant bakeEndsAt, String detail, List<Evaluation> lastEvaluations) {
    public Status {
      lastEvaluations = List.copyOf(lastEvaluations);
    }
  }

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
  private @Nullable KnownGood knownGood;
  private Timer.@Nullable Cancellable nextTick;
  private @Nullable RollbackRun run;
  private @Nullable String pendingDecision;
  private boolean watching;
  private boolean resumeOwnRun;
  /** Escalates the guard's own question (HUMAN_NEEDED before any run) while nobody acknowledges it. */
  private @Nullable PageEscalation escalation;

  private Guard(Builder b, RollbackEngine engine, boolean ownsEngine, Lease lease) {
    this.plan = b.plan;
    this.deployment = b.deployment;
    this.engine = engine;
    this.ownsEngine = ownsEngine;
    this.lease = lease;
    this.holder = b.holder;
    this.leaseTtl = b.leaseTtl;
    this.triggers = List.copyOf(b.triggers);
    this.bakeTime = b.bakeTime;
    this.evaluationInterval = b.evaluationInterval;
    this.cooldown = b.cooldown;
    this.clock = engine.clock();
    if (clock instanceof ManualClock manual) {
      this.timer = manual;
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
    this.runId = runIdOf(plan, deployment);
    this.leaseName = "rollback-guard-" + deployment.id();
  }

  /** A guard that runs {@code plan} when {@code deployment} turns out bad. */
  public static Builder builder(RollbackPlan plan, Deployment deployment) {
    return new Builder(Objects.requireNonNull(plan, "plan"), Objects.requireNonNull(deployment, "deployment"));
  }

  /** The run id a guard uses for {@code plan} and {@code deployment}: the same in every replica and after restarts. */
  public static String runIdOf(RollbackPlan plan, Deployment deployment) {
    String readable = (deployment.service() + "-" + deployment.version()).replaceAll("[^A-Za-z0-9_.-]", "-");
    if (readable.length() > 80) readable = readable.substring(0, 80);
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((plan.name() + "\n" + deployment.id()).getBytes(StandardCharsets.UTF_8));
      return "guard-" + readable + "-" + HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  public String runId() {
    return runId;
  }

  public synchronized GuardState state() {
    return state;
  }

  public synchronized Status status() {
    return new Status(state, deployment, plan.name(), runId, armedAt, bakeEnd, detail, new ArrayList<>(lastEvaluations.values()));
  }

  /** The rollback this guard started, if it did. */
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
      knownGood = engine.captureKnownGood(plan, deployment,
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
  public void rollBackNow(String actor, String reason) {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(reason, "reason");
    synchronized (this) {
      if (state != GuardState.ARMED && state != GuardState.NEEDS_HUMAN && state != GuardState.BAKED) {
        throw new IllegalStateException("guard for " + deployment + " cannot roll back: it is " + state + " (" + detail + ")");
      }
      if (knownGood == null) throw new IllegalStateException("guard for " + deployment + " was never armed");
      String why = "rollback requested by " + actor + ": " + reason;
      startRollback(new Evaluation("manual", Verdict.ROLL_BACK, clock.instant(), why, Map.of("actor", actor)), why);
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
      if (!watching || (state != GuardState.ARMED && state != GuardState.NEEDS_HUMAN)) return;
      try {
        evaluate(periodic);
      } catch (RuntimeException e) {
        // never let an error out of the guard's thread: report and keep watching
        log.error("guard for {}: evaluation failed; still watching", deployment, e);
        detail = "evaluation failed: " + e + "; still watching";
      }
      if (watching && (state == GuardState.ARMED || state == GuardState.NEEDS_HUMAN) && periodic) {
        Duration left = Duration.between(clock.instant(), bakeEnd);
        Duration next = resumeOwnRun || left.compareTo(evaluationInterval) >= 0 ? evaluationInterval
            : (left.isNegative() ? Duration.ZERO : left);
        nextTick = timer.schedule(() -> tick(true), next);
      }
    }
  }

  private void evaluate(boolean periodic) {
    Instant now = clock.instant();
    if (resumeOwnRun) {
      resumeOwnRun();
      return;
    }
    if (pendingDecision != null) {
      String why = pendingDecision;
      if (startRollback(new Evaluation("journal", Verdict.ROLL_BACK, now, why, Map.of()), why)) return;
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
    Optional<LeaseGrant> g;
    try {
      g = lease.tryAcquire(leaseName, holder, leaseTtl);
    } catch (RuntimeException e) {
      detail = "waiting to resume run " + runId + ": the lease " + leaseName + " is unavailable: " + e.getMessage();
      return;
    }
    if (g.isEmpty()) {
      detail = "run " + runId + " is in progress on the replica holding the lease " + leaseName + "; standing by";
      return;
    }
    LeaseGrant grant = g.get();
    Optional<Earlier> now = findRollback();
    if (now.isEmpty() || now.get().finished() || !now.get().runId().equals(runId)) {
      lease.release(grant);
      resumeOwnRun = false;
      standDown(now.map(Earlier::description).orElse("run " + runId + " disappeared from the journal"));
      return;
    }
    RollbackRun r;
    try {
      r = engine.resume(runId, plan, ResumeOptions.defaults().withFencingToken(grant.fencingToken()));
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
    keepLease(grant, r);
  }

  private void fire(Trigger t, Evaluation ev) {
    String reason = "trigger '" + t.name() + "' fired: " + ev.evidence();
    if (!cooldown.isZero()) {
      Optional<String> recent = recentRollbackOfService(ev.at());
      if (recent.isPresent()) {
        ask(t.name(), new Evaluation(t.name(), Verdict.ASK_HUMAN, ev.at(), "would roll back (" + ev.evidence()
            + ") but " + recent.get() + ", within the cooldown of " + human(cooldown) + "; a human decides", ev.facts()));
        return;
      }
    }
    startRollback(ev, reason);
  }

  /** Takes the lease, checks the journal, journals the decision and starts the run; true if the guard is done. */
  private boolean startRollback(Evaluation ev, String reason) {
    Optional<LeaseGrant> g;
    try {
      g = lease.tryAcquire(leaseName, holder, leaseTtl);
    } catch (RuntimeException e) {
      detail = "wants to roll back (" + reason + ") but the lease " + leaseName + " is unavailable: " + e.getMessage();
      log.warn("guard for {}: {}", deployment, detail);
      return false;
    }
    if (g.isEmpty()) {
      detail = "wants to roll back but another replica holds the lease " + leaseName + "; standing by: " + reason;
      log.info("guard for {}: {}", deployment, detail);
      return false;
    }
    LeaseGrant grant = g.get();
    Optional<Earlier> earlier = findRollback();
    if (earlier.isPresent()) {
      lease.release(grant);
      standDown(earlier.get().description());
      return true;
    }
    try {
      RunHistory read = RunHistory.of(engine.journal().read(runId).records());
      engine.journal().append(JournalRecord.of(read.lastSeq() + 1, runId, clock.instant(), grant.fencingToken(),
          new JournalEvent.TriggerFired(ev.trigger(), Verdict.ROLL_BACK, ev.evidence(), ev.facts(), "guard",
              deployment.id(), holder)));
    } catch (FencedOffException e) {
      lease.release(grant);
      detail = "lost the lease before acting (" + e.getMessage() + "); standing by";
      log.warn("guard for {}: {}", deployment, detail);
      return false;
    }
    stopEscalating(); // the rollback answers the question
    RollbackRun r;
    try {
      r = engine.start(plan, deployment, RunOptions.defaults().withKnownGood(Objects.requireNonNull(knownGood))
          .withFencingToken(grant.fencingToken()).withReason(reason));
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
    keepLease(grant, r);
    return true;
  }

  private void keepLease(LeaseGrant grant, RollbackRun r) {
    r.result().whenComplete((res, err) -> {
      try {
        lease.release(grant);
      } catch (RuntimeException e) {
        log.warn("guard for {}: could not release the lease {}", deployment, leaseName, e);
      }
    });
    Duration every = leaseTtl.dividedBy(3);
    Runnable[] renew = new Runnable[1];
    renew[0] = () -> {
      if (r.result().isDone()) return;
      try {
        Optional<LeaseGrant> renewed = lease.renew(grant, leaseTtl);
        if (renewed.isEmpty()) {
          log.warn("guard for {}: lost the lease {} while run {} is in progress; its journal writes are fenced", deployment,
              leaseName, runId);
          return;
        }
      } catch (RuntimeException e) {
        log.warn("guard for {}: could not renew the lease {}", deployment, leaseName, e);
      }
      try {
        timer.schedule(renew[0], every);
      } catch (RuntimeException e) {
        // the scheduler is shut down (guard closed): the lease expires on its own
      }
    };
    timer.schedule(renew[0], every);
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
    engine.notifications().dispatch(this::journalNotification, comms, NotificationKind.HUMAN_NEEDED, runId, plan.name(),
        deployment, title, text, facts, Notification.dedupKeyFor(runId), clock.instant());
    if (comms.escalations().isEmpty()) return;
    PageEscalation e;
    synchronized (this) {
      if (escalation == null) {
        escalation = new PageEscalation(comms, engine.notifications(), timer, clock, runId, plan.name(), deployment,
            new PageEscalation.Run() {
              @Override
              public void escalated(Map<String, Object> data, NotificationKind kind, String from, String to, Duration waited) {
                journal(dev.rollback.internal.Notices.escalated(data));
              }

              @Override
              public void delivered(Map<String, Object> outcome) {
                journalNotification(outcome);
              }
            });
        engine.whileAsking(runId, this::acknowledged);
      }
      e = escalation;
    }
    e.paged(NotificationKind.HUMAN_NEEDED, title, text, facts, null);
  }

  /** A human took the guard's question (through {@link RollbackEngine#acknowledge}): it stops escalating. */
  private void acknowledged(String actor, String source) {
    journal(new JournalEvent.Acknowledged(actor, source));
    PageEscalation e;
    synchronized (this) {
      e = escalation;
    }
    if (e != null) e.acknowledged(clock.instant());
    log.info("guard for {}: {} acknowledged the question via {}", deployment, actor, source);
  }

  /** The question is settled (a rollback started, the triggers hold again, the guard stood down or closed). */
  private synchronized void stopEscalating() {
    if (escalation == null) return;
    escalation.stop();
    escalation = null;
    engine.doneAsking(runId);
  }

  private void journal(JournalEvent.Known event) {
    synchronized (this) {
      try {
        engine.record(runId, event);
      } catch (RuntimeException e) {
        log.warn("guard for {}: could not journal {}: {}", deployment, event.type(), e.toString());
      }
    }
  }

  private void journalNotification(Map<String, Object> outcome) {
    journal(dev.rollback.internal.Notices.notification(outcome));
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
    for (String id : j.runIds()) {
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
      if (state == GuardState.ARMED || state == GuardState.NEEDS_HUMAN || state == GuardState.CREATED) {
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

  /** Configures a {@link Guard}; {@link #build()} validates the whole setup. */
  public static final class Builder {
    private final RollbackPlan plan;
    private final Deployment deployment;
    private @Nullable RollbackEngine engine;
    private @Nullable Journal journal;
    private @Nullable Clock clock;
    private @Nullable Lease lease;
    private String holder = "pid-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    private Duration leaseTtl = Duration.ofSeconds(30);
    private final List<Trigger> triggers = new ArrayList<>();
    private Duration bakeTime = Duration.ofMinutes(10);
    private Duration evaluationInterval = Duration.ofMillis(250);
    private Duration cooldown = Duration.ZERO;
    private boolean journalShared;

    private Builder(RollbackPlan plan, Deployment deployment) {
      this.plan = plan;
      this.deployment = deployment;
    }

    /** The engine that captures the known-good state and runs the plan; its clock drives the guard. */
    public Builder withEngine(RollbackEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /** Without {@link #withEngine}: the journal of the engine the guard creates (and closes). */
    public Builder withJournal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /** Without {@link #withEngine}: the clock of the engine the guard creates. */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The lease that makes one replica act; default {@link Leases#inMemory(Clock)} (one JVM only). */
    public Builder withLease(Lease lease) {
      this.lease = Objects.requireNonNull(lease, "lease");
      return this;
    }

    /** This replica's name in the lease (default: pid and a random suffix). */
    public Builder withHolder(String holder) {
      Objects.requireNonNull(holder, "holder");
      if (holder.isBlank()) throw new IllegalArgumentException("lease holder must not be blank");
      this.holder = holder;
      return this;
    }

    public Builder withLeaseTtl(Duration ttl) {
      this.leaseTtl = positive(ttl, "lease ttl");
      return this;
    }

    /**
     * Watches {@code trigger}. The guard evaluates its own evaluator of it, created at
     * {@link Guard#arm()}, so the same trigger can watch a release or another guard as well.
     */
    public Builder trigger(Trigger trigger) {
      triggers.add(Objects.requireNonNull(trigger, "trigger"));
      return this;
    }

    /** How long the guard watches after {@link Guard#arm()}; default 10 minutes. */
    public Builder withBakeTime(Duration bakeTime) {
      this.bakeTime = positive(bakeTime, "bake time");
      return this;
    }

    /** How often triggers are evaluated besides the wake-ups by failures; default 250 ms. */
    public Builder withEvaluationInterval(Duration interval) {
      this.evaluationInterval = positive(interval, "evaluation interval");
      return this;
    }

    /**
     * After a rollback of this service (any version) started, a firing trigger within
     * {@code cooldown} asks a human instead of rolling back again, so a guard does not roll back a rollback.
     */
    public Builder withCooldown(Duration cooldown) {
      Objects.requireNonNull(cooldown, "cooldown");
      if (cooldown.isNegative()) throw new IllegalArgumentException("cooldown must not be negative: " + cooldown);
      this.cooldown = cooldown;
      return this;
    }

    /** Declares that the FileJournal given lives on storage every replica shares (a network volume). */
    public Builder journalIsShared() {
      this.journalShared = true;
      return this;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
      return d;
    }

    /**
     * Validates and builds. Throws {@link PlanValidationException} listing every problem: no
     * trigger; a plan that may terminate this host without a shared durable journal and a
     * shared lease; a trigger whose worst-case detection plus the plan's step timeouts exceeds
     * the plan's budget (saying by how much).
     */
    public Guard build() {
      List<String> violations = new ArrayList<>();
      String path = "guard for " + deployment + " › plan '" + plan.name() + "'";
      if (engine != null && (journal != null || clock != null)) {
        throw new IllegalArgumentException("give the guard either an engine or a journal/clock for one, not both");
      }
      if (triggers.isEmpty()) violations.add(path + ": has no triggers");
      Journal j = engine != null ? engine.journal() : journal;
      Clock c = engine != null ? engine.clock() : clock != null ? clock : Clock.systemUTC();
      Lease l = lease != null ? lease : Leases.inMemory(c);
      if (plan.mayTerminateHost()) {
        List<String> steps = plan.steps().stream().filter(Step::mayTerminateHost).map(Step::name).toList();
        String why = " (steps " + steps + " may terminate this host, so another replica must be able to resume the run)";
        if (j == null || j instanceof InMemoryJournal) {
          violations.add(path + ": needs a shared durable journal, e.g. JdbcJournal, not an in-memory one" + why);
        } else if (j instanceof FileJournal && !journalShared) {
          violations.add(path + ": a FileJournal is local to this host; use a shared journal (JdbcJournal), or call"
              + " journalIsShared() if its directory is on storage every replica mounts" + why);
        }
        if (Leases.isInMemory(l)) {
          violations.add(path + ": needs a lease shared by the replicas (JDBC or Kubernetes), not Leases.inMemory()" + why);
        }
      }
      if (plan.budget().isPresent()) {
        List<String> unbounded = new ArrayList<>();
        Duration steps = Budgets.worstCase(plan, unbounded);
        violations.addAll(Budgets.check(path, plan.budget().get(), triggers, evaluationInterval, steps,
            "the plan's step timeouts" + (unbounded.isEmpty() ? "" : " (without " + String.join(", ", unbounded) + ", which have none)")));
      }
      if (!violations.isEmpty()) throw new PlanValidationException(plan.name(), violations);
      boolean owns = engine == null;
      RollbackEngine e = engine;
      if (e == null) {
        RollbackEngine.Builder eb = RollbackEngine.builder().withClock(c);
        if (j != null) eb.withJournal(j);
        e = eb.build();
      }
      return new Guard(this, e, owns, l);
    }
  }
}
