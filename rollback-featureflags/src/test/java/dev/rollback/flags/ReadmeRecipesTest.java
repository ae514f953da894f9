package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.ScriptedCheck;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The recipes of this module's README, on the in-memory store instead of Unleash (and without the
 * load balancer's step): they compile and do what the README says.
 */
class ReadmeRecipesTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final InMemoryFlagStore store = InMemoryFlagStore.create()
      .define("new-checkout", Rollout.percent(50))
      .define("checkout-theme", Map.of("v1", "classic", "v2", "bold", "off", "none"), "v2", "off", true,
          Rollout.weights("v1", 50, "v2", 50));
  private final OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
  private final Client client;
  private final RollbackEngine engine = RollbackEngine.builder().build();
  private final FeatureFlags flags;

  ReadmeRecipesTest() {
    api.setProviderAndWait(store.provider());
    client = api.getClient();
    flags = FeatureFlags.using(store)
        .withPropagationCheck(PropagationCheck.of(client).withTimeout(Duration.ofSeconds(20)));
  }

  @AfterEach
  void close() {
    engine.close();
    api.shutdown();
  }

  @Test
  void theRollbackRecipesTurnTheFlagOffShiftItDownAndSendEveryoneBackToTheOldVariant() {
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .parallel("stop the bleeding", s -> s.step(flags.killSwitch("new-checkout")))
        .build();
    assertThat(engine.run(plan, DEPLOYMENT).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").enabled()).isFalse();

    store.setRollout("new-checkout", Rollout.percent(50));
    RollbackPlan drain = RollbackPlan.builder("drain new-checkout")
        .step(flags.withGateTimeout(Duration.ofMinutes(2)).withGateInterval(Duration.ofSeconds(5))
            .shiftDown("new-checkout", ScriptedCheck.answering("old checkout", HealthStatus.UP), 50, 10, 0))
        .build();
    assertThat(engine.run(drain, DEPLOYMENT).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(0));

    RollbackPlan back = RollbackPlan.builder("theme back to v1")
        .step(flags.setRollout("checkout-theme", Rollout.weights("v1", 100, "v2", 0)))
        .build();
    assertThat(engine.run(back, DEPLOYMENT).outcome()).isEqualTo(RunOutcome.RECOVERED);
    for (String u : PropagationCheck.sampleUsers(100)) {
      assertThat(client.getStringValue("checkout-theme", "?", new ImmutableContext(u))).as(u).isEqualTo("classic");
    }
  }

  @Test
  void theReleaseRecipeRampsUpAndAFailureRestoresTheStateCapturedAtReleaseStartExactly() {
    FlagState atStart = store.read("new-checkout");
    RollbackResult result = engine.run(Release.builder("checkout-2.4.0")
        .change(flags.rampUp("new-checkout", ScriptedCheck.answering("checkout health", HealthStatus.UP), 5, 25, 50, 100))
        .change(Change.of("deploy", ctx -> {
          assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(100));
          throw new IllegalStateException("image pull failed");
        }, ctx -> { }))
        .build());

    assertThat(result.steps().keySet()).anyMatch(k -> k.contains("ramp up new-checkout") && k.endsWith("revert"));
    assertThat(store.read("new-checkout")).isEqualTo(atStart);
  }

  @Test
  void theAdapterRecipeSetsTheFlagThroughStateSteps() {
    PropagationCheck check = PropagationCheck.of(client).withTimeout(Duration.ofSeconds(20));
    StateAdapter<FlagState> flag = FeatureFlags.flag(store, "new-checkout", check);
    Step off = StateSteps.on(flag).awaitingSettled(check.timeout(), check.pollInterval())
        .restore("kill new-checkout", FlagState.off("new-checkout"));
    Step half = flags.steps("new-checkout")
        .restore("halve new-checkout", FlagState.on("new-checkout", Rollout.percent(50)));

    assertThat(engine.run(RollbackPlan.builder("off").step(off).build(), DEPLOYMENT).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").enabled()).isFalse();
    assertThat(engine.run(RollbackPlan.builder("half").step(half).build(), DEPLOYMENT).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(50));
  }
}
