package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.guard.Leases;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The guard tells the truth: how its run ended, that it defers to another replica, and when it stops rolling back. */
@org.junit.jupiter.api.Timeout(60)
class GuardTruthTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) c.close();
    engine.close();
  }

  private Guard guard(RollbackPlan plan, Deployment d, Trigger trigger, java.util.function.UnaryOperator<Guard.Builder> more) {
    Guard g = more.apply(Guard.builder(plan, d).withEngine(engine).trigger(trigger).withBakeTime(Duration.ofHours(2))
        .withEvaluationInterval(Duration.ofSeconds(1))).build();
    open.add(g);
    g.arm();
    return g;
  }

  private static RollbackPlan plan(Step step) {
    return RollbackPlan.builder("checkout-2.4.0").step(step).withFailurePolicy(FailurePolicy.CONTINUE).build();
  }

  private void until(BooleanSupplier condition, String what) {
    for (int i = 0; i < 2_000 && !condition.getAsBoolean(); i++) {
      clock.advance(Duration.ofMillis(500));
      long spin = System.nanoTime() + 500_000L;
      while (System.nanoTime() < spin) Thread.onSpinWait();
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void theStatusSaysTheRunEndedRecoveredNotThatItIsStillRollingBack() {
    Trigger.Manual oncall = Trigger.manual("on-call");
    Guard g = guard(plan(Step.of("kill switch", ctx -> { })), DEPLOYMENT, oncall, b -> b);

    oncall.fire("alice", "checkout is failing");
    until(() -> g.run().isPresent() && g.run().get().result().isDone(), "the rollback ended");
    until(() -> g.state() == GuardState.ROLLED_BACK, "the guard saw it end");

    Guard.Status s = g.status();
    assertThat(s.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(s.detail()).startsWith("run " + g.runId() + " ended RECOVERED (not verified) in ");
  }

  @Test
  void aRollbackThatDidNotRecoverLeavesTheGuardInRollbackFailed() {
    Trigger.Manual oncall = Trigger.manual("on-call");
    Guard g = guard(plan(Step.of("kill switch", ctx -> { throw new IllegalStateException("flag store unreachable"); })),
        DEPLOYMENT, oncall, b -> b);

    oncall.fire("alice", "checkout is failing");
    until(() -> g.state() == GuardState.ROLLBACK_FAILED, "the guard saw the run fail");

    assertThat(g.status().outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(g.status().detail()).contains("ended NOT_RECOVERED", "flag store unreachable");
  }

  @Test
  void aGuardWhoseReplicaActsIsDeferredThenStandsDownWhenThatRunEnds() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    RollbackPlan slow = plan(Step.of("kill switch", ctx -> release.await(30, TimeUnit.SECONDS)));
    dev.rollback.guard.Lease lease = Leases.inMemory(clock);
    Trigger.Manual a = Trigger.manual("replica a's on-call");
    Trigger.Manual b = Trigger.manual("replica b's on-call");
    Guard first = guard(slow, DEPLOYMENT, a, x -> x.withLease(lease).withHolder("pod-a"));
    // the second replica of the same deployment: same journal (shared), same lease
    Guard second = guard(slow, DEPLOYMENT, b, x -> x.withLease(lease).withHolder("pod-b"));

    a.fire("alice", "errors");
    until(() -> first.state() == GuardState.FIRED, "pod-a fires");
    b.fire("bob", "errors");
    until(() -> second.state() != GuardState.ARMED, "pod-b decides");

    assertThat(second.state()).isEqualTo(GuardState.DEFERRED);
    assertThat(second.status().detail()).containsAnyOf("another replica holds the lease", "replica holding the lease");
    release.countDown();
    until(() -> second.state() == GuardState.STOOD_DOWN, "pod-b stands down once pod-a's run ended");
    assertThat(first.state()).isEqualTo(GuardState.ROLLED_BACK);
  }

  @Test
  void aGuardWhoseLeaseIsTakenOverDefersAndTakesTheRunBackWhenTheOtherReplicaStops() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
    RollbackPlan plan = plan(Step.builder("kill switch").execute(ctx -> {
      if (runs.incrementAndGet() == 1) stuck.await(30, TimeUnit.SECONDS); // the first attempt hangs
    }).idempotent().build());
    ScriptedLease lease = new ScriptedLease(clock);
    Trigger.Manual oncall = Trigger.manual("on-call");
    Guard g = guard(plan, DEPLOYMENT, oncall, x -> x.withLease(lease).withHolder("pod-a"));

    oncall.fire("alice", "errors");
    until(() -> g.state() == GuardState.FIRED && runs.get() == 1, "pod-a runs its step");
    LeaseGrant theirs = lease.takeOver("pod-b", Duration.ofSeconds(30));
    until(() -> g.state() == GuardState.DEFERRED, "pod-a noticed at its next renewal");
    assertThat(g.status().detail()).contains("lost the lease");

    lease.release(theirs); // pod-b stopped before finishing the run
    until(() -> g.state() == GuardState.ROLLED_BACK, "pod-a took the run back and finished it");
    assertThat(runs.get()).isEqualTo(2);
  }

  @Test
  void afterThreeAutomaticRollbacksOfAServiceInAnHourTheGuardAsksAHuman() {
    for (String version : List.of("2.4.0", "2.4.1", "2.4.2")) {
      Trigger.Manual t = Trigger.manual("errors of " + version);
      Guard g = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", version), t, b -> b);
      t.fire("monitor", "errors");
      until(() -> g.state() == GuardState.ROLLED_BACK, "rollback of " + version);
      clock.advance(Duration.ofMinutes(10));
    }
    Trigger.Manual t = Trigger.manual("errors of 2.4.3");
    Guard fourth = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", "2.4.3"), t, b -> b);

    t.fire("monitor", "errors");
    until(() -> fourth.state() == GuardState.NEEDS_HUMAN, "the fourth asks");

    assertThat(fourth.run()).isEmpty();
    assertThat(fourth.status().detail()).contains("3 automatic rollbacks of checkout started within the last 1 h",
        "the limit is 3: no rollback loops, a human decides");
    assertThat(journal.read(fourth.runId()).records()).filteredOn(r -> r.is(RecordType.TRIGGER_FIRED))
        .singleElement().satisfies(r -> assertThat(r.stringOr("verdict", "")).isEqualTo("ASK_HUMAN"));
    // a human still can
    fourth.rollBackNow("alice", "I looked: roll it back");
    until(() -> fourth.state() == GuardState.ROLLED_BACK, "the human's rollback");
  }

  @Test
  void theRollbackLimitCountsOnlyRollbacksWithinItsWindow() {
    for (String version : List.of("2.4.0", "2.4.1")) {
      Trigger.Manual t = Trigger.manual("errors of " + version);
      Guard g = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", version), t,
          b -> b.withRollbackLimit(2, Duration.ofMinutes(30)));
      t.fire("monitor", "errors");
      until(() -> g.state() == GuardState.ROLLED_BACK, "rollback of " + version);
    }
    clock.advance(Duration.ofMinutes(31));
    Trigger.Manual t = Trigger.manual("errors of 2.4.2");
    Guard third = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", "2.4.2"), t,
        b -> b.withRollbackLimit(2, Duration.ofMinutes(30)));

    t.fire("monitor", "errors");
    until(() -> third.state() == GuardState.ROLLED_BACK, "the third rolls back: the first two are older than 30 min");
  }

  @Test
  void rollbacksAHumanAskedForDoNotCountTowardsTheLimit() {
    for (String version : List.of("2.4.0", "2.4.1", "2.4.2")) {
      Guard g = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", version), Trigger.manual("m"), b -> b);
      g.rollBackNow("alice", "I looked: roll it back");
      until(() -> g.state() == GuardState.ROLLED_BACK, "alice's rollback of " + version);
    }
    Trigger.Manual t = Trigger.manual("errors of 2.4.3");
    Guard fourth = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", "2.4.3"), t, b -> b);

    t.fire("monitor", "errors");

    until(() -> fourth.state() == GuardState.ROLLED_BACK, "the first automatic rollback of the hour");
  }

  @Test
  void theRollbackLimitIsCountedFromTheJournalSoItHoldsAcrossARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    for (String version : List.of("2.4.0", "2.4.1")) {
      // each version runs in a fresh "process": its own engine on the same durable journal
      try (dev.rollback.journal.FileJournal fileJournal = dev.rollback.journal.FileJournal.create(dir);
           RollbackEngine process = RollbackEngine.builder().withClock(clock).withJournal(fileJournal).build()) {
        Trigger.Manual t = Trigger.manual("errors of " + version);
        Guard g = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", version), t,
            b -> b.withEngine(process).withRollbackLimit(2, Duration.ofHours(1)));
        t.fire("monitor", "errors");
        until(() -> g.state() == GuardState.ROLLED_BACK, "rollback of " + version);
        g.close();
      }
    }
    try (dev.rollback.journal.FileJournal fileJournal = dev.rollback.journal.FileJournal.create(dir);
         RollbackEngine restarted = RollbackEngine.builder().withClock(clock).withJournal(fileJournal).build()) {
      Trigger.Manual t = Trigger.manual("errors of 2.4.2");
      Guard third = guard(plan(Step.of("undo", ctx -> { })), Deployment.of("checkout", "2.4.2"), t,
          b -> b.withEngine(restarted).withRollbackLimit(2, Duration.ofHours(1)));

      t.fire("monitor", "errors");
      until(() -> third.state() == GuardState.NEEDS_HUMAN, "the third asks, although this process never rolled back");

      assertThat(third.run()).isEmpty();
      assertThat(third.status().detail()).contains("2 automatic rollbacks of checkout", "the limit is 2");
      third.close();
    }
  }
}
