package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The "stop the bleeding" stage: many steps at once, on a real executor. The first edition let
 * sibling threads mutate the run's state outside the journal's lock, and about one run in 600
 * halted on a ConcurrentModificationException; every run here must end RECOVERED with every
 * sibling's start and outcome on record.
 */
class ParallelStageTest {
  private static final int RUNS = 10_000;
  private static final int SIBLINGS = 8;

  @Test
  void aParallelStageOfEightStepsRecoversTenThousandTimesWithEveryOutcomeJournaled() {
    RollbackPlan plan = RollbackPlan.builder("stop the bleeding")
        .parallel("stop", s -> {
          for (int i = 0; i < SIBLINGS; i++) s.step(Step.of("s" + i, ctx -> { }));
        })
        .build();
    PerRunJournal journal = new PerRunJournal();
    ExecutorService executor = Executors.newFixedThreadPool(SIBLINGS + 1);
    List<String> problems = new ArrayList<>();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withExecutor(executor).build()) {
      for (int run = 0; run < RUNS && problems.size() < 5; run++) {
        String runId = "run-" + run;
        RollbackResult r = engine.start(plan, Deployment.of("checkout", "2.4.0"),
            RunOptions.defaults().withRunId(runId).withReason("parallel stage test")).await();
        RunHistory h = RunHistory.of(journal.read(runId));
        long started = h.events(JournalEvent.StepStarted.class).size();
        long succeeded = h.events(JournalEvent.StepSucceeded.class).size();
        boolean internal = !h.events(JournalEvent.InternalError.class).isEmpty();
        boolean allSucceeded = r.steps().values().stream().allMatch(o -> o instanceof StepOutcome.Succeeded);
        if (r.outcome() != RunOutcome.RECOVERED || started != SIBLINGS || succeeded != SIBLINGS || internal
            || !allSucceeded || r.steps().size() != SIBLINGS) {
          problems.add(runId + ": " + r + ", " + started + " started, " + succeeded + " succeeded, internal errors "
              + h.events(JournalEvent.InternalError.class));
        }
        journal.forget(runId);
      }
    } finally {
      executor.shutdownNow();
    }
    assertThat(problems).isEmpty();
  }
}
