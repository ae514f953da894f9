package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.LeaseLostException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.StepOutcome;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A run acting under a lease: its steps see the lease and its token, it renews the lease while it
 * runs, it stops (the step in flight interrupted and left in doubt, nothing more journaled) when
 * the lease is lost, and it gives the lease up before its result completes.
 */
@org.junit.jupiter.api.Timeout(60)
class LeaseFencingTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private static final Duration TTL = Duration.ofSeconds(30);

  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final ScriptedLease lease = new ScriptedLease(clock);
  private final List<String> writes = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    engine.close();
  }

  private LeaseGrant grant(String holder) {
    return lease.tryAcquire("lease", holder, TTL).orElseThrow();
  }

  private RunOptions under(LeaseGrant grant) {
    return RunOptions.defaults().withReason("test").withLease(lease, grant, TTL);
  }

  /** A system with one value; every write is recorded. */
  private final StateAdapter<String> dial = new StateAdapter<>() {
    volatile String value = "0%";

    @Override public String describe() { return "dial"; }
    @Override public String read(StepContext ctx) { return value; }

    @Override public void apply(String target, StepContext ctx) {
      if (target.equals(value)) return;
      value = target;
      writes.add(target + " (token " + ctx.lease().token() + ")");
    }

    @Override public SnapshotCodec<String> codec() {
      return SnapshotCodec.of(v -> Snapshot.of("value", v), s -> s.require("value"));
    }
  };

  /** Sets the dial to 50 %, 10 %, 0 %, holding a minute after each. */
  private RollbackPlan shiftPlan() {
    return RollbackPlan.builder("shift")
        .step(StateSteps.on(dial).sequence("shift", List.of("50%", "10%", "0%")).withPause(Duration.ofMinutes(1)).toStep())
        .step(Step.builder("after").execute(ctx -> writes.add("after")).idempotent().build())
        .build();
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what) {
    long until = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) throw new AssertionError("timed out waiting until " + what);
      Thread.onSpinWait();
    }
  }

  @Test
  void aStepSeesTheLeaseItActsUnderAndTheLeaseIsFreeBeforeTheResultCompletes() {
    LeaseGrant g = grant("pod-1");
    AtomicReference<String> seen = new AtomicReference<>();
    RollbackPlan plan = RollbackPlan.builder("p").step(Step.of("look", ctx -> {
      StepLease l = ctx.lease();
      seen.set(l.name() + " " + l.holder() + " " + l.token() + " " + l.stillHeld() + " " + l.isPresent());
    })).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT, under(g));
    // evaluated while the result completes: the lease must be free by then
    java.util.concurrent.CompletableFuture<String> holderAtCompletion = run.result().thenApply(r -> lease.holder());
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(1));

    assertThat(run.await().outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(seen.get()).isEqualTo("lease pod-1 1 true true");
    assertThat(holderAtCompletion.join()).as("holder of the lease when the result completed").isEmpty();
    assertThat(lease.calls).contains("release pod-1 token 1");
  }

  @Test
  void aRunWithoutALeaseShowsItsStepsNone() {
    AtomicReference<StepLease> seen = new AtomicReference<>();
    engine.run(RollbackPlan.builder("p").step(Step.of("look", ctx -> seen.set(ctx.lease()))).build(), DEPLOYMENT);

    assertThat(seen.get().isPresent()).isFalse();
    assertThat(seen.get().stillHeld()).isTrue();
    assertThat(seen.get().token()).isZero();
  }

  @Test
  void aLongRunRenewsItsLeaseEveryThirdOfItsTtl() {
    RollbackRun run = engine.start(shiftPlan(), DEPLOYMENT, under(grant("pod-1")));
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(1));

    assertThat(run.await().outcome()).isEqualTo(RunOutcome.RECOVERED);
    // three minutes of pauses with a 30 s TTL: a renewal every 10 s kept it
    assertThat(lease.calls.stream().filter(c -> c.startsWith("renew pod-1")).count()).isGreaterThanOrEqualTo(17);
    assertThat(writes).containsExactly("50% (token 1)", "10% (token 1)", "0% (token 1)", "after");
  }

  @Test
  void aLeaseTakenOverMidStepInterruptsTheStepAndNothingMoreIsWrittenOrJournaled() {
    RollbackRun run = engine.start(shiftPlan(), DEPLOYMENT, under(grant("pod-1")));
    waitUntil(() -> writes.size() == 1 && clock.scheduledCount() >= 2, "the first target is set and the step pauses");
    long journaledBefore = journal.read(run.runId()).records().size();

    LeaseGrant other = lease.takeOver("pod-2", TTL); // another replica's clock judged it expired
    clock.advance(Duration.ofSeconds(10)); // the next renewal finds token 2
    RollbackResult r = run.await(Duration.ofSeconds(5));

    assertThat(r.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(r.summary()).contains("lost the lease lease (fencing token 1)", "another replica took it over");
    assertThat(r.step("shift/shift")).isInstanceOf(StepOutcome.Cancelled.class);
    assertThat(r.step("after/after")).isInstanceOf(StepOutcome.NotRun.class);
    assertThat(writes).containsExactly("50% (token 1)");
    List<JournalRecord> journaled = journal.read(run.runId()).records();
    assertThat(journaled).hasSize((int) journaledBefore);
    assertThat(journaled.get(journaled.size() - 1).is(RecordType.STEP_STARTED))
        .as("the step's outcome is left in doubt, not journaled: %s", journaled).isTrue();
    assertThat(lease.calls).as("a lost lease is not released").noneMatch(c -> c.startsWith("release pod-1"));

    // the replica holding the lease now resumes the run where it stood
    RollbackRun resumed = engine.resume(run.runId(), shiftPlan(), ResumeOptions.defaults().withLease(lease, other, TTL));
    VirtualTime.advanceUntilDone(clock, resumed, Duration.ofSeconds(1));
    assertThat(resumed.await().outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(writes).containsExactly("50% (token 1)", "10% (token 2)", "0% (token 2)", "after");
    assertThat(journal.read(run.runId()).records()).allMatch(rec -> rec.fence() <= 2);
  }

  @Test
  void aLeaseThatCannotBeRenewedIsGivenUpBeforeItCouldLapse() {
    RollbackRun run = engine.start(shiftPlan(), DEPLOYMENT, under(grant("pod-1")));
    waitUntil(() -> writes.size() == 1 && clock.scheduledCount() >= 2, "the first target is set and the step pauses");
    java.time.Instant cutOff = clock.instant();
    assertThat(cutOff).isEqualTo(java.time.Instant.parse("2026-01-01T00:00:00Z"));

    lease.unreachable(true);
    clock.advance(Duration.ofSeconds(25)); // renewals at 10 s and 20 s fail; the step's pause runs to 60 s
    RollbackResult r = run.await(Duration.ofSeconds(5)); // ends without the clock reaching the TTL

    assertThat(Duration.between(cutOff, clock.instant())).isLessThan(TTL);
    assertThat(r.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(r.summary()).contains("could not be renewed for 20 s", "would lapse");
    assertThat(writes).containsExactly("50% (token 1)");
  }

  @Test
  void aSystemRefusingAWriteForAHigherTokenStopsTheRunWithoutJournalingMore() {
    RollbackPlan plan = RollbackPlan.builder("p")
        .step(Step.of("write", ctx -> {
          throw new LeaseLostException(ctx.lease(), "deployment shop/checkout carries fencing token 7");
        }))
        .step(Step.of("after", ctx -> writes.add("after")))
        .build();

    RollbackRun run = engine.start(plan, DEPLOYMENT, under(grant("pod-1")));
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(1));
    RollbackResult r = run.await();

    assertThat(r.outcome()).isEqualTo(RunOutcome.CANCELLED);
    assertThat(r.summary()).contains("carries fencing token 7");
    assertThat(r.step("write/write")).isInstanceOf(StepOutcome.Cancelled.class);
    assertThat(writes).isEmpty();
    List<JournalRecord> journaled = journal.read(run.runId()).records();
    assertThat(journaled.get(journaled.size() - 1).is(RecordType.STEP_STARTED)).as("%s", journaled).isTrue();
  }
}
