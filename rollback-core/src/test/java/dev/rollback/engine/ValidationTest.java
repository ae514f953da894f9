package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.PlanValidationException;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValidationTest {
  private static final Step NOOP = Step.of("noop", ctx -> { });

  @Test
  void reportsEveryViolationWithItsPath() {
    Step db = Step.of("db", ctx -> { }).withTimeout(Duration.ofSeconds(-1));
    Step noUndo = Step.of("flags", ctx -> { });

    assertThatThrownBy(() -> RollbackPlan.builder("checkout")
            .sequential("restore", s -> s.step(db).step(db))
            .sequential("restore", s -> s.step(noUndo))
            .sequential("empty", s -> { })
            .withFailurePolicy(FailurePolicy.ABANDON)
            .withBudget(Duration.ZERO)
            .build())
        .isInstanceOfSatisfying(PlanValidationException.class, e -> assertThat(e.violations()).containsExactly(
            "plan 'checkout': budget must be positive: PT0S",
            "plan 'checkout' › stage 'restore' › step 'db': timeout must be positive: PT-1S",
            "plan 'checkout' › stage 'restore' › step 'db': has no undo, but the plan's failure policy ABANDON undoes every completed step",
            "plan 'checkout' › stage 'restore' › step 'db': step name is used twice in this stage",
            "plan 'checkout' › stage 'restore' › step 'db': timeout must be positive: PT-1S",
            "plan 'checkout' › stage 'restore' › step 'db': has no undo, but the plan's failure policy ABANDON undoes every completed step",
            "plan 'checkout' › stage 'restore': stage name is used twice",
            "plan 'checkout' › stage 'restore' › step 'flags': has no undo, but the plan's failure policy ABANDON undoes every completed step",
            "plan 'checkout' › stage 'empty': has no steps"))
        .hasMessageStartingWith("plan 'checkout' is invalid (9 problems)");
  }

  @Test
  void aPlansOutlineCannotBeChangedThroughItsGetter() {
    RollbackPlan plan = RollbackPlan.builder("p").sequential("s", s -> s.step(Step.of("a", ctx -> { }))).build();

    assertThat(plan.outline()).hasSize(3);
    assertThatThrownBy(() -> plan.outline().add("stage injected")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(plan.outline()).hasSize(3);
  }

  @Test
  void aPlanWithoutStagesIsInvalid() {
    assertThatThrownBy(() -> RollbackPlan.builder("p").build())
        .isInstanceOf(PlanValidationException.class).hasMessageContaining("plan 'p': has no stages");
  }

  @Test
  void aStepThatMayTerminateItsHostMustBeIdempotentOrReconcilable() {
    Step undoSelf = Step.builder("undo rollout").execute(ctx -> { }).mayTerminateHost().build();
    assertThatThrownBy(() -> RollbackPlan.builder("p").step(undoSelf).build())
        .hasMessageContaining("step 'undo rollout': a step that may terminate its host must be idempotent or reconcilable");
    assertThat(RollbackPlan.builder("p").step(undoSelf.withIdempotent()).build().mayTerminateHost()).isTrue();
  }

  @Test
  void releaseValidationNamesTheChangeAndTheHealthGate() {
    Change c = Change.of("set image", NOOP, NOOP.withTimeout(Duration.ZERO));
    assertThatThrownBy(() -> Release.builder("r").change(c).change(c)
            .healthGate(HealthCheck.constant("api", HealthStatus.UP)).within(Duration.ofSeconds(-5)).build())
        .isInstanceOfSatisfying(PlanValidationException.class, e -> assertThat(e.violations()).containsExactly(
            "release 'r' › change 'set image' › revert: timeout must be positive: PT0S",
            "release 'r' › change 'set image': change name is used twice",
            "release 'r' › change 'set image' › revert: timeout must be positive: PT0S",
            "release 'r' › health gate 1 (api): wait must be positive: PT-5S"));
  }

  @Test
  void builderArgumentsAreCheckedAtTheCall() {
    assertThatThrownBy(() -> Step.builder(" ")).isInstanceOf(IllegalArgumentException.class).hasMessage("step name must not be blank");
    assertThatThrownBy(() -> dev.rollback.Retry.times(-1)).hasMessage("maxRetries must not be negative: -1");
    assertThatThrownBy(() -> dev.rollback.Gate.named("dba").withTimeout(Duration.ZERO))
        .hasMessage("timeout of gate 'dba' must be positive: PT0S");
  }

  @Test
  void aPlanIsImmutableAndItsFingerprintFollowsWhatShapesTheRun() {
    RollbackPlan a = RollbackPlan.builder("p").step(NOOP).build();
    RollbackPlan same = RollbackPlan.builder("p").step(NOOP).build();
    RollbackPlan other = RollbackPlan.builder("p").step(NOOP.withTimeout(Duration.ofSeconds(5))).build();

    assertThat(a.fingerprint()).isEqualTo(same.fingerprint()).isNotEqualTo(other.fingerprint());
    assertThat(a.steps()).isUnmodifiable();
  }

  @Test
  void planAndReleaseNameTheirStepPathsAsResultsAndJournalsDo() {
    dev.rollback.RollbackPlan plan = dev.rollback.RollbackPlan.builder("p")
        .parallel("stop", s -> s.step(dev.rollback.Step.of("flag", ctx -> { })).step(dev.rollback.Step.of("traffic", ctx -> { })))
        .step(dev.rollback.Step.of("db", ctx -> { }))
        .build();
    dev.rollback.Release release = dev.rollback.Release.builder("r")
        .change(dev.rollback.Change.of("schema", ctx -> { }, ctx -> { }))
        .change(dev.rollback.Change.of("image", ctx -> { }, ctx -> { }))
        .build();

    org.assertj.core.api.Assertions.assertThat(plan.stepPaths()).containsExactly("stop/flag", "stop/traffic", "db/db");
    org.assertj.core.api.Assertions.assertThat(release.stepPaths())
        .containsExactly("schema/apply", "image/apply", "image/revert", "schema/revert");
    try (dev.rollback.engine.RollbackEngine engine = dev.rollback.engine.RollbackEngine.builder().build()) {
      org.assertj.core.api.Assertions.assertThat(engine.run(plan, dev.rollback.Deployment.of("s", "1")).steps().keySet())
          .containsExactlyElementsOf(plan.stepPaths());
    }
  }
}
