package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.FailurePolicy;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Trigger;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReleaseModeTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private final World world = new World();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final ManualClock clock = ManualClock.create();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withClock(clock).build();

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void releasesWhenEveryChangeSucceeds() {
    Release release = Release.builder("r").change(world.change("a", false, false)).change(world.change("b", false, false)).build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RELEASED);
    assertThat(world.log).containsExactly("apply a", "apply b");
    assertThat(world.values).containsEntry("a", "new").containsEntry("b", "new");
  }

  @Test
  void revertsEveryAppliedChangeInReverseOrderIncludingTheFailingOne() {
    world.failing.add("c");
    Release release = Release.builder("r")
        .change(world.change("a", false, false))
        .change(world.change("b", false, false))
        .change(world.change("c", false, false))
        .change(world.change("d", false, false))
        .build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("apply a", "apply b", "apply c", "revert c", "revert b", "revert a");
    assertThat(result.step("d/apply")).isInstanceOf(StepOutcome.NotRun.class);
    assertThat(result.step("c/apply")).isInstanceOf(StepOutcome.Failed.class);
    assertThat(result.summary()).contains("change 'c' failed").contains("change c broke");
  }

  @Test
  void journalsStepStartedDurablyBeforeTheActionRuns() {
    AtomicReference<List<JournalRecord>> seen = new AtomicReference<>();
    Change watched = Change.of("w", ctx -> seen.set(journal.read(ctx.runId()).records()), ctx -> { });
    engine.run(Release.builder("r").change(watched).build());

    JournalRecord last = seen.get().get(seen.get().size() - 1);
    assertThat(last.type()).isEqualTo(RecordType.STEP_STARTED.name());
    assertThat(last.step()).isEqualTo("w/apply");
  }

  @Test
  void capturesKnownGoodAtReleaseStartAndGivesItToTheRevert() {
    world.values.put("image", "v1");
    AtomicReference<String> restoredTo = new AtomicReference<>();
    Change setImage = Change.of("set image",
            ctx -> world.values.put("image", "v2"),
            ctx -> restoredTo.set(ctx.knownGood().orElseThrow().require("image")))
        .capturingKnownGood(ctx -> Snapshot.of("image", world.values.get("image")));
    Change broken = Change.of("broken", ctx -> { throw new IllegalStateException("boom"); }, ctx -> { });

    RollbackResult result = engine.run(Release.builder("r").change(setImage).change(broken).build());

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(restoredTo.get()).isEqualTo("v1");
    assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.KNOWN_GOOD))
        .singleElement().satisfies(r -> assertThat(r.map("snapshot")).containsEntry("image", "v1"));
  }

  @Test
  void healthGateThatNeverTurnsUpRevertsOnVirtualTime() {
    Release release = Release.builder("r")
        .change(world.change("a", false, false))
        .healthGate(HealthCheck.constant("api", HealthStatus.DOWN)).within(Duration.ofMinutes(2)).checkingEvery(Duration.ofSeconds(10))
        .change(world.change("b", false, false))
        .build();

    RollbackRun run = engine.start(release);
    advanceUntilDone(run, Duration.ofSeconds(10));

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("apply a", "revert a");
    assertThat(result.summary()).contains("not UP within PT2M");
    assertThat(Duration.between(result.startedAt(), result.finishedAt())).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void triggerThatFiresAfterAChangeRevertsTheRelease() {
    Trigger errors = stateless("error ratio", Duration.ofSeconds(30),
        now -> world.values.containsKey("b") ? Evaluation.rollBack("error ratio", now, "error ratio 0.4 over 30 s")
            : Evaluation.hold("error ratio", now, "ok"));
    Release release = Release.builder("r").change(world.change("a", false, false)).change(world.change("b", false, false))
        .change(world.change("c", false, false)).trigger(errors).build();

    RollbackResult result = engine.run(release);

    assertThat(world.log).containsExactly("apply a", "apply b", "revert b", "revert a");
    assertThat(result.summary()).contains("error ratio 0.4 over 30 s");
    assertThat(journal.read(result.runId()).records()).anyMatch(r -> r.is(RecordType.TRIGGER_FIRED)
        && r.stringOr("evidence", "").equals("error ratio 0.4 over 30 s"));
  }

  @Test
  void bakingWatchesTheTriggersAndRevertsWhenOneFiresLate() {
    Instant start = clock.instant();
    Trigger late = stateless("late errors", Duration.ofSeconds(10),
        now -> now.isBefore(start.plusSeconds(30)) ? Evaluation.hold("late errors", now, "fine")
            : Evaluation.rollBack("late errors", now, "errors after 30 s"));
    Release release = Release.builder("r").change(world.change("a", false, false))
        .bakeFor(Duration.ofMinutes(5)).checkingEvery(Duration.ofSeconds(10)).trigger(late).build();

    RollbackRun run = engine.start(release);
    advanceUntilDone(run, Duration.ofSeconds(10));

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("apply a", "revert a");
    assertThat(result.finishedAt()).isEqualTo(start.plusSeconds(30));
    assertThat(result.summary()).contains("while baking").contains("errors after 30 s");
  }

  @Test
  void failingRevertIsRetriedThenAsksAHumanWhoCanSkipIt() {
    world.failing.add("b");
    Step badRevert = Step.builder("revert").execute(ctx -> { throw new IllegalStateException("api down"); })
        .withRetry(dev.rollback.Retry.times(2).withFixedDelay(Duration.ofSeconds(5))).build();
    Change a = world.change("a", false, false).withRevert(badRevert);
    Release release = Release.builder("r").change(a).change(world.change("b", false, false)).build();

    RollbackRun run = engine.start(release);
    GateRequest gate = awaitGateAdvancing(run);
    assertThat(gate.kind()).isEqualTo(GateKind.STEP_FAILED);
    assertThat(gate.stepPath()).isEqualTo("a/revert");
    assertThat(gate.question()).contains("failed after 3 attempt(s)").contains("api down").contains("the gate decides HALT");
    run.answer(gate.id(), Decision.SKIP, "alice");

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(result.step("a/revert")).isInstanceOf(StepOutcome.Skipped.class);
    assertThat(world.log).containsExactly("apply a", "apply b", "revert b");
  }

  @Test
  void continuePolicyGoesOnWithTheNextRevert() {
    world.failing.add("b");
    Change a = world.change("a", false, false)
        .withRevert(Step.of("revert", ctx -> { throw new IllegalStateException("nope"); }));
    Release release = Release.builder("r").change(a).change(world.change("b", false, false))
        .withRevertFailurePolicy(FailurePolicy.CONTINUE).build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(result.summary()).contains("a/revert");
  }

  /** An application's own trigger whose verdict depends only on the moment it is asked. */
  private static Trigger stateless(String name, Duration worstCase, Function<Instant, Evaluation> verdict) {
    return new Trigger() {
      @Override public String name() { return name; }
      @Override public Duration worstCaseDetection() { return worstCase; }

      @Override
      public Evaluator newEvaluator() {
        Trigger trigger = this;
        return new Evaluator() {
          @Override public Trigger trigger() { return trigger; }
          @Override public Evaluation evaluate(Instant now) { return verdict.apply(now); }
        };
      }
    };
  }

  private void advanceUntilDone(RollbackRun run, Duration step) {
    for (int i = 0; i < 10_000 && !run.result().isDone(); i++) {
      waitForTimers();
      clock.advance(step);
    }
  }

  private GateRequest awaitGateAdvancing(RollbackRun run) {
    for (int i = 0; i < 10_000; i++) {
      if (!run.pendingGates().isEmpty()) return run.pendingGates().get(0);
      waitForTimers();
      clock.advance(Duration.ofSeconds(1));
    }
    throw new AssertionError("no gate opened");
  }

  /** Lets the run thread reach its next wait (bounded, real time). */
  private void waitForTimers() {
    long until = System.nanoTime() + 2_000_000_000L;
    while (clock.scheduledCount() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }
}
