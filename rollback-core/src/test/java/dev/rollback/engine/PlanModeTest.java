package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.DryRun;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Reconciliation;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PlanModeTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final World world = new World();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final ManualClock clock = ManualClock.create();
  private final List<RollbackEvent> events = new CopyOnWriteArrayList<>();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withClock(clock)
      .withListener(events::add).build();

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void runsStagesInOrderAndRecoversWhenVerificationIsUp() {
    RollbackPlan plan = RollbackPlan.builder("p")
        .sequential("stop the bleeding", s -> s.step(world.step("flags")).step(world.step("traffic")))
        .sequential("restore", s -> s.step(world.step("workload")))
        .verifiedBy(HealthCheck.constant("api", HealthStatus.UP))
        .build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("flags", "traffic", "workload");
    assertThat(result.steps()).containsOnlyKeys("stop the bleeding/flags", "stop the bleeding/traffic", "restore/workload");
    assertThat(result.verification()).singleElement().satisfies(h -> assertThat(h.isUp()).isTrue());
  }

  @Test
  void runExecutesOnTheCallingThreadAndLeavesItUninterrupted() {
    Thread caller = Thread.currentThread();
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    RollbackPlan plan = RollbackPlan.builder("p").step(Step.of("here", ctx -> ranOn.add(Thread.currentThread())))
        .step(Step.builder("bounded").execute(ctx -> ranOn.add(Thread.currentThread())).withTimeout(Duration.ofSeconds(30)).build())
        .build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    // no hand-off before the first step; a step with a timeout still runs on the executor
    assertThat(ranOn).hasSize(2);
    assertThat(ranOn.get(0)).isSameAs(caller);
    assertThat(ranOn.get(1)).isNotSameAs(caller);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @Test
  void theWarmUpRunsItsOwnPlanAndTouchesNoJournalOrListenerOfTheApplication() {
    RollbackResult rehearsal = EngineWarmUp.rehearse();
    RollbackEngine.warmUp();

    assertThat(rehearsal.outcome()).isEqualTo(RunOutcome.RECOVERED);
    // verified: a plan with nothing that defines "recovered" would log a warning into the application's log
    assertThat(rehearsal.isVerified()).isTrue();
    assertThat(rehearsal.steps()).containsOnlyKeys("nothing/nothing");
    assertThat(journal.runIds()).isEmpty();
    assertThat(events).isEmpty();
  }

  @Test
  void endsNotRecoveredWhenFinalVerificationFails() {
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a"))
        .verifiedBy(HealthCheck.constant("api", HealthStatus.DOWN)).build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(result.summary()).contains("verification failed").contains("api DOWN");
  }

  @Test
  void haltAndAskStopsAtAGateThatTimesOutToHalt() {
    world.failing.add("b");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).step(world.step("c")).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = VirtualTime.advanceUntilGate(clock, run, Duration.ofSeconds(1));
    assertThat(gate.kind()).isEqualTo(GateKind.STEP_FAILED);
    assertThat(gate.options()).containsExactly(Decision.RETRY, Decision.SKIP, Decision.HALT);
    VirtualTime.advanceUntilDone(clock, run, Gate.DEFAULT_TIMEOUT);

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.HALTED);
    assertThat(result.haltedAt()).hasValueSatisfying(g -> assertThat(g.stepPath()).isEqualTo("b/b"));
    assertThat(world.log).containsExactly("a", "b");
    assertThat(journal.read(result.runId()).records()).anyMatch(r -> r.is(RecordType.GATE_DECIDED)
        && r.stringOr("actor", "").equals("timeout") && r.stringOr("decision", "").equals("HALT"));
  }

  @Test
  void aHumanRetryRunsTheFailedStepAgainAndTheRunRecovers() {
    world.failing.add("b");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);
    world.failing.remove("b");
    run.answer(gate.id(), Decision.RETRY, "alice");

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.executions).containsEntry("b", 2);
    assertThat(journal.read(result.runId()).records()).anyMatch(r -> r.is(RecordType.GATE_DECIDED)
        && r.stringOr("actor", "").equals("alice") && r.stringOr("decision", "").equals("RETRY"));
  }

  @Test
  void aGateAnsweredTwiceNamesTheFirstDecisionAndKeepsIt() {
    world.failing.add("a");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).build();
    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);
    run.answer(gate.id(), Decision.SKIP, "alice");

    assertThatThrownBy(() -> run.answer(gate.id(), Decision.HALT, "bob"))
        .isInstanceOf(GateAlreadyDecidedException.class)
        .hasMessageContaining(gate.id()).hasMessageContaining("SKIP by alice");
    assertThat(run.await(HANG_GUARD).step("a/a")).isInstanceOf(StepOutcome.Skipped.class);
  }

  @Test
  void aGateRefusesAnAnswerItDoesNotOffer() {
    world.failing.add("a");
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(world.step("a")).build(), DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);

    assertThatThrownBy(() -> run.answer(gate.id(), Decision.PROCEED, "alice"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("accepts [RETRY, SKIP, HALT], not PROCEED");
    run.cancel("test over");
  }

  @Test
  void continuePolicyGoesOnAndVerificationDecides() {
    world.failing.add("b");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).step(world.step("c"))
        .withFailurePolicy(FailurePolicy.CONTINUE).verifiedBy(HealthCheck.constant("api", HealthStatus.UP)).build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("a", "b", "c");
    assertThat(result.summary()).contains("b/b");
  }

  @Test
  void abandonUndoesCompletedStepsInReverseOrderAfterApproval() {
    world.failing.add("c");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).step(world.step("c"))
        .withFailurePolicy(FailurePolicy.ABANDON).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);
    assertThat(gate.kind()).isEqualTo(GateKind.ABANDON);
    assertThat(gate.question()).contains("re-enables the bad release");
    run.answer(gate.id(), Decision.PROCEED, "alice");

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.ABANDONED);
    assertThat(world.log).containsExactly("a", "b", "c", "undo b", "undo a");
  }

  @Test
  void aParallelStageCancelsTheSiblingsOfAFailedStepAndRecordsEveryOutcome() throws Exception {
    CountDownLatch slowStarted = new CountDownLatch(1);
    Step slow = Step.builder("slow").execute(ctx -> {
      slowStarted.countDown();
      new CountDownLatch(1).await(); // blocks until interrupted
    }).build();
    Step failing = Step.builder("failing").execute(ctx -> {
      slowStarted.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
      throw new IllegalStateException("boom");
    }).build();
    RollbackPlan plan = RollbackPlan.builder("p").parallel("bleed", s -> s.step(slow).step(failing)).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);

    assertThat(gate.stepPath()).isEqualTo("bleed/failing");
    assertThat(journal.read(run.runId()).records()).anyMatch(r -> r.is(RecordType.STEP_CANCELLED)
        && "bleed/slow".equals(r.step()) && r.stringOr("reason", "").contains("sibling 'bleed/failing' failed"));
    run.answer(gate.id(), Decision.HALT, "alice");
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.HALTED);
  }

  @Test
  void aTimedOutAttemptOfAStepThatIsNeitherIdempotentNorReconcilableAsksAHuman() {
    Step hangs = Step.builder("hangs").execute(ctx -> new CountDownLatch(1).await())
        .withTimeout(Duration.ofSeconds(30)).withRetry(Retry.times(3)).build();
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(hangs).build(), DEPLOYMENT);

    GateRequest gate = VirtualTime.advanceUntilGate(clock, run, Duration.ofSeconds(5));

    assertThat(gate.kind()).isEqualTo(GateKind.IN_DOUBT);
    assertThat(gate.question()).contains("timed out on attempt 1");
    run.answer(gate.id(), Decision.SKIP, "alice");
    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.step("hangs/hangs")).isInstanceOf(StepOutcome.AlreadyApplied.class);
  }

  @Test
  void aTimedOutReconcilableStepIsRecordedDoneWhenReconcileSaysApplied() {
    Set<String> applied = ConcurrentHashMap.newKeySet();
    Step slow = Step.builder("slow").execute(ctx -> {
      applied.add("x");
      new CountDownLatch(1).await();
    }).reconcile(ctx -> applied.contains("x") ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED)
        .withTimeout(Duration.ofSeconds(30)).withRetry(Retry.times(2).withFixedDelay(Duration.ofSeconds(1))).build();
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(slow).build(), DEPLOYMENT);
    // the effect must have happened before virtual time reaches the timeout
    org.awaitility.Awaitility.await().atMost(HANG_GUARD).until(() -> applied.contains("x"));

    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(5));

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.step("slow/slow")).isInstanceOf(StepOutcome.AlreadyApplied.class);
  }

  @Test
  void retriesWithBackoffOnVirtualTimeUntilTheStepSucceeds() {
    int[] calls = {0};
    Step flaky = Step.builder("flaky").execute(ctx -> {
      if (++calls[0] < 3) throw new IllegalStateException("transient " + calls[0]);
    }).withRetry(Retry.times(5).withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8))).build();

    RollbackRun run = engine.start(RollbackPlan.builder("p").step(flaky).build(), DEPLOYMENT);
    VirtualTime.advanceUntilDone(clock, run, Duration.ofMillis(500));

    RollbackResult result = run.await(HANG_GUARD);
    // a step's duration runs from its first attempt's start to its outcome: the backoff is in it
    assertThat(result.step("flaky/flaky")).isEqualTo(new StepOutcome.Succeeded(3, Duration.ofSeconds(3)));
    // waits of 1 s then 2 s on virtual time
    assertThat(result.elapsed()).isBetween(Duration.ofSeconds(3), Duration.ofMillis(3500));
  }

  @Test
  void idempotencyKeyIsTheSameForEveryAttempt() {
    List<String> keys = new CopyOnWriteArrayList<>();
    Step flaky = Step.builder("flaky").execute(ctx -> {
      keys.add(ctx.idempotencyKey() + "#" + ctx.attempt());
      if (keys.size() < 2) throw new IllegalStateException("again");
    }).withRetry(Retry.times(2).withFixedDelay(Duration.ofSeconds(1))).build();
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(flaky).build(), DEPLOYMENT);
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(1));

    assertThat(keys).containsExactly(run.runId() + ":flaky/flaky#1", run.runId() + ":flaky/flaky#2");
  }

  @Test
  void anApprovalGateRunsTheStepOnlyAfterProceed() {
    Step risky = world.step("drop column").withApproval(Gate.named("dba").withTimeout(Duration.ofMinutes(5)));
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(risky).build(), DEPLOYMENT);

    GateRequest gate = run.awaitGate(HANG_GUARD);
    assertThat(gate.kind()).isEqualTo(GateKind.APPROVAL);
    assertThat(gate.gate()).isEqualTo("dba");
    assertThat(world.log).isEmpty();
    run.answer(gate.id(), Decision.PROCEED, "dana");

    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("drop column");
  }

  @Test
  void cancelStopsTheRunCleanlyAndRecordsTheInterruptedStep() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Step blocks = Step.builder("blocks").execute(ctx -> {
      started.countDown();
      new CountDownLatch(1).await();
    }).build();
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(blocks).step(world.step("after")).build(), DEPLOYMENT);
    assertThat(started.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();

    run.cancel("operator pressed stop");

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(result.step("blocks/blocks")).isInstanceOf(StepOutcome.Cancelled.class);
    assertThat(world.log).isEmpty();
  }

  @Test
  void aStepSleepsOnTheEnginesClockAndACancelWakesIt() {
    Step waits = Step.builder("waits").execute(ctx -> ctx.sleep(Duration.ofMinutes(5))).build();
    RollbackRun run = engine.start(RollbackPlan.builder("p").step(waits).build(), DEPLOYMENT);
    VirtualTime.advanceUntilDone(clock, run, Duration.ofMinutes(1));
    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.elapsed()).isEqualTo(Duration.ofMinutes(5));

    RollbackRun sleeping = engine.start(RollbackPlan.builder("p").step(waits).build(), DEPLOYMENT);
    VirtualTime.settle(clock);
    sleeping.cancel("operator stopped it");
    RollbackResult cancelled = sleeping.await(HANG_GUARD);
    assertThat(cancelled.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(cancelled.step("waits/waits")).isInstanceOf(StepOutcome.Cancelled.class);
  }

  @Test
  void aBudgetBreachIsJournaledAndTheRunGoesOn() {
    Step slow = Step.builder("slow").execute(ctx -> { }).withApproval(Gate.named("wait")).build();
    RollbackPlan plan = RollbackPlan.builder("p").step(slow).withBudget(Duration.ofMinutes(1)).build();
    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest gate = run.awaitGate(HANG_GUARD);

    clock.advance(Duration.ofMinutes(2));
    run.answer(gate.id(), Decision.PROCEED, "alice");

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(RollbackEvent.BudgetExceeded.class));
    assertThat(journal.read(result.runId()).records()).anyMatch(r -> r.is(RecordType.BUDGET_EXCEEDED));
  }

  @Test
  void aListenerThatThrowsNeverBreaksTheRun() {
    try (RollbackEngine e = RollbackEngine.builder().withListener(ev -> { throw new IllegalStateException("bad listener"); }).build()) {
      RollbackResult result = e.run(RollbackPlan.builder("p").step(world.step("a")).build(), DEPLOYMENT);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
  }

  @Test
  void dryRunListsWhatWouldHappenInOrderWithoutDoingIt() {
    RollbackPlan plan = RollbackPlan.builder("checkout")
        .parallel("stop the bleeding", s -> s.step(world.step("flags").withDescription("turn off new-checkout"))
            .step(world.step("traffic").withDescription("send all traffic to blue")))
        .sequential("restore", s -> s.step(world.step("db").withDescription("roll back schema to 2.3.1")
            .withApproval(Gate.named("dba")).withTimeout(Duration.ofMinutes(2))))
        .verifiedBy(HealthCheck.constant("api", HealthStatus.UP))
        .build();

    DryRun dry = RollbackEngine.dryRun(plan);

    assertThat(dry.actions()).extracting(DryRun.Action::path)
        .containsExactly("stop the bleeding/flags", "stop the bleeding/traffic", "restore/db", "verify/api");
    assertThat(dry.toString()).contains("roll back schema to 2.3.1").contains("approval at gate 'dba'")
        .contains("timeout PT2M").contains("[parallel: stop the bleeding]");
    assertThat(world.log).isEmpty();
  }
}
