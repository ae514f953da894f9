package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.PlanValidationException;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.guard.Leases;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Timeout(120)
class GuardTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final AtomicInteger executed = new AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) c.close();
    engine.close();
  }

  private RollbackPlan plan() {
    return RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("kill switch").execute(ctx -> executed.incrementAndGet()).withTimeout(Duration.ofSeconds(5)).build())
        .build();
  }

  private Guard.Builder guard(Trigger... triggers) {
    Guard.Builder b = Guard.builder(plan(), DEPLOYMENT).withEngine(engine).withBakeTime(Duration.ofMinutes(10));
    for (Trigger t : triggers) b.trigger(t);
    return b;
  }

  private Guard arm(Guard.Builder b) {
    Guard g = b.build();
    toClose.add(g);
    g.arm();
    return g;
  }

  private List<JournalRecord> records(String runId, RecordType type) {
    return journal.read(runId).records().stream().filter(r -> r.is(type)).toList();
  }

  private long plansStarted() {
    return journal.runIds().stream().flatMap(id -> journal.read(id).records().stream())
        .filter(r -> r.is(RecordType.PLAN_STARTED)).count();
  }

  @Test
  void firesOnceWhenATriggerSaysRollBackAndJournalsWhy() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g = arm(guard(Trigger.sequential(requests)));
    clock.advance(Duration.ofMillis(250));
    for (int i = 0; i < 500; i++) requests.success(2_000_000);
    clock.advance(Duration.ofMillis(250));
    assertThat(g.state()).isEqualTo(GuardState.ARMED);
    for (int i = 0; i < 20; i++) requests.failure(2_000_000);
    clock.advance(Duration.ofMillis(250));

    assertThat(g.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    RollbackResult result = g.run().orElseThrow().await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.runId()).isEqualTo(g.runId());
    assertThat(executed).hasValue(1);
    JournalRecord fired = records(g.runId(), RecordType.TRIGGER_FIRED).get(0);
    assertThat(fired.stringOr("verdict", "")).isEqualTo("ROLL_BACK");
    assertThat(fired.stringOr("evidence", "")).contains("CUSUM");
    assertThat(records(g.runId(), RecordType.PLAN_STARTED).get(0).stringOr("reason", ""))
        .startsWith("trigger 'sequential test on the error rate of 'checkout requests'' fired");

    for (int i = 0; i < 100; i++) requests.failure(2_000_000);
    clock.advance(Duration.ofSeconds(5));
    assertThat(plansStarted()).isEqualTo(1);
    assertThat(executed).hasValue(1);
  }

  @Test
  void aFailureWakesTheGuardBeforeItsNextTick() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g = arm(guard(Trigger.sequential(requests)).withEvaluationInterval(Duration.ofSeconds(30)));
    clock.runDue();
    for (int i = 0; i < 8; i++) requests.failure(1_000_000);
    clock.runDue();
    assertThat(g.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    assertThat(clock.instant()).isEqualTo(ManualClock.create().instant());
  }

  @Test
  void aGuardRestartedForTheSameDeploymentStandsDown() {
    Trigger.Manual manual = Trigger.manual("on-call");
    Guard first = arm(guard(manual));
    manual.fire("alice", "charging twice");
    clock.runDue();
    first.run().orElseThrow().await(HANG_GUARD);

    Trigger.Manual again = Trigger.manual("on-call");
    Guard restarted = arm(guard(again));
    assertThat(restarted.state()).isEqualTo(GuardState.STOOD_DOWN);
    assertThat(restarted.status().detail()).contains(first.runId()).contains("already rolled back checkout@2.4.0")
        .contains("ended RECOVERED");
    again.fire("bob", "still broken");
    clock.advance(Duration.ofSeconds(1));
    assertThat(plansStarted()).isEqualTo(1);
    assertThat(executed).hasValue(1);
  }

  @Test
  void aDecisionJournaledBeforeACrashIsCarriedOutAfterTheRestart() {
    Guard crashed = arm(guard(Trigger.manual("on-call")));
    String runId = crashed.runId();
    crashed.close();
    long seq = journal.read(runId).records().size() + 1;
    journal.append(JournalRecord.of(seq, runId, RecordType.TRIGGER_FIRED, clock.instant(), 1, null,
        Map.of("trigger", "error ratio", "verdict", "ROLL_BACK", "evidence", "error ratio 0.4 over 30 s")));

    Guard restarted = arm(guard(Trigger.manual("on-call")));
    clock.runDue();
    assertThat(restarted.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    assertThat(restarted.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(records(runId, RecordType.PLAN_STARTED).get(0).stringOr("reason", ""))
        .contains("journaled before a restart").contains("error ratio 0.4 over 30 s");
  }

  @Test
  void twoGuardsInTwoThreadsOnOneLeaseOnlyOneActs() throws Exception {
    for (int round = 0; round < 20; round++) {
      Deployment d = Deployment.of("checkout", "2.4." + round);
      var lease = Leases.inMemory(clock);
      RollbackEngine e1 = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
      RollbackEngine e2 = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
      toClose.add(e1);
      toClose.add(e2);
      Guard g1 = Guard.builder(plan(), d).withEngine(e1).withLease(lease).withHolder("replica-1").trigger(Trigger.manual("m")).build();
      Guard g2 = Guard.builder(plan(), d).withEngine(e2).withLease(lease).withHolder("replica-2").trigger(Trigger.manual("m")).build();
      toClose.add(g1);
      toClose.add(g2);
      g1.arm();
      g2.arm();
      CyclicBarrier barrier = new CyclicBarrier(2);
      Thread t1 = new Thread(() -> { await(barrier); g1.rollBackNow("replica-1", "bad release"); });
      Thread t2 = new Thread(() -> { await(barrier); g2.rollBackNow("replica-2", "bad release"); });
      t1.start();
      t2.start();
      t1.join(10_000);
      t2.join(10_000);
      List<Guard> fired = List.of(g1, g2).stream().filter(g -> g.run().isPresent()).toList();
      assertThat(fired).as("round " + round).hasSize(1);
      fired.get(0).run().orElseThrow().await(HANG_GUARD);
      Guard other = fired.get(0) == g1 ? g2 : g1;
      // the winner releases the lease as its run completes; until then the other defers to it
      assertThat(other.state()).as("round " + round).isIn(GuardState.DEFERRED, GuardState.STOOD_DOWN);
      org.awaitility.Awaitility.await("round " + round + ": the other guard stands down").atMost(HANG_GUARD)
          .pollInterval(Duration.ofMillis(10)).until(() -> {
            if (other.state() == GuardState.DEFERRED) other.rollBackNow("replica", "again");
            return other.state() == GuardState.STOOD_DOWN;
          });
      assertThat(fired.get(0).state()).as("round " + round).isEqualTo(GuardState.ROLLED_BACK);
    }
    assertThat(executed).hasValue(20);
    assertThat(plansStarted()).isEqualTo(20);
  }

  @Test
  void twoGuardsOnTheirOwnSchedulerThreadsWatchingOneServiceRollBackOnce() {
    var lease = Leases.inMemory();
    RollbackEngine e1 = RollbackEngine.builder().withJournal(journal).build();
    RollbackEngine e2 = RollbackEngine.builder().withJournal(journal).build();
    toClose.add(e1);
    toClose.add(e2);
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g1 = Guard.builder(plan(), DEPLOYMENT).withEngine(e1).withLease(lease).withHolder("replica-1")
        .trigger(Trigger.sequential(requests)).withEvaluationInterval(Duration.ofMillis(20)).build();
    Guard g2 = Guard.builder(plan(), DEPLOYMENT).withEngine(e2).withLease(lease).withHolder("replica-2")
        .trigger(Trigger.sequential(requests)).withEvaluationInterval(Duration.ofMillis(20)).build();
    toClose.add(g1);
    toClose.add(g2);
    g1.arm();
    g2.arm();
    for (int i = 0; i < 500; i++) requests.success(1_000_000);
    for (int i = 0; i < 50; i++) requests.failure(1_000_000);
    org.awaitility.Awaitility.await("one guard fired and the other stood down").atMost(HANG_GUARD)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> java.util.Set.of(g1.state(), g2.state()).equals(java.util.Set.of(GuardState.ROLLED_BACK, GuardState.STOOD_DOWN)));
    Guard fired = g1.run().isPresent() ? g1 : g2;
    assertThat(fired.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(fired.status().outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(executed).hasValue(1);
    assertThat(plansStarted()).isEqualTo(1);
  }

  @Test
  void aRollbackInterruptedWithItsReplicaIsResumedByAnotherReplicasGuard() throws Exception {
    AtomicInteger killSwitch = new AtomicInteger();
    AtomicInteger undoRollout = new AtomicInteger();
    java.util.concurrent.CountDownLatch onReplicaA = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch hostDies = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean replicaA = new java.util.concurrent.atomic.AtomicBoolean(true);
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("kill switch").execute(ctx -> killSwitch.incrementAndGet()).idempotent().build())
        .step(Step.builder("undo rollout").execute(ctx -> {
          undoRollout.incrementAndGet();
          if (replicaA.get()) {
            onReplicaA.countDown();
            hostDies.await();
          }
        }).idempotent().build())
        .build();
    Trigger.Manual manual = Trigger.manual("on-call");
    Guard a = Guard.builder(plan, DEPLOYMENT).withEngine(engine).withHolder("replica-a").trigger(manual).build();
    toClose.add(a);
    a.arm();
    manual.fire("alice", "bad release");
    clock.runDue();
    assertThat(onReplicaA.await(HANG_GUARD.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    try {
      // the shared journal as replica A's host left it, mid-step; A's lease expired with it
      InMemoryJournal shared = InMemoryJournal.withBytes(a.runId(), journal.bytes(a.runId()));
      replicaA.set(false);
      RollbackEngine engineB = RollbackEngine.builder().withClock(clock).withJournal(shared).build();
      toClose.add(engineB);
      Guard b = Guard.builder(plan, DEPLOYMENT).withEngine(engineB).withLease(Leases.inMemory(clock)).withHolder("replica-b")
          .trigger(Trigger.manual("on-call")).build();
      toClose.add(b);
      b.arm();
      assertThat(b.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
      RollbackResult result = b.run().orElseThrow().await(HANG_GUARD);
      assertThat(shared.read(a.runId()).records()).as("replica B resumed A's run").anyMatch(r -> r.is(RecordType.PLAN_RESUMED));
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(killSwitch).as("a finished step is not run again").hasValue(1);
      assertThat(undoRollout).as("the idempotent in-doubt step runs again").hasValue(2);
    } finally {
      hostDies.countDown();
    }
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aPlanThatMayTerminateTheHostRefusesAGuardWithoutSharedJournalAndLease() {
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("undo rollout").execute(ctx -> { }).mayTerminateHost().idempotent().build())
        .build();
    assertThatThrownBy(() -> Guard.builder(plan, DEPLOYMENT).withEngine(engine).trigger(Trigger.manual("m")).build())
        .isInstanceOf(PlanValidationException.class)
        .hasMessageContaining("needs a shared durable journal")
        .hasMessageContaining("needs a lease shared by the replicas")
        .hasMessageContaining("[undo rollout]");
  }

  @Test
  void theBudgetCheckSaysByHowMuchDetectionAndStepsExceedTheBudget() {
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("restore").execute(ctx -> { }).withTimeout(Duration.ofSeconds(50)).build())
        .withBudget(Duration.ofMinutes(1))
        .build();
    RequestRecorder r = RequestRecorder.create("requests");
    assertThatThrownBy(() -> Guard.builder(plan, DEPLOYMENT).withEngine(engine)
            .trigger(Trigger.errorRatio(r).over(Duration.ofSeconds(30)))
            .trigger(Trigger.sequential(r))
            .build())
        .isInstanceOf(PlanValidationException.class)
        .hasMessageContaining("worst-case detection 30.6 s (window 30 s + resolution 600 ms")
        .hasMessageContaining("+ evaluation interval 250 ms + the plan's step timeouts 50 s = 1 min 20.85 s, 20.85 s over the budget of 1 min")
        .satisfies(e -> assertThat(((PlanValidationException) e).violations()).hasSize(1));
  }

  @Test
  void aReleaseWhoseTriggerCannotDetectWithinTheBudgetDoesNotBuild() {
    Step apply = Step.builder("set image").execute(ctx -> { }).build();
    Step revert = Step.builder("undo image").execute(ctx -> { }).withTimeout(Duration.ofMinutes(4)).build();
    assertThatThrownBy(() -> dev.rollback.Release.builder("checkout-2.4.0")
            .change(dev.rollback.Change.of("image", apply, revert))
            .trigger(Trigger.consecutiveFailures(Signals.poll(new ScriptedSignal.ScriptedCheck("h"), Duration.ofMinutes(1)), 3))
            .withBudget(Duration.ofMinutes(5))
            .build())
        .isInstanceOf(PlanValidationException.class)
        .hasMessageContaining("3 × sample interval 1 min")
        .hasMessageContaining("2 min over the budget of 5 min");
  }

  @Test
  void theBakeTimePassingKeepsTheRelease() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g = arm(guard(Trigger.errorRatio(requests).minSamples(10)).withBakeTime(Duration.ofMinutes(2)));
    for (int i = 0; i < 240; i++) {
      for (int k = 0; k < 20; k++) requests.success(1_000_000);
      clock.advance(Duration.ofMillis(500));
    }
    assertThat(g.state()).isEqualTo(GuardState.BAKED);
    assertThat(g.run()).isEmpty();
    assertThat(clock.scheduledCount()).isZero();
  }

  @Test
  void aHangingHealthEndpointAsksAHumanAndNeverRollsBackOnItsOwn() {
    ScriptedSignal.ScriptedCheck health = new ScriptedSignal.ScriptedCheck("checkout health");
    health.always(HealthStatus.UNKNOWN);
    Guard g = arm(guard(Trigger.consecutiveFailures(Signals.poll(health, Duration.ofSeconds(2)), 3))
        .withBakeTime(Duration.ofMinutes(1)));
    clock.advance(Duration.ofMinutes(2));
    assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);
    assertThat(g.status().detail()).contains("inconclusive");
    assertThat(records(g.runId(), RecordType.TRIGGER_FIRED)).hasSize(1)
        .allSatisfy(r -> assertThat(r.stringOr("verdict", "")).isEqualTo("ASK_HUMAN"));
    assertThat(plansStarted()).isZero();

    g.rollBackNow("alice", "the endpoint hangs and customers complain");
    assertThat(g.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    assertThat(g.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
  }

  @Test
  void theCooldownKeepsAGuardFromRollingBackARollback() {
    Trigger.Manual first = Trigger.manual("on-call");
    Guard bad = arm(guard(first));
    first.fire("alice", "bad release");
    clock.runDue();
    bad.run().orElseThrow().await(HANG_GUARD);

    clock.advance(Duration.ofMinutes(2));
    Trigger.Manual second = Trigger.manual("on-call");
    Guard previous = Guard.builder(plan(), Deployment.of("checkout", "2.3.9")).withEngine(engine).trigger(second)
        .withCooldown(Duration.ofMinutes(10)).build();
    toClose.add(previous);
    previous.arm();
    second.fire("bob", "errors again");
    clock.runDue();
    assertThat(previous.state()).isEqualTo(GuardState.NEEDS_HUMAN);
    assertThat(previous.status().detail()).contains("within the cooldown of 10 min").contains("checkout@2.4.0");
    assertThat(plansStarted()).isEqualTo(1);
  }

  @Test
  void closeDisarms() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g = arm(guard(Trigger.sequential(requests)));
    clock.runDue();
    g.close();
    for (int i = 0; i < 50; i++) requests.failure(1_000_000);
    clock.advance(Duration.ofSeconds(5));
    assertThat(g.state()).isEqualTo(GuardState.CLOSED);
    assertThat(plansStarted()).isZero();
    assertThat(clock.scheduledCount()).isZero();
  }

  @Test
  void theStatusShowsEachTriggersLastEvaluation() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Guard g = arm(guard(Trigger.errorRatio(requests), Trigger.manual("on-call")));
    clock.advance(Duration.ofSeconds(1));
    Guard.Status s = g.status();
    assertThat(s.state()).isEqualTo(GuardState.ARMED);
    assertThat(s.lastEvaluations()).hasSize(2).allSatisfy(e -> assertThat(e.verdict()).isEqualTo(Verdict.HOLD));
    assertThat(s.bakeEndsAt()).isEqualTo(s.armedAt().plus(Duration.ofMinutes(10)));
    assertThatThrownBy(g::arm).isInstanceOf(IllegalStateException.class).hasMessageContaining("already ARMED");
  }
}
