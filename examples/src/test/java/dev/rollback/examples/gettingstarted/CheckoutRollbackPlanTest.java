package dev.rollback.examples.gettingstarted;

// README:begin plan-test
import static dev.rollback.test.RollbackAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.Rollout;
import dev.rollback.test.ScriptedStep;
import dev.rollback.test.Simulation;
import org.junit.jupiter.api.Test;

class CheckoutRollbackPlanTest {
  final InMemoryFlagStore flags = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(100));
  // stands in for the real redeploy (rollback-k8s, rollback-swarm): three minutes on the simulation's clock
  final ScriptedStep redeploy = ScriptedStep.named("redeploy 2.3.9").withDuration(ofMinutes(3));

  RollbackPlan plan() {
    return RollbackPlan.builder("checkout-2.4.0")
        .sequential("stop the bleeding", s -> s
            .step(FeatureFlags.using(flags).killSwitch("new-checkout").withTimeout(ofSeconds(30))))
        .sequential("restore", s -> s
            .step(redeploy.step().withTimeout(ofMinutes(5)).withIdempotent()
                .withApproval(Gate.named("on-call approves the redeploy").withTimeout(ofMinutes(10)))))
        .withBudget(ofMinutes(6))
        .build();
  }

  @Test
  void everyStepCanBeUndoneAndResumedAndThePlanFitsItsBudget() {
    assertThat(plan())
        .hasStagesInOrder("stop the bleeding", "restore")
        .everyStepHasAnUndo()
        .everyStepIsSafeToResume()
        .fitsItsBudget();
  }

  @Test
  void aSimulatedIncidentRecoversInFiveMinutesWhenTheOnCallApprovesWithinOne() {
    RollbackResult result = Simulation.create()
        .answering(GateKind.APPROVAL, Decision.PROCEED, ofMinutes(1))   // the on-call engineer takes a minute
        .run(plan(), Deployment.of("checkout", "2.4.0"));

    assertThat(result)
        .isRecovered()
        .hasStepSucceeded("stop the bleeding/kill switch new-checkout")
        .hasStepSucceeded("restore/redeploy 2.3.9")
        .finishedWithin(ofMinutes(5));
    assertThat(flags.read("new-checkout").enabled()).isFalse();
  }
}
// README:end plan-test
