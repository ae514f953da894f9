package dev.rollback.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StateStepsTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");

  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build();
  private final Dial dial = new Dial("blue");

  @AfterEach
  void close() {
    engine.close();
  }

  /** A system with one value: what it reads, what it was set to, when it settles. */
  static class Dial implements StateAdapter<String> {
    volatile String value;
    final List<String> writes = new CopyOnWriteArrayList<>();
    final AtomicInteger settledPolls = new AtomicInteger();
    volatile int settlesAfterPolls;
    volatile boolean rolloutFails;
    volatile RuntimeException readFailure;
    volatile RuntimeException applyFailure;

    Dial(String value) {
      this.value = value;
    }

    @Override public String describe() { return "dial on test rig"; }

    @Override public String read(StepContext ctx) {
      if (readFailure != null) throw readFailure;
      return value;
    }

    @Override public void apply(String target, StepContext ctx) {
      if (applyFailure != null) throw applyFailure;
      if (target.equals(value)) return;
      value = target;
      writes.add(target);
      settledPolls.set(0);
    }

    @Override public SnapshotCodec<String> codec() {
      return SnapshotCodec.of(v -> Snapshot.of("dial", v), s -> s.require("dial"));
    }

    @Override public Settled settled(String target, StepContext ctx) {
      if (rolloutFails) return Settled.failed("progress deadline exceeded");
      int n = settledPolls.incrementAndGet();
      return n > settlesAfterPolls ? Settled.yes("converged after " + n + " polls") : Settled.notYet("poll " + n);
    }
  }

  private RollbackPlan plan(Step step) {
    return RollbackPlan.builder("dial").sequential("state", s -> s.step(step)).withFailurePolicy(FailurePolicy.CONTINUE).build();
  }

  /** The notes of the run's steps (not the run's own, such as a plan warning). */
  private List<String> notes(String runId) {
    List<String> out = new ArrayList<>();
    for (JournalRecord r : journal.read(runId).records()) {
      if (r.is(RecordType.NOTE) && r.step() != null) out.add(r.stringOr("message", ""));
    }
    return out;
  }

  @Test
  void restoreKnownGoodPutsBackTheStateCapturedBeforeTheChange() {
    RollbackPlan plan = plan(StateSteps.restoreKnownGood("restore dial", dial));
    KnownGood captured = engine.captureKnownGood(plan, DEPLOYMENT, RunOptions.defaults().withRunId("r1"));
    dial.value = "green";

    RollbackResult result = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withRunId("r1").withKnownGood(captured))
        .await(HANG_GUARD);

    assertThat(captured.of("state/restore dial")).contains(Snapshot.of("dial", "blue"));
    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.value).isEqualTo("blue");
    assertThat(notes("r1")).containsExactly("dial on test rig now blue");
    assertThat(plan.stages().get(0).steps().get(0).describe()).isEqualTo("restore the known-good state of dial on test rig");
  }

  @Test
  void aChangeIsRevertedToTheStateCapturedWhenTheReleaseStarted() {
    Change change = StateSteps.change("paint it green", dial, "green");
    List<String> seenAtGate = new CopyOnWriteArrayList<>();
    Release release = Release.builder("dial-2")
        .change(change)
        .healthGate(HealthCheck.of("looks bad", () -> {
          seenAtGate.add(dial.value);
          return HealthStatus.DOWN;
        })).within(Duration.ofMillis(1)).checkingEvery(Duration.ofMillis(1))
        .build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(seenAtGate).first().isEqualTo("green");
    assertThat(dial.value).isEqualTo("blue");
    assertThat(dial.writes).containsExactly("green", "blue");
    assertThat(change.apply().describe()).isEqualTo("set dial on test rig to green");
    assertThat(change.revert().describe()).contains("back to the state captured when the release started");
  }

  @Test
  void abandoningARollbackPutsBackWhatTheStepFound() {
    Step broken = Step.of("broken", ctx -> { throw new IllegalStateException("no"); });
    RollbackPlan plan = RollbackPlan.builder("dial")
        .sequential("state", s -> s.step(StateSteps.restore("paint green", dial, "green"))
            .step(broken.toBuilder().undo(ctx -> { }).build()))
        .withFailurePolicy(FailurePolicy.ABANDON).build();

    RollbackRun run = engine.start(plan, DEPLOYMENT);
    GateRequest abandon = run.awaitGate(HANG_GUARD);
    assertThat(abandon.kind()).isEqualTo(GateKind.ABANDON);
    assertThat(dial.value).isEqualTo("green");
    run.answer(abandon.id(), Decision.PROCEED, "alice");
    RollbackResult result = run.await(HANG_GUARD);

    assertThat(result.outcome()).isEqualTo(RunOutcome.ABANDONED);
    assertThat(dial.value).isEqualTo("blue");
    assertThat(notes(result.runId())).contains("dial on test rig back to blue");
  }

  @Test
  void reconcilesByReadingBackAndCallsAFailedReadUnknown() throws Exception {
    Step step = StateSteps.restore("paint green", dial, "green");
    MinimalContext ctx = new MinimalContext();

    assertThat(step.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.NOT_APPLIED);
    dial.value = "green";
    assertThat(step.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.APPLIED);
    dial.readFailure = new IllegalStateException("rig unplugged");
    assertThat(step.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.UNKNOWN);
    assertThat(ctx.notes).singleElement().asString().contains("cannot reconcile dial on test rig", "rig unplugged");
    assertThat(step.isIdempotent()).isTrue();
  }

  @Test
  void aTargetComputedAtRunTimeIsAppliedAndReconciled() {
    Step step = StateSteps.restoreComputed("upper-case", dial, ctx -> dial.value.toUpperCase(java.util.Locale.ROOT));

    RollbackResult result = engine.run(plan(step), DEPLOYMENT);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.value).isEqualTo("BLUE");
  }

  @Test
  void aComputedTargetIsJournaledOnceSoARetryAndTheReconcilerAimAtTheSamePlace() throws Exception {
    Step step = StateSteps.restoreComputed("one further", dial, ctx -> "after " + dial.value);
    MinimalContext ctx = new MinimalContext();

    assertThat(step.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.NOT_APPLIED);
    assertThat(ctx.checkpoints).isEmpty();
    step.action().run(ctx);
    step.action().run(ctx); // a retry: computed again from the new state it would go one further

    assertThat(dial.writes).containsExactly("after blue");
    assertThat(ctx.checkpoints).containsEntry(StateSteps.TARGET_CHECKPOINT, "{\"dial\":\"after blue\"}");
    assertThat(step.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.APPLIED);
  }

  @Test
  void aChangeWithAComputedTargetJournalsItOnceAndRevertsToTheStateCapturedAtReleaseStart() throws Exception {
    Change change = StateSteps.on(dial).change("one further", ctx -> "after " + dial.value);
    MinimalContext ctx = new MinimalContext();
    assertThat(change.apply().reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.NOT_APPLIED);

    change.apply().action().run(ctx);
    change.apply().action().run(ctx); // a retry aims at the journaled target, not one further again

    assertThat(dial.writes).containsExactly("after blue");
    assertThat(ctx.checkpoints).containsEntry(StateSteps.TARGET_CHECKPOINT, "{\"dial\":\"after blue\"}");
    assertThat(change.apply().reconciler().orElseThrow().reconcile(ctx)).isEqualTo(Reconciliation.APPLIED);

    dial.value = "blue";
    dial.writes.clear();
    RollbackResult result = engine.run(Release.builder("dial-computed").change(change)
        .healthGate(HealthCheck.constant("bad", HealthStatus.DOWN)).within(Duration.ofMillis(1)).checkingEvery(Duration.ofMillis(1))
        .build());

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.writes).containsExactly("after blue", "blue");
    assertThat(change.apply().describe()).isEqualTo("set dial on test rig to a target computed when the change is applied");
  }

  @Test
  void aSequenceAsAChangeRampsUpAndRevertsToTheStateCapturedAtReleaseStart() {
    Change ramp = StateSteps.on(dial).sequence("ramp up", List.of("10%", "50%", "100%")).toChange();
    Release release = Release.builder("dial-3").change(ramp)
        .healthGate(HealthCheck.constant("bad", HealthStatus.DOWN)).within(Duration.ofMillis(1)).checkingEvery(Duration.ofMillis(1))
        .build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.writes).containsExactly("10%", "50%", "100%", "blue");
    assertThat(ramp.apply().name()).isEqualTo("apply");
    assertThat(ramp.apply().describe()).isEqualTo("set dial on test rig to 10% → 50% → 100%");
  }

  @Test
  void runningTheSameStepAgainWritesNothing() {
    Step step = StateSteps.restore("paint green", dial, "green");

    engine.run(plan(step), DEPLOYMENT);
    RollbackResult again = engine.run(plan(step), DEPLOYMENT);

    assertThat(again.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.writes).containsExactly("green");
  }

  @Test
  void aFailedWriteNamesTheStepPathTheAdapterAndWhatItTried() {
    dial.applyFailure = new IllegalStateException("rig refuses");

    RollbackResult result = engine.run(plan(StateSteps.restore("paint green", dial, "green")), DEPLOYMENT);

    assertThat(result.step("state/paint green")).isInstanceOfSatisfying(StepOutcome.Failed.class, f -> assertThat(f.error())
        .contains("StateStepException", "step 'state/paint green'", "dial on test rig", "could not set it to green",
            "IllegalStateException: rig refuses"));
  }

  @Test
  void aWriteThatDoesNotReadBackFailsTheStep() {
    StateAdapter<String> stubborn = new Dial("blue") {
      @Override public void apply(String target, StepContext ctx) { /* accepts and ignores */ }
    };

    RollbackResult result = engine.run(plan(StateSteps.restore("paint green", stubborn, "green")), DEPLOYMENT);

    assertThat(result.step("state/paint green")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("was set to green but reads back blue"));
  }

  @Test
  void restoringWithoutAKnownGoodStateSaysHowToCaptureIt() {
    Step step = StateSteps.restoreKnownGood("restore dial", dial);

    assertThatThrownBy(() -> step.action().run(new MinimalContext()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("step 'state/step' has no known-good state of dial on test rig")
        .hasMessageContaining("RollbackEngine.captureKnownGood");
  }

  @Test
  void waitsUntilTheSystemSettlesAndNotesHowLongItTook() {
    dial.settlesAfterPolls = 3;
    Step step = StateSteps.on(dial).awaitingSettled(Duration.ofSeconds(30), Duration.ofMillis(1)).restore("paint green", "green");

    RollbackResult result = engine.run(plan(step), DEPLOYMENT);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.settledPolls).hasValue(4);
    assertThat(notes(result.runId())).anySatisfy(n -> assertThat(n).startsWith("dial on test rig settled on green after")
        .endsWith("converged after 4 polls"));
  }

  @Test
  void aSystemThatWillNotSettleFailsAtOnceNamingWhatItSaw() {
    dial.rolloutFails = true;
    Step step = StateSteps.on(dial).awaitingSettled(Duration.ofHours(1), Duration.ofMillis(1)).restore("paint green", "green");

    RollbackResult result = engine.run(plan(step), DEPLOYMENT);

    assertThat(result.step("state/paint green")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("dial on test rig", "did not settle on green: progress deadline exceeded"));
  }

  @Test
  void aSystemThatDoesNotSettleInTimeFailsWithWhatItLastSaw() {
    dial.settlesAfterPolls = Integer.MAX_VALUE;
    Step step = StateSteps.on(dial).awaitingSettled(Duration.ofMillis(30), Duration.ofMillis(5)).restore("paint green", "green");

    RollbackResult result = engine.run(plan(step), DEPLOYMENT);

    assertThat(result.step("state/paint green")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("did not settle on green within PT0.03S; last seen: poll"));
  }

  @Test
  void reconcileWaitingForSettledCallsAnUnsettledSystemNotApplied() throws Exception {
    dial.value = "green";
    dial.settlesAfterPolls = Integer.MAX_VALUE;
    Step step = StateSteps.on(dial).awaitingSettled(Duration.ofSeconds(1), Duration.ofMillis(1)).restore("paint green", "green");

    assertThat(step.reconciler().orElseThrow().reconcile(new MinimalContext())).isEqualTo(Reconciliation.NOT_APPLIED);
  }

  @Test
  void aSequenceCheckpointsEachTargetAndAResumeContinuesAfterTheLastOneDone() {
    Step step = StateSteps.on(dial).sequence("shade", List.of("a", "b", "c")).toStep();
    RollbackResult first = engine.run(plan(step), DEPLOYMENT);
    assertThat(first.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(dial.writes).containsExactly("a", "b", "c");
    assertThat(journal.read(first.runId()).records()).filteredOn(r -> r.is(RecordType.CHECKPOINT))
        .extracting(r -> r.stringOr("value", "")).containsExactly("1", "2", "3");

    // cut the run right after the checkpoint of the second target: a crash while setting the third
    byte[] bytes = journal.bytes(first.runId());
    int cut = 0;
    int pos = 0;
    for (JournalRecord r : journal.read(first.runId()).records()) {
      int end = indexOf(bytes, pos) + 1;
      if (r.is(RecordType.CHECKPOINT) && "2".equals(r.stringOr("value", ""))) {
        cut = end;
        break;
      }
      pos = end;
    }
    dial.value = "b";
    dial.writes.clear();
    InMemoryJournal crashed = InMemoryJournal.withBytes(first.runId(), java.util.Arrays.copyOf(bytes, cut));
    try (RollbackEngine resumed = RollbackEngine.builder().withJournal(crashed).build()) {
      RollbackResult result = resumed.resume(first.runId(), plan(step)).await(HANG_GUARD);
      assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(dial.writes).containsExactly("c");
  }

  @Test
  void aSequenceWhoseGateStaysDownStopsAtThatTargetAndSaysWhere() {
    Step step = StateSteps.on(dial).sequence("shade", List.of("a", "b"))
        .withHealthGate(HealthCheck.constant("always down", HealthStatus.DOWN), Duration.ofMillis(20), Duration.ofMillis(5))
        .toStep();

    RollbackResult result = engine.run(plan(step), DEPLOYMENT);

    assertThat(result.step("state/shade")).isInstanceOfSatisfying(StepOutcome.Failed.class, f -> assertThat(f.error())
        .contains("health gate 'always down' was not UP within PT0.02S after setting it to a (target 1 of 2)"));
    assertThat(dial.value).isEqualTo("a");
  }

  @Test
  void refusesBadOptionsAtTheCall() {
    assertThatThrownBy(() -> StateSteps.on(dial).awaitingSettled(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("settle timeout must be positive: PT0S");
    assertThatThrownBy(() -> StateSteps.on(dial).sequence("none", List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs at least one target");
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == '\n') return i;
    return -1;
  }

  /** Enough of a step context to call a step's parts directly (rollback-core cannot use rollback-test's FakeStepContext). */
  private static final class MinimalContext implements StepContext {
    final List<String> notes = new ArrayList<>();
    final Map<String, String> checkpoints = new java.util.LinkedHashMap<>();

    @Override public String runId() { return "run"; }
    @Override public String planName() { return "plan"; }
    @Override public String stepPath() { return "state/step"; }
    @Override public Deployment deployment() { return DEPLOYMENT; }
    @Override public String idempotencyKey() { return "run:state/step"; }
    @Override public int attempt() { return 1; }
    @Override public java.time.Instant deadline() { return java.time.Instant.MAX; }
    @Override public java.time.Clock clock() { return java.time.Clock.systemUTC(); }
    @Override public boolean isCancelled() { return false; }
    @Override public void checkCancelled() { }
    @Override public void sleep(Duration d) { throw new UnsupportedOperationException("not expected to wait"); }
    @Override public java.util.Optional<Snapshot> knownGood() { return java.util.Optional.empty(); }
    @Override public java.util.Optional<Snapshot> undoSnapshot() { return java.util.Optional.empty(); }
    @Override public void checkpoint(String key, String value) { checkpoints.put(key, value); }
    @Override public Map<String, String> checkpoints() { return Map.copyOf(checkpoints); }
    @Override public void note(String message) { notes.add(message); }
  }
}
