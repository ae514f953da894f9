package dev.rollback.examples.gettingstarted;

import static java.time.Duration.ofMinutes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateKind;
import dev.rollback.RollbackResult;
import dev.rollback.examples.ReadmeSnippets;
import dev.rollback.test.RollbackAssertions;
import dev.rollback.test.Simulation;
import org.junit.jupiter.api.Test;

/**
 * The README's second recipe is {@link CheckoutRollbackPlanTest}, which the build runs; these keep
 * the README's copy identical and check what the README says about it.
 */
class CheckoutRollbackPlanReadmeTest {

  @Test
  void anApprovalThatTakesThreeMinutesMakesTheFiveMinuteAssertionFailSayingByHowMuch() {
    RollbackResult result = Simulation.create()
        .answering(GateKind.APPROVAL, Decision.PROCEED, ofMinutes(3))
        .run(new CheckoutRollbackPlanTest().plan(), Deployment.of("checkout", "2.4.0"));

    assertThatThrownBy(() -> RollbackAssertions.assertThat(result).isRecovered().finishedWithin(ofMinutes(5)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("to finish within PT5M but it took PT6M")
        .hasMessageContaining("(PT1M over)");
  }

  @Test
  void theReadmeShowsExactlyTheCodeOfTheRecipe() throws Exception {
    ReadmeSnippets.assertReadmeShows("gettingstarted/CheckoutRollbackPlanTest.java", "plan-test");
  }
}
