package dev.rollback.test;

import static dev.rollback.test.RollbackAssertions.assertThat;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Snapshot;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import org.junit.jupiter.api.Test;

class RollbackAssertionsTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");

  @Test
  void aSimulatedIncidentRecoversWithinItsBudgetOnVirtualTime() {
    ScriptedStep flags = ScriptedStep.named("flags").withDuration(ofSeconds(1));
    ScriptedStep db = ScriptedStep.named("db").withFailures(1).withDuration(ofSeconds(30));
    RollbackPlan plan = RollbackPlan.builder("checkout")
        .sequential("bleed", s -> s.step(flags.step().withTimeout(ofSeconds(5))))
        .sequential("restore", s -> s.step(db.step().withTimeout(ofMinutes(1)).withRetry(Retry.times(1).withFixedDelay(ofSeconds(10)))
            .withApproval(Gate.named("dba"))))
        .verifiedBy(HealthCheck.constant("api", HealthStatus.UP))
        .withBudget(ofMinutes(5))
        .build();

    RollbackResult result = Simulation.create().answering(GateKind.APPROVAL, Decision.PROCEED, ofMinutes(2)).run(plan, DEPLOYMENT);

    assertThat(result).isRecovered().hasStepSucceeded("restore/db").finishedWithin(ofMinutes(5));
    org.assertj.core.api.Assertions.assertThat(db.calls()).containsExactly("attempt 1", "attempt 2");
    // 1 s of flags, 2 min for the DBA, 30 s failing, 10 s backoff, 30 s succeeding: exactly, on virtual time
    org.assertj.core.api.Assertions.assertThat(result.elapsed()).isEqualTo(ofSeconds(191));
    assertThat(plan).everyStepHasAnUndo().everyStepHasATimeout().fitsItsBudget().hasStagesInOrder("bleed", "restore");
    assertThatThrownBy(() -> assertThat(result).finishedWithin(ofMinutes(2)))
        .hasMessageContaining("Expected plan 'checkout' to finish within PT2M").hasMessageContaining("over)");
  }

  @Test
  void failuresNameThePlanTheStepAndWhatWasFound() {
    RollbackPlan plan = RollbackPlan.builder("checkout").step(ScriptedStep.named("db").step().withTimeout(ofMinutes(10)))
        .withBudget(ofMinutes(5)).build();

    assertThatThrownBy(() -> assertThat(plan).fitsItsBudget())
        .hasMessage("Expected plan 'checkout' to fit its budget of PT5M, but its worst case is PT10M (PT5M over)");
    assertThatThrownBy(() -> assertThat(plan).everyStepIsSafeToResume())
        .hasMessageContaining("[db/db]");
    RollbackResult result = Simulation.create().run(plan, DEPLOYMENT);
    assertThatThrownBy(() -> assertThat(result).hasStepFailed("db/db"))
        .hasMessageContaining("Expected step 'db/db' of plan 'checkout' to have failed but it is Succeeded");
    assertThatThrownBy(() -> assertThat(result).hasStepSucceeded("nope"))
        .hasMessageContaining("Plan 'checkout' has no step 'nope'");
  }

  @Test
  void aReleaseRevertsInReverseOrderAndItsShapeCanBeChecked() {
    Change a = Change.of("a", ctx -> { }, ctx -> { }).capturingKnownGood(ctx -> Snapshot.of("k", "v"));
    Change b = Change.of("b", ctx -> { throw new IllegalStateException("broken"); }, ctx -> { });
    Release release = Release.builder("r").change(a).change(b).build();

    RollbackResult result = Simulation.create().run(release);

    assertThat(result).isRecovered().hasStepFailed("b/apply").hasRevertedInReverseOrder("b", "a");
    assertThatThrownBy(() -> assertThat(release).everyChangeCapturesItsKnownGoodState()).hasMessageContaining("[b]");
    assertThatThrownBy(() -> assertThat(release).isWatchedByTriggers()).hasMessageContaining("release 'r'");
  }

  @Test
  void anUnansweredApprovalTimesOutToHaltOnVirtualTime() {
    RollbackPlan plan = RollbackPlan.builder("p").step(ScriptedStep.named("db").step().withApproval(Gate.named("dba").withTimeout(ofMinutes(5))))
        .build();

    RollbackResult result = Simulation.create().withTick(ofSeconds(30)).run(plan, DEPLOYMENT);

    assertThat(result).isHalted().finishedWithin(ofMinutes(6));
  }
}
