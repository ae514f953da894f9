package dev.rollback.test;

import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.journal.Journal;

/**
 * Entry point for assertions on plans, releases and results:
 * {@code assertThat(result).isRecovered().hasStepSucceeded("restore/db")},
 * {@code assertThat(plan).everyStepHasATimeout().fitsItsBudget()},
 * {@code assertThat(journal).hasIntactRun(runId)}.
 */
public final class RollbackAssertions {
  private RollbackAssertions() {}

  public static RollbackResultAssert assertThat(RollbackResult actual) {
    return new RollbackResultAssert(actual);
  }

  public static RollbackPlanAssert assertThat(RollbackPlan actual) {
    return new RollbackPlanAssert(actual);
  }

  public static ReleaseAssert assertThat(Release actual) {
    return new ReleaseAssert(actual);
  }

  public static JournalAssert assertThat(Journal actual) {
    return new JournalAssert(actual);
  }
}
