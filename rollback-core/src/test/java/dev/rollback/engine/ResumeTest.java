package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.PlanChangedException;
import dev.rollback.Reconciliation;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final World world = new World();

  /** Runs {@code plan} to the end, then returns a journal cut right after the STEP_STARTED of {@code path}. */
  private InMemoryJournal crashedWhile(RollbackPlan plan, String path) {
    InMemoryJournal full = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(full).build()) {
      engine.start(plan, DEPLOYMENT, RunOptions.defaults().withRunId("run-1")).await(HANG_GUARD);
    }
    byte[] bytes = full.bytes("run-1");
    List<JournalRecord> records = full.read("run-1").records();
    int cut = 0;
    int pos = 0;
    for (JournalRecord r : records) {
      int end = indexOf(bytes, (byte) '\n', pos) + 1;
      if (r.is(RecordType.STEP_STARTED) && path.equals(r.step())) {
        cut = end;
        break;
      }
      pos = end;
    }
    assertThat(cut).as("STEP_STARTED of " + path).isPositive();
    return InMemoryJournal.withBytes("run-1", Arrays.copyOf(bytes, cut));
  }

  private static int indexOf(byte[] b, byte x, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == x) return i;
    return -1;
  }

  @Test
  void resumeSkipsDoneStepsAndRunsAnIdempotentInDoubtStepAgain() {
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b").withIdempotent()).step(world.step("c")).build();
    InMemoryJournal journal = crashedWhile(plan, "b/b");
    world.log.clear();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = engine.resume("run-1", plan).await(HANG_GUARD);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(world.log).containsExactly("b", "c");
      assertThat(result.step("a/a")).isInstanceOf(StepOutcome.Succeeded.class);
    }
  }

  @Test
  void resumeRecordsAStepAsDoneWhenItsReconcilerSaysApplied() {
    Step b = world.step("b").toBuilder().reconcile(ctx -> Reconciliation.APPLIED).build();
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(b).build();
    InMemoryJournal journal = crashedWhile(plan, "b/b");
    world.log.clear();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = engine.resume("run-1", plan).await(HANG_GUARD);

      assertThat(world.log).isEmpty();
      assertThat(result.step("b/b")).isInstanceOf(StepOutcome.AlreadyApplied.class);
    }
  }

  @Test
  void resumeAsksAHumanAboutAStepThatIsNeitherIdempotentNorReconcilable() {
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).build();
    InMemoryJournal journal = crashedWhile(plan, "b/b");
    world.log.clear();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.resume("run-1", plan);
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.kind()).isEqualTo(GateKind.IN_DOUBT);
      assertThat(gate.question()).contains("may or may not have taken effect");
      run.answer(gate.id(), Decision.SKIP, "alice");

      RollbackResult result = run.await(HANG_GUARD);
      assertThat(world.log).isEmpty();
      assertThat(result.step("b/b")).isEqualTo(new StepOutcome.AlreadyApplied(1, "marked done by alice"));
    }
  }

  @Test
  void resumeRefusesAChangedPlanAndShowsTheDifferenceUnlessForced() {
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b").withIdempotent()).build();
    InMemoryJournal journal = crashedWhile(plan, "b/b");
    RollbackPlan changed = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b").withIdempotent().withTimeout(Duration.ofSeconds(9))).build();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      assertThatThrownBy(() -> engine.resume("run-1", changed))
          .isInstanceOf(PlanChangedException.class)
          .hasMessageContaining("- ").hasMessageContaining("timeout=none")
          .hasMessageContaining("+ ").hasMessageContaining("timeout=PT9S")
          .hasMessageContaining("ResumeOptions.force()");

      RollbackResult forced = engine.resume("run-1", changed, ResumeOptions.force()).await(HANG_GUARD);
      assertThat(forced.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(journal.read("run-1").records()).anyMatch(r -> r.is(RecordType.PLAN_RESUMED)
          && r.stringOr("reason", "").contains("changed plan (forced)"));
    }
  }

  @Test
  void resumeOfAHaltedRunAsksAgainAndContinues() {
    world.failing.add("b");
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b")).step(world.step("c")).build();
    InMemoryJournal journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withRunId("run-2"));
      run.answer(run.awaitGate(HANG_GUARD).id(), Decision.HALT, "alice");
      assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.HALTED);
    }
    world.failing.remove("b");

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.resume("run-2", plan);
      GateRequest again = run.awaitGate(HANG_GUARD);
      assertThat(again.id()).endsWith("#2");
      run.answer(again.id(), Decision.RETRY, "bob");
      RollbackResult result = run.await(HANG_GUARD);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(world.log).containsExactly("a", "b", "b", "c");
    }
  }

  @Test
  void resumeRefusesARunThatAlreadyRecovered() {
    InMemoryJournal journal = InMemoryJournal.create();
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      engine.start(plan, DEPLOYMENT, RunOptions.defaults().withRunId("done")).await(HANG_GUARD);

      assertThatThrownBy(() -> engine.resume("done", plan))
          .isInstanceOf(RollbackException.class).hasMessageContaining("already ended RECOVERED");
      assertThatThrownBy(() -> engine.resume("nope", plan))
          .isInstanceOf(RollbackException.class).hasMessageContaining("no records");
    }
  }

  @Test
  void resumeAfterATornLastRecordKeepsTheValidPrefixAndSaysWhatHappened() {
    RollbackPlan plan = RollbackPlan.builder("p").step(world.step("a")).step(world.step("b").withIdempotent()).build();
    InMemoryJournal cut = crashedWhile(plan, "b/b");
    byte[] bytes = cut.bytes("run-1");
    byte[] tail = "{\"v\":1,\"seq\":99,\"run\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] torn = Arrays.copyOf(bytes, bytes.length + tail.length);
    System.arraycopy(tail, 0, torn, bytes.length, tail.length);
    InMemoryJournal journal = InMemoryJournal.withBytes("run-1", torn);
    world.log.clear();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = engine.resume("run-1", plan).await(HANG_GUARD);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(result.problems()).singleElement().asString().contains("torn last record").contains(tail.length + " bytes");
      assertThat(world.log).containsExactly("b");
      assertThat(journal.read("run-1").records()).anyMatch(r -> r.is(RecordType.JOURNAL_REPAIRED));
    }
  }
}
