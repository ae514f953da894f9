package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.GateRequest;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.spi.StateStepException;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.ScriptedCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FeatureFlagsTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build();
  private final InMemoryFlagStore store = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(50));
  private final OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
  private final FeatureFlags flags;

  FeatureFlagsTest() {
    api.setProviderAndWait(store.provider());
    flags = FeatureFlags.using(store)
        .withPropagationCheck(PropagationCheck.of(api.getClient()).withTimeout(Duration.ofMinutes(1)))
        .withGateTimeout(Duration.ofSeconds(5)).withGateInterval(Duration.ofMillis(10));
  }

  @AfterEach
  void close() {
    engine.close();
    api.shutdown();
  }

  private List<String> notes(RollbackResult result) {
    List<String> out = new ArrayList<>();
    for (JournalRecord r : journal.read(result.runId()).records()) {
      if (r.is(RecordType.NOTE) && r.step() != null) out.add(r.stringOr("message", "")); // the steps' notes
    }
    return out;
  }

  @Test
  void killSwitchTurnsTheFlagOffAndJournalsHowLongClientsTookToSeeIt() {
    RollbackPlan plan = RollbackPlan.builder("p").step(flags.killSwitch("new-checkout")).build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").enabled()).isFalse();
    assertThat(notes(result)).anySatisfy(n -> assertThat(n)
        .contains("flag 'new-checkout' in in-memory OpenFeature flags settled on off after")
        .contains("visible to the OpenFeature client"));
  }

  @Test
  void killSwitchReconcilesAsAppliedWhenTheFlagIsAlreadyOffAndNotAppliedWhenItIsOn() throws Exception {
    var reconciler = flags.killSwitch("new-checkout").reconciler().orElseThrow();
    assertThat(reconciler.reconcile(FakeStepContext.create())).isEqualTo(Reconciliation.NOT_APPLIED);
    store.disable("new-checkout");
    assertThat(reconciler.reconcile(FakeStepContext.create())).isEqualTo(Reconciliation.APPLIED);
  }

  @Test
  void killSwitchOnAFlagThatIsAlreadyOffWritesNothing() {
    store.disable("new-checkout");
    FlagState off = store.read("new-checkout");

    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags.killSwitch("new-checkout")).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout")).as("every write of the in-memory store holds a new state").isSameAs(off);
  }

  @Test
  void aKillSwitchClientsNeverSeeFailsAfterTheCheckTimeoutNamingTheUser() throws Exception {
    // the check's client is served by another store that stays at 50%: it never sees the write
    InMemoryFlagStore stale = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(50));
    OpenFeatureAPI staleApi = OpenFeatureAPI.createIsolated();
    staleApi.setProviderAndWait(stale.provider());
    try {
      Step kill = FeatureFlags.using(store)
          .withPropagationCheck(PropagationCheck.of(staleApi.getClient()).withTimeout(Duration.ofSeconds(2))
              .withPollInterval(Duration.ofMillis(100)))
          .killSwitch("new-checkout");
      FakeStepContext ctx = FakeStepContext.builder().withStepPath("stop/kill switch new-checkout")
          .withUndoSnapshot(store.read("new-checkout").toSnapshot()).build();

      assertThatThrownBy(() -> kill.action().run(ctx))
          .isInstanceOf(StateStepException.class)
          .hasMessageContaining("step 'stop/kill switch new-checkout'")
          .hasMessageContaining("flag 'new-checkout' in in-memory OpenFeature flags: did not settle on off within PT2S")
          .hasMessageContaining("not yet visible to the OpenFeature client: user 'rollback-")
          .hasMessageContaining("expected false");
      assertThat(store.read("new-checkout").enabled()).as("the write itself landed").isFalse();
      assertThat(ctx.sleeps()).as("polled every poll interval on the step's clock, no real waiting")
          .hasSize(20).allSatisfy(d -> assertThat(d).isEqualTo(Duration.ofMillis(100)));
    } finally {
      staleApi.shutdown();
    }
  }

  @Test
  void shiftsDownThroughEveryPercentageWithTheGateCheckedAfterEach() {
    ScriptedCheck gate = ScriptedCheck.answering("old path", HealthStatus.UP);
    RollbackPlan plan = RollbackPlan.builder("p").step(flags.shiftDown("new-checkout", gate, 30, 10, 0)).build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(gate.calls()).isEqualTo(3);
    assertThat(notes(result)).filteredOn(n -> n.contains("health gate 'old path' UP")).containsExactly(
        "flag 'new-checkout' in in-memory OpenFeature flags now on at 30% (target 1 of 3); health gate 'old path' UP: scripted UP (check 1)",
        "flag 'new-checkout' in in-memory OpenFeature flags now on at 10% (target 2 of 3); health gate 'old path' UP: scripted UP (check 2)",
        "flag 'new-checkout' in in-memory OpenFeature flags now on at 0% (target 3 of 3); health gate 'old path' UP: scripted UP (check 3)");
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(0));
  }

  @Test
  void shiftDownStopsAtTheLastPercentageReachedWhenTheGateStaysDown() {
    ScriptedCheck gate = ScriptedCheck.answering("old path", HealthStatus.UP, HealthStatus.DOWN);
    FeatureFlags quick = FeatureFlags.using(store).withGateTimeout(Duration.ofMillis(50)).withGateInterval(Duration.ofMillis(10));
    RollbackPlan plan = RollbackPlan.builder("p").step(quick.shiftDown("new-checkout", gate, 30, 10, 0))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build();

    RollbackResult result = engine.run(plan, DEPLOYMENT);

    assertThat(result.steps().values()).singleElement().isInstanceOfSatisfying(StepOutcome.Failed.class,
        f -> assertThat(f.error()).contains("health gate 'old path' was not UP within PT0.05S after setting it to on at 10%"
            + " (target 2 of 3)").contains("the sequence stopped there"));
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(10));
  }

  @Test
  void shiftDownNeverRaisesThePercentage() {
    store.setRollout("new-checkout", Rollout.percent(20));
    // records what the flag is at each gate: the percentages at or above 20% are skipped, not written
    List<String> seen = new ArrayList<>();
    HealthCheck gate = HealthCheck.of("g", () -> {
      seen.add(store.read("new-checkout").rollout().encode());
      return HealthStatus.UP;
    });

    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags.shiftDown("new-checkout", gate, 50, 10, 0)).build(),
        DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(seen).containsExactly("20%", "10%", "0%");
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(0));
    assertThat(notes(result)).anySatisfy(n -> assertThat(n)
        .contains("settled on on at 50%").contains("left on at 20%, below on at 50% (a shift down never raises exposure)"));
  }

  @Test
  void shiftDownOfAFlagThatIsOffWritesNothingAndReconcilesAsApplied() throws Exception {
    store.disable("new-checkout");
    FlagState off = store.read("new-checkout");
    Step shift = flags.shiftDown("new-checkout", ScriptedCheck.answering("g", HealthStatus.UP), 50, 10, 0);

    assertThat(shift.reconciler().orElseThrow().reconcile(FakeStepContext.create())).isEqualTo(Reconciliation.APPLIED);
    RollbackResult result = engine.run(RollbackPlan.builder("p").step(shift).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout")).isSameAs(off);
  }

  @Test
  void theUndoOfAShiftDownPutsBackTheExactStateItFound() {
    FlagState before = store.read("new-checkout");
    RollbackPlan plan = RollbackPlan.builder("p")
        .sequential("shift", s -> s.step(flags.shiftDown("new-checkout", ScriptedCheck.answering("g", HealthStatus.UP), 30, 0)))
        .sequential("then", s -> s.step(Step.builder("fails").execute(ctx -> {
          throw new IllegalStateException("fails on purpose");
        }).undo(ctx -> { }).build()))
        .withFailurePolicy(dev.rollback.FailurePolicy.ABANDON)
        .build();

    dev.rollback.engine.RollbackRun run = engine.start(plan, DEPLOYMENT);
    dev.rollback.GateRequest gate = run.awaitGate(HANG_GUARD);
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(0));
    run.answer(gate.id(), dev.rollback.Decision.PROCEED, "test");
    RollbackResult result = run.await(HANG_GUARD);

    assertThat(result.outcome()).isEqualTo(RunOutcome.ABANDONED);
    assertThat(store.read("new-checkout")).isEqualTo(before);
  }

  @Test
  void refusesPercentagesThatDoNotDecrease() {
    HealthCheck gate = ScriptedCheck.answering("g", HealthStatus.UP);
    assertThatThrownBy(() -> flags.shiftDown("new-checkout", gate, 10, 50))
        .hasMessageContaining("strictly decreasing").hasMessageContaining("10% → 50%");
    assertThatThrownBy(() -> flags.rampUp("new-checkout", gate, 50, 50))
        .hasMessageContaining("strictly increasing");
  }

  @Test
  void restoresTheKnownGoodStateCapturedWhenTheReleaseStarted() {
    FlagState knownGood = store.read("new-checkout");
    Change boom = Change.of("deploy", ctx -> {
      throw new IllegalStateException("image pull failed");
    }, ctx -> { });
    Release release = Release.builder("checkout-2.4.0")
        .change(flags.rampUp("new-checkout", ScriptedCheck.answering("g", HealthStatus.UP), 60, 80, 100))
        .change(boom)
        .build();

    RollbackResult result = engine.run(release);

    assertThat(result.steps().keySet()).anyMatch(k -> k.contains("ramp up new-checkout") && k.endsWith("revert"));
    assertThat(store.read("new-checkout")).isEqualTo(knownGood);
  }

  @Test
  void turnOnIsRevertedToTheExactKnownGoodStateEvenWhenItWasOff() {
    store.disable("new-checkout");
    FlagState knownGood = store.read("new-checkout");
    Release release = Release.builder("r")
        .change(flags.turnOn("new-checkout", Rollout.percent(10)))
        .change(Change.of("boom", ctx -> {
          assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(10));
          throw new IllegalStateException("boom");
        }, ctx -> { }))
        .build();

    engine.run(release);

    assertThat(store.read("new-checkout")).isEqualTo(knownGood);
  }

  @Test
  void restoreKnownGoodPutsBackTheStateCapturedBeforeTheRun() {
    RollbackPlan plan = RollbackPlan.builder("p").step(flags.restoreKnownGood("new-checkout")).build();
    var knownGood = engine.captureKnownGood(plan, DEPLOYMENT);
    store.setRollout("new-checkout", Rollout.percent(100));

    RollbackResult result = engine.start(plan, DEPLOYMENT, dev.rollback.engine.RunOptions.defaults().withKnownGood(knownGood)).await();

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(50));
  }

  @Test
  void anUnknownFlagFailsTheStepWithAMessageNamingIt() {
    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags.killSwitch("nope"))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build(), DEPLOYMENT);
    assertThat(result.outcome()).isNotEqualTo(RunOutcome.RECOVERED);
    assertThat(result.summary() + result.steps()).contains("'nope'");
  }

  @Test
  void setRolloutStepMovesUsersBetweenStringVariantsAndItsUndoRestoresTheSplit() {
    store.define("theme", java.util.Map.of("blue", "#00f", "green", "#0f0", "off", "none"), "blue", "off", true,
        Rollout.weights("blue", 50, "green", 50));
    FlagState before = store.read("theme");
    Rollout.Weights back = Rollout.weights("blue", 90, "green", 10);
    Step step = flags.setRollout("theme", back);

    RollbackResult result = engine.run(RollbackPlan.builder("p").step(step).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(notes(result)).anySatisfy(n -> assertThat(n).contains("settled on weights blue=90,green=10")
        .contains("variants").contains(PropagationCheck.MOVERS + " of them moved by the write"));
    for (String u : PropagationCheck.sampleUsers(500)) {
      String v = Bucketing.flagd().variant("theme", u, back);
      assertThat(api.getClient().getStringValue("theme", "?", new dev.openfeature.sdk.ImmutableContext(u))).as(u)
          .isEqualTo(v.equals("blue") ? "#00f" : "#0f0");
    }
    assertThat(FeatureFlags.sameSplit(Rollout.weights("a", 900, "b", 100), back)).isFalse();
    assertThat(FeatureFlags.sameSplit(Rollout.weights("blue", 900, "green", 100), back)).isTrue();

    // the same write again reconciles as applied; a different split does not
    assertThat(store.read("theme").rollout()).isEqualTo(back);
    store.restore(before);
    assertThat(store.read("theme")).isEqualTo(before);
  }

  @Test
  void aVariantCheckFailsWhenTheClientServesAnotherSplitNamingTheUserAndValue() {
    store.define("theme", java.util.Map.of("blue", "#00f", "green", "#0f0", "off", "none"), "blue", "off", true,
        Rollout.weights("blue", 50, "green", 50));
    FlagState served = store.read("theme");
    FlagState claimed = new FlagState("theme", true, Rollout.weights("blue", 90, "green", 10), served.definition());
    PropagationCheck check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofMillis(200));

    assertThatThrownBy(() -> check.awaitVisible(store, claimed, served))
        .isInstanceOf(PropagationTimeoutException.class)
        .hasMessageContaining("expected variant 'blue' value '#00f'").hasMessageContaining("gets variant");
    // and the split actually served passes, comparing values
    PropagationCheck.Seen seen = check.awaitVisible(store, served, claimed);
    assertThat(seen.variants()).isTrue();
    assertThat(seen.movedUsers()).isEqualTo(PropagationCheck.MOVERS);
  }
}
