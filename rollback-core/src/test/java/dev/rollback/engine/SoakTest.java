package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.PlanValidationException;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RecordType;
import dev.rollback.journal.RunHistory;
import dev.rollback.report.PostMortem;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Recovery is watched after a rollback (the soak), and a plan with nothing that defines recovered says so. */
@org.junit.jupiter.api.Timeout(60)
class SoakTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final List<Notification> paged = new CopyOnWriteArrayList<>();
  private final CommunicationPlan onCall = CommunicationPlan.builder()
      .audience("on-call", new Notifier() {
        @Override public String name() { return "pager"; }
        @Override public void send(Notification n) { paged.add(n); }
      })
      .route(NotificationKind.HUMAN_NEEDED, "on-call")
      .build();
  /** What the checkout health check answers; the test changes it over (virtual) time. */
  private final AtomicReference<HealthStatus> health = new AtomicReference<>(HealthStatus.UP);
  private final HealthCheck checkout = HealthCheck.of("checkout", health::get);

  @AfterEach
  void close() {
    engine.close();
  }

  private RollbackPlan.Builder plan() {
    return RollbackPlan.builder("checkout-2.4.0")
        .step(Step.of("kill switch", ctx -> { }))
        .withCommunication(onCall);
  }

  private RollbackResult run(RollbackPlan plan, RunOptions options) {
    RollbackRun run = engine.start(plan, DEPLOYMENT, options.withReason("test"));
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(10));
    return run.await();
  }

  private static void pauseBriefly() {
    long until = System.nanoTime() + 1_000_000L;
    while (System.nanoTime() < until) Thread.onSpinWait();
  }

  private void awaitPaged(int n) {
    long until = System.nanoTime() + 5_000_000_000L;
    while (paged.size() < n && System.nanoTime() < until) Thread.onSpinWait();
  }

  @Test
  void aSoakThatHoldsLeavesTheRunRecoveredAndEveryReportSaysWhatItWatched() {
    RollbackResult r = run(plan().verifiedBy(checkout).soakFor(Duration.ofMinutes(10)).checkingEvery(Duration.ofMinutes(1)).build(),
        RunOptions.defaults());

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(r.isVerified()).isTrue();
    assertThat(r.summary()).contains("recovery held for 10 min (10 rounds of 1 check and 0 triggers)");
    assertThat(Duration.between(r.startedAt(), r.finishedAt())).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
    RunHistory h = RunHistory.of(journal.read(r.runId()).records());
    assertThat(h.soak()).hasValueSatisfying(s -> {
      assertThat(s.window()).isEqualTo(Duration.ofMinutes(10));
      assertThat(s.held()).isTrue();
      assertThat(s.checks()).containsExactly("checkout");
    });
    RunReport report = RunReport.of(journal, r.runId());
    assertThat(report.soak()).extracting(RunReport.Event::type).containsExactly("SOAK_STARTED", "SOAK_HELD");
    assertThat(report.toMarkdown()).contains("## Soak", "watching recovery for 10 min 0 s (every 1 min 0 s)", "held: recovery held");
    assertThat(Timeline.of(journal, r.runId()).entries()).anySatisfy(e -> assertThat(e.text()).startsWith("Soak passed"));
  }

  @Test
  void aCheckThatRegressesDuringTheSoakMakesTheRunNotRecoveredAndAsksAHumanWithTheEvidence() {
    RollbackPlan plan = plan().verifiedBy(checkout).soakFor(Duration.ofMinutes(10)).checkingEvery(Duration.ofMinutes(1)).build();
    // healthy when verified, down from minute 4 of the soak
    Instant downFrom = clock.instant().plus(Duration.ofMinutes(4)).minusSeconds(1);
    HealthCheck flaky = HealthCheck.of("checkout", () -> clock.instant().isBefore(downFrom) ? HealthStatus.UP : HealthStatus.DOWN);
    plan = RollbackPlan.builder("checkout-2.4.0").step(Step.of("kill switch", ctx -> { })).withCommunication(onCall)
        .verifiedBy(flaky).soakFor(Duration.ofMinutes(10)).checkingEvery(Duration.ofMinutes(1)).build();

    RollbackResult r = run(plan, RunOptions.defaults());

    assertThat(r.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(r.summary()).contains("recovery did not hold during the soak: check 'checkout' is DOWN 5 min into the soak"
        + " (2 polls in a row)");
    awaitPaged(1);
    assertThat(paged).singleElement().satisfies(n -> {
      assertThat(n.kind()).isEqualTo(NotificationKind.HUMAN_NEEDED);
      assertThat(n.title()).contains("Recovery did not hold: checkout@2.4.0");
      assertThat(n.facts()).containsEntry("evidence", "check 'checkout' is DOWN 5 min into the soak (2 polls in a row): DOWN");
    });
    RunReport report = RunReport.of(journal, r.runId());
    assertThat(report.soak()).extracting(RunReport.Event::type).contains("SOAK_CHECK", "SOAK_REGRESSED");
    assertThat(report.toMarkdown()).contains("**recovery did not hold**: check 'checkout' is DOWN");
    assertThat(Timeline.of(journal, r.runId()).entries())
        .anySatisfy(e -> assertThat(e.text()).startsWith("Recovery did not hold during the soak: check 'checkout'"));
    assertThat(PostMortem.of(journal, r.runId()).toMarkdown()).contains("Recovery did not hold during the soak");
  }

  @Test
  void aCheckDownForOnePollOnlyDoesNotEndTheSoak() {
    Instant blipAt = clock.instant().plus(Duration.ofMinutes(3)).minusSeconds(1);
    HealthCheck blip = HealthCheck.of("checkout", () -> {
      Instant now = clock.instant();
      return now.isAfter(blipAt) && now.isBefore(blipAt.plus(Duration.ofSeconds(30))) ? HealthStatus.DOWN : HealthStatus.UP;
    });
    RollbackPlan plan = RollbackPlan.builder("p").step(Step.of("s", ctx -> { })).verifiedBy(blip)
        .soakFor(Duration.ofMinutes(10)).checkingEvery(Duration.ofMinutes(1)).build();

    RollbackResult r = run(plan, RunOptions.defaults());

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(RunReport.of(journal, r.runId()).soak()).extracting(RunReport.Event::type)
        .containsExactly("SOAK_STARTED", "SOAK_CHECK", "SOAK_HELD");
  }

  @Test
  void theTriggersGivenForTheSoakAreWatchedWithNewEvaluatorsAndAFiringOneMakesTheRunNotRecovered() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Trigger errors = Trigger.errorRatio(requests).above(0.05).over(Duration.ofMinutes(1)).minSamples(20);
    // what the bad release did before the rollback does not count
    for (int i = 0; i < 100; i++) requests.failure(1_000_000);
    RollbackPlan plan = plan().verifiedBy(checkout).build();
    RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("t")
        .withSoak(Duration.ofMinutes(5), List.of(errors)));
    for (int minute = 0; minute < 6 && !run.result().isDone(); minute++) {
      VirtualTime.settle(clock);
      // healthy traffic for two minutes after the rollback, then errors again
      for (int i = 0; i < 50; i++) {
        if (minute >= 2) requests.failure(1_000_000);
        else requests.success(1_000_000);
      }
      clock.advance(Duration.ofMinutes(1));
    }
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(10));
    RollbackResult r = run.await();

    assertThat(r.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(r.summary()).contains("recovery did not hold during the soak: trigger '" + errors.name() + "' fired");
    assertThat(journal.read(r.runId()).records()).filteredOn(x -> x.is(RecordType.TRIGGER_FIRED))
        .singleElement().satisfies(x -> assertThat(x.stringOr("where", "")).isEqualTo("during the soak"));
  }

  @Test
  void aReleaseWatchesItsTriggersAgainAfterItsRevert() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Trigger errors = Trigger.errorRatio(requests).above(0.05).over(Duration.ofMinutes(1)).minSamples(20);
    Release release = Release.builder("checkout-2.4.0")
        .change(Change.of("image", ctx -> { throw new IllegalStateException("bad image"); }, ctx -> { }))
        .trigger(errors)
        .verifiedBy(checkout)
        .soakFor(Duration.ofMinutes(3)).checkingEvery(Duration.ofSeconds(30))
        .build();

    RollbackRun run = engine.start(release);
    for (int i = 0; i < 10 && !run.result().isDone(); i++) {
      VirtualTime.settle(clock);
      for (int j = 0; j < 50; j++) requests.failure(1_000_000); // the old version fails too: recovery does not hold
      clock.advance(Duration.ofSeconds(30));
    }
    VirtualTime.advanceUntilDone(clock, run, Duration.ofSeconds(10));
    RollbackResult r = run.await();

    assertThat(r.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(r.summary()).contains("release reverted", "recovery did not hold during the soak: trigger");
  }

  @Test
  void aGuardKeepsWatchingTheRestoredVersionWithItsOwnTriggersForItsSoak() {
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    Trigger errors = Trigger.errorRatio(requests).above(0.05).over(Duration.ofMinutes(1)).minSamples(20);
    try (dev.rollback.guard.Guard g = dev.rollback.guard.Guard.builder(plan().verifiedBy(checkout).build(), DEPLOYMENT)
        .withEngine(engine).trigger(errors).withBakeTime(Duration.ofMinutes(30)).withSoak(Duration.ofMinutes(5)).build()) {
      g.arm();
      // the release fails; after the rollback the restored version keeps failing: the cause was elsewhere
      for (int i = 0; i < 900 && (g.run().isEmpty() || !g.run().get().result().isDone()); i++) {
        for (int j = 0; j < 3; j++) requests.failure(1_000_000);
        clock.advance(Duration.ofSeconds(1));
        pauseBriefly(); // virtual time moves in small steps, each after the run had a moment to wait again
      }
      RollbackResult r = g.run().orElseThrow().await(Duration.ofSeconds(5));

      assertThat(r.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
      assertThat(r.summary()).contains("recovery did not hold during the soak: trigger '" + errors.name() + "' fired");
      assertThat(RunReport.of(journal, r.runId()).soak()).extracting(RunReport.Event::text)
          .first().asString().contains("triggers [" + errors.name() + "]");
    }
  }

  @Test
  void aPlanWithNothingThatDefinesRecoveredWarnsAndItsReportsSayNotVerified() {
    RollbackPlan plan = plan().build();

    assertThat(plan.warnings()).singleElement().asString()
        .contains("plan 'checkout-2.4.0': nothing defines \"recovered\" (no verifiedBy check, no soak)");
    RollbackResult r = run(plan, RunOptions.defaults());

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(r.isVerified()).isFalse();
    assertThat(r.summary()).contains("not verified");
    RunReport report = RunReport.of(journal, r.runId());
    assertThat(report.verdict()).isEqualTo("NOT VERIFIED");
    assertThat(report.toMarkdown()).contains("| Outcome | **NOT VERIFIED** (RECOVERED by its steps")
        .doesNotContain("| Outcome | **RECOVERED**");
    assertThat(report.toJson()).contains("\"verified\" : false", "\"verdict\" : \"NOT VERIFIED\"");
    assertThat(Timeline.of(journal, r.runId()).entries()).anySatisfy(e -> assertThat(e.text()).startsWith("Run ended NOT VERIFIED"));
    assertThat(PostMortem.of(journal, r.runId()).toMarkdown()).contains("the run ended NOT VERIFIED")
        .doesNotContain("The rollback recovered and verification passed");
    assertThat(journal.read(r.runId()).records()).filteredOn(x -> x.is(RecordType.NOTE))
        .anySatisfy(x -> assertThat(x.stringOr("message", "")).startsWith("plan warning: plan 'checkout-2.4.0': nothing defines"));
  }

  @Test
  void aCheckOrASoakIsWhatDefinesRecovered() {
    assertThat(plan().verifiedBy(checkout).build().warnings()).isEmpty();
    assertThat(plan().soakFor(Duration.ofMinutes(5)).build().warnings()).isEmpty();
    assertThat(run(plan().soakFor(Duration.ofMinutes(1)).build(), RunOptions.defaults()).isVerified()).isTrue();
  }

  @Test
  void aSoakIsValidatedWithThePlan() {
    assertThatThrownBy(() -> plan().soakFor(Duration.ZERO).build()).isInstanceOf(PlanValidationException.class)
        .hasMessageContaining("plan 'checkout-2.4.0': soak window must be positive: PT0S");
    assertThatThrownBy(() -> plan().soakFor(Duration.ofMinutes(1)).checkingEvery(Duration.ofMinutes(2)).build())
        .isInstanceOf(PlanValidationException.class).hasMessageContaining("soak interval PT2M is longer than its window PT1M");
    assertThatThrownBy(() -> plan().checkingEvery(Duration.ofMinutes(1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must follow soakFor(window)");
  }

  @Test
  void aRunResumedDuringItsSoakWatchesUntilTheSoakItStartedEnds() {
    RollbackPlan plan = plan().verifiedBy(checkout).soakFor(Duration.ofMinutes(10)).checkingEvery(Duration.ofMinutes(1)).build();
    RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("t"));
    for (int i = 0; i < 4; i++) {
      VirtualTime.settle(clock);
      clock.advance(Duration.ofMinutes(1));
    }
    run.cancel("the process is going away");
    RollbackResult cancelled = run.await(Duration.ofSeconds(5));
    assertThat(cancelled.outcome()).isEqualTo(RunOutcome.CANCELLED);
    Instant soakEnds = RunHistory.of(journal.read(run.runId()).records()).soak().orElseThrow().endsAt();

    RollbackRun resumed = engine.resume(run.runId(), plan);
    VirtualTime.advanceUntilDone(clock, resumed, Duration.ofSeconds(10));
    RollbackResult r = resumed.await();

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(r.finishedAt()).isBetween(soakEnds, soakEnds.plus(Duration.ofSeconds(20)));
    assertThat(journal.read(run.runId()).records()).filteredOn(x -> x.is(RecordType.SOAK_STARTED)).hasSize(1);
  }
}
