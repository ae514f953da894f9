package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step's outcome is committed with the record that follows it, so a sequence of steps costs one
 * force per step; it is never left unforced for long, and never after the next step acts.
 */
class GroupCommitTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir Path tmp;

  private static long unforced(RecordingJournalFiles files, Path file) {
    try {
      return Files.size(file) - files.forcedThrough(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyStepActsOnlyAfterThePreviousStepsOutcomeAndItsOwnStartAreForced() {
    RecordingJournalFiles files = new RecordingJournalFiles();
    List<String> seen = new ArrayList<>();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files);
        RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      Path file = journal.fileOf("seq");
      RollbackPlan.Builder b = RollbackPlan.builder("sequence");
      b.sequential("steps", s -> {
        for (int i = 0; i < 20; i++) {
          String name = "s" + i;
          s.step(Step.of(name, ctx -> seen.add(name + ": " + unforced(files, file) + " bytes unforced")));
        }
      });
      RollbackResult r = engine.start(b.build(), Deployment.of("checkout", "2.4.0"),
          RunOptions.defaults().withRunId("seq").withReason("group commit")).await(HANG_GUARD);

      assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(seen).hasSize(20).allSatisfy(line -> assertThat(line).endsWith(": 0 bytes unforced"));
      assertThat(unforced(files, file)).as("bytes unforced after the run").isZero();
      List<JournalRecord> records = journal.read("seq").records();
      assertThat(records.stream().filter(rec -> rec.is(RecordType.STEP_SUCCEEDED))).hasSize(20);
    }
  }

  @Test
  void theFirstStepOfANewRunActsAfterOneForceOfItsFileMadeFromTheJournalsSpare() {
    RecordingJournalFiles files = new RecordingJournalFiles();
    List<List<String>> seen = new ArrayList<>();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files);
        RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackPlan plan = RollbackPlan.builder("kill switch")
          .sequential("stop", s -> s.step(Step.of("flag off", ctx -> seen.add(files.events()))))
          .build();
      RollbackResult r = engine.start(plan, Deployment.of("checkout", "2.4.0"),
          RunOptions.defaults().withRunId("k").withReason("group commit")).await(HANG_GUARD);

      assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
      // the spare was made, and its name forced, when the journal was created; RUN_CREATED,
      // PLAN_STARTED and STAGE_STARTED ride with the forced STEP_STARTED
      assertThat(seen).singleElement().isEqualTo(List.of(
          "open .spare-* [CREATE_NEW, WRITE]", "open journal [READ]", "force journal",
          "open k.jsonl [WRITE, APPEND]", "force k.jsonl"));
      assertThat(unforced(files, journal.fileOf("k"))).isZero();
    }
  }

  @Test
  void anOutcomeThatNoForcedRecordFollowsIsForcedWhileItsSiblingStillRuns() {
    RecordingJournalFiles files = new RecordingJournalFiles();
    CountDownLatch slowStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService executor = Executors.newFixedThreadPool(3);
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files);
        RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withExecutor(executor).build()) {
      Path file = journal.fileOf("par");
      RollbackPlan plan = RollbackPlan.builder("siblings")
          .parallel("stop", s -> s
              // ends after the slow sibling's start is on file: its outcome is the last record written
              .step(Step.of("quick", ctx -> {
                if (!slowStarted.await(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS)) throw new IllegalStateException("slow never started");
              }))
              .step(Step.of("slow", ctx -> {
                slowStarted.countDown();
                if (!release.await(2 * HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS)) throw new IllegalStateException("never released");
              })))
          .build();
      var run = engine.start(plan, Deployment.of("checkout", "2.4.0"),
          RunOptions.defaults().withRunId("par").withReason("group commit"));

      // the quick sibling's outcome is on file, and then forced, although the slow one has not ended
      Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(5)).until(() ->
          journal.read("par").records().stream().anyMatch(rec -> rec.is(RecordType.STEP_SUCCEEDED)));
      Awaitility.await("the quick sibling's outcome forced").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(5))
          .until(() -> unforced(files, file) == 0);
      assertThat(release.getCount()).as("the slow sibling is still running").isEqualTo(1);
      assertThat(journal.read("par").records().stream().filter(rec -> rec.is(RecordType.STEP_SUCCEEDED)))
          .singleElement().satisfies(rec -> assertThat(rec.step()).endsWith("quick"));

      release.countDown();
      assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(unforced(files, file)).isZero();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void flushForcesWhatWasAppendedLazilyAndNothingWhenNothingWaits() throws IOException {
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      Path file = journal.fileOf("run-1");
      journal.flush("run-1");  // no file yet: nothing to do
      journal.append(JournalRecord.of(1, "run-1", RecordType.RUN_CREATED, java.time.Instant.EPOCH, 0, "", java.util.Map.of()));
      journal.appendLazily(JournalRecord.of(2, "run-1", RecordType.STEP_SUCCEEDED, java.time.Instant.EPOCH, 0, "s/a",
          java.util.Map.of("attempt", 1)));
      int before = files.forces(file);
      assertThat(unforced(files, file)).isPositive();

      journal.flush("run-1");
      assertThat(files.forces(file)).isEqualTo(before + 1);
      assertThat(unforced(files, file)).isZero();

      journal.flush("run-1");
      assertThat(files.forces(file)).as("a second flush with nothing waiting").isEqualTo(before + 1);
    }
  }
}
