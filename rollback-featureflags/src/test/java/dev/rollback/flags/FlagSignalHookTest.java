package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.detect.RequestRecorder.Outcome;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlagSignalHookTest {
  private final InMemoryFlagStore store = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(50));
  private final OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
  private final FlagSignalHook hook = FlagSignalHook.forFlag("new-checkout");
  private final Client client;

  FlagSignalHookTest() {
    api.setProviderAndWait(store.provider());
    client = api.getClient();
    client.addHooks(hook);
  }

  @AfterEach
  void shutdown() {
    api.shutdown();
  }

  @Test
  void recordsRequestOutcomesInTheCohortOfTheValueTheFlagGave() {
    for (String u : PropagationCheck.sampleUsers(200)) {
      boolean canary = client.getBooleanValue("new-checkout", false, new ImmutableContext(u));
      hook.record(canary ? Outcome.FAILURE : Outcome.SUCCESS, 1_000_000);
    }
    var canary = hook.cohort("true").observe(Instant.now());
    var baseline = hook.cohort("false").observe(Instant.now());
    assertThat(canary.total()).isPositive();
    assertThat(canary.failures()).isEqualTo(canary.total());
    assertThat(baseline.failures()).isZero();
    assertThat(canary.total() + baseline.total()).isEqualTo(200);
  }

  @Test
  void countsEvaluationErrorsAsFailures() {
    client.getBooleanValue("new-checkout", false, new ImmutableContext("u"));
    FlagSignalHook missing = FlagSignalHook.forFlag("missing");
    client.addHooks(missing);
    client.getBooleanValue("missing", false, new ImmutableContext("u"));
    var evals = hook.evaluations().observe(Instant.now());
    assertThat(evals.total()).isEqualTo(1);
    assertThat(evals.failures()).isZero();
    var missed = missing.evaluations().observe(Instant.now());
    assertThat(missed.total()).isEqualTo(1);
    assertThat(missed.failures()).isEqualTo(1);
  }

  @Test
  void aJudgeOverTheCohortsCallsForRollbackWhenOnlyTheCanaryFails() {
    var judge = dev.rollback.detect.Trigger.judge(hook.cohort("false"), hook.cohort("true"))
        .onErrors(0.05).minSamples(20).over(java.time.Duration.ofMinutes(1)).newEvaluator();
    Instant t0 = Instant.now();
    judge.evaluate(t0);
    for (int round = 1; round <= 5; round++) {
      for (String u : PropagationCheck.sampleUsers(100)) {
        boolean canary = client.getBooleanValue("new-checkout", false, new ImmutableContext(u + "-" + round));
        hook.record(canary ? Outcome.FAILURE : Outcome.SUCCESS, 2_000_000);
      }
      judge.evaluate(t0.plusSeconds(round));
    }
    var verdict = judge.evaluate(t0.plusSeconds(6));
    assertThat(verdict.verdict()).isEqualTo(dev.rollback.detect.Verdict.ROLL_BACK);
  }

  @Test
  void recordsNothingOnAThreadThatDidNotEvaluateTheFlag() {
    assertThat(hook.record(Outcome.SUCCESS, 1)).isFalse();
    assertThat(hook.currentCohort()).isEmpty();
  }

  @Test
  void ignoresOtherFlags() {
    store.define("other", Rollout.all());
    client.getBooleanValue("other", false, new ImmutableContext("u"));
    assertThat(hook.evaluations().observe(Instant.now()).total()).isZero();
  }
}
