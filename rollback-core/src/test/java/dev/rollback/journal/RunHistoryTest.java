package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.journal.JournalEvent.StepFailed;
import dev.rollback.journal.JournalEvent.StepSkipped;
import dev.rollback.journal.JournalEvent.StepStarted;
import dev.rollback.journal.JournalEvent.StepSucceeded;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunHistoryTest {
  private final RunHistory history = new RunHistory();
  private long seq;

  private void add(JournalEvent.Known e) {
    seq++;
    history.add(JournalRecord.of(seq, "run", Instant.EPOCH.plusMillis(seq), 0, e), e);
  }

  @Test
  void countsTheStepsThatStandFailedForGoodOrSkippedAsTheyChange() {
    add(new StepStarted("a", 1));
    add(StepSucceeded.ran("a", 1));
    add(new StepStarted("b", 1));
    add(new StepFailed("b", 1, "boom", false, false, false));
    assertThat(history.failedOrSkippedSteps()).as("a failure a retry follows").isZero();

    add(new StepStarted("b", 2));
    add(new StepFailed("b", 2, "boom again", false, true, false));
    assertThat(history.failedOrSkippedSteps()).as("b's last attempt failed").isEqualTo(1);

    add(new StepSkipped("b", "a human skipped it"));
    add(new StepSkipped("c", "not needed"));
    assertThat(history.failedOrSkippedSteps()).as("b skipped now, and c").isEqualTo(2);

    add(new StepStarted("c", 1));
    add(StepSucceeded.ran("c", 1));
    assertThat(history.failedOrSkippedSteps()).as("c ran after all").isEqualTo(1);
    assertThat(history.steps()).filteredOn(h -> h.status() == RunHistory.StepStatus.SKIPPED).hasSize(1);
  }
}
