package dev.rollback.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateRequest;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Signals;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.InMemoryJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Every surface that shows a run — the listener's events (what a console prints), the result, the
 * run report in Markdown and JSON, the timeline, the post-mortem and its SVG — shows the same
 * duration for the same step, the same reason for the start, and the step's notes.
 */
class ReportsAgreeTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Instant T0 = Instant.parse("2026-12-07T09:00:00Z");
  private static final String REASON = "trigger 'errors' fired: error ratio 0.3100 over the last 30 s is above 0.05";

  private final ManualClock clock = ManualClock.startingAt(T0);
  private final Map<String, Duration> heard = new ConcurrentHashMap<>();

  private RollbackPlan plan() {
    return RollbackPlan.builder("checkout-2.4.0")
        .sequential("stop the bleeding", s -> s
            .step(Step.of("kill switch", ctx -> {
              clock.advance(Duration.ofMillis(9)); // the step's work takes 9 ms of the clock
              ctx.note("new-checkout off; clients saw it after 9 ms");
            }))
            .step(Step.of("traffic to blue", ctx -> clock.advance(Duration.ofMillis(1234)))))
        .sequential("restore", s -> s
            .step(Step.builder("undo rollout").execute(ctx -> clock.advance(Duration.ofSeconds(95)))
                .withApproval(dev.rollback.Gate.named("sre")).build()))
        .build();
  }

  /** The steps move the clock themselves; the test answers the approval half a minute after it opens. */
  private RollbackResult runToEnd(RollbackRun run) {
    GateRequest g = run.awaitGate(HANG_GUARD);
    clock.advance(Duration.ofSeconds(30));
    run.answer(g.id(), Decision.PROCEED, "alice");
    return run.await(HANG_GUARD);
  }

  @Test
  void everySurfaceShowsTheSameDurationReasonAndNotesForEachStep() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal)
        .withListener(e -> {
          if (e instanceof RollbackEvent.StepFinished f && f.outcome() instanceof StepOutcome.Succeeded s) {
            heard.put(f.step(), s.duration());
          }
        }).build()) {
      RollbackRun run = engine.start(plan(), Deployment.of("checkout", "2.4.0"),
          RunOptions.defaults().withRunId("agree").withReason(REASON));
      result = runToEnd(run);
    }
    Map<String, Duration> expected = Map.of(
        "stop the bleeding/kill switch", Duration.ofMillis(9),
        "stop the bleeding/traffic to blue", Duration.ofMillis(1234),
        "restore/undo rollout", Duration.ofSeconds(95));

    RunReport report = RunReport.of(journal, "agree");
    String md = report.toMarkdown();
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    Timeline timeline = Timeline.of(journal, "agree");
    String postMortem = PostMortem.of(timeline).toMarkdown();
    String svg = HtmlReport.svg(timeline);
    for (Map.Entry<String, Duration> e : expected.entrySet()) {
      String step = e.getKey();
      Duration d = e.getValue();
      String words = ReportFormat.duration(d);
      assertThat(heard.get(step)).as("listener: %s", step).isEqualTo(d);
      assertThat(((StepOutcome.Succeeded) result.step(step)).duration()).as("result: %s", step).isEqualTo(d);
      assertThat(report.step(step).orElseThrow().duration()).as("report: %s", step).isEqualTo(d);
      assertThat(md).as("markdown").containsPattern("\\| " + java.util.regex.Pattern.quote(step) + " \\| SUCCEEDED \\| 1 \\| [^|]+ \\| "
          + java.util.regex.Pattern.quote(words) + " \\|");
      JsonNode row = null;
      for (JsonNode s : json.get("steps")) if (s.get("path").asText().equals(step)) row = s;
      assertThat(row).as("json: %s", step).isNotNull();
      assertThat(row.get("durationMillis").asLong()).as("json: %s", step).isEqualTo(d.toMillis());
      assertThat(timeline.entries()).extracting(TimelineEntry::text).as("timeline").contains(step + " succeeded in " + words);
      assertThat(postMortem).as("post-mortem").contains(step + " succeeded in " + words);
      assertThat(svg).as("svg").contains(step + ", attempt 1: succeeded; the step took " + words);
    }

    // why it started, the same everywhere
    assertThat(report.reason()).isEqualTo(REASON);
    assertThat(md).contains("| Why it started | " + REASON + " |");
    assertThat(json.get("reason").asText()).isEqualTo(REASON);
    assertThat(timeline.reason()).isEqualTo(REASON);
    assertThat(postMortem).contains("The run started because: " + REASON);
    // step notes reach the run report
    assertThat(report.step("stop the bleeding/kill switch").orElseThrow().notes())
        .containsExactly("new-checkout off; clients saw it after 9 ms");
    assertThat(md).contains("new-checkout off; clients saw it after 9 ms");
    // Markdown times are UTC, to the millisecond
    assertThat(md).contains("| Started (UTC) | 2026-12-07 09:00:00.000 |");
    assertThat(md).doesNotContainPattern("\\d{2}:\\d{2}:\\d{2}\\.\\d{4,}");
    assertThat(md).contains("PROCEED by alice at 2026-12-07 09:00:31.243  ");
  }

  @Test
  void aResumeIsAnEventAndNotAJournalProblem() {
    InMemoryJournal journal = InMemoryJournal.create();
    RollbackPlan plan = RollbackPlan.builder("p")
        .step(Step.builder("db").execute(ctx -> { }).withApproval(dev.rollback.Gate.named("dba")).build())
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build()) {
      RollbackRun first = engine.start(plan, Deployment.of("svc", "1"), RunOptions.defaults().withRunId("halted"));
      GateRequest g = awaitGate(first);
      first.answer(g.id(), Decision.HALT, "bob");
      first.await(HANG_GUARD);
      RollbackRun again = engine.resume("halted", plan);
      again.answer(awaitGate(again).id(), Decision.PROCEED, "bob");
      again.await(HANG_GUARD);
    }
    RunReport report = RunReport.of(journal, "halted");

    assertThat(report.outcome()).isEqualTo("RECOVERED");
    assertThat(report.problems()).isEmpty();
    assertThat(report.resumes()).extracting(RunReport.Event::text).containsExactly("resumed");
    assertThat(report.toMarkdown()).contains("## Resumes").doesNotContain("Journal problems");
  }

  @Test
  void triggerEntriesCarryTheTriggersNameObservedValueThresholdAndWindow() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    dev.rollback.detect.Trigger down = dev.rollback.detect.Trigger.consecutiveFailures(
        dev.rollback.detect.Signals.poll(dev.rollback.detect.HealthCheck.of("checkout",
            () -> dev.rollback.detect.HealthStatus.DOWN), Duration.ofSeconds(1)), 1);
    dev.rollback.Release release = dev.rollback.Release.builder("checkout-2.4.0")
        .change(dev.rollback.Change.of("image", ctx -> { }, ctx -> { }))
        .trigger(down)
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      assertThat(engine.run(release, RunOptions.defaults().withRunId("fired")).outcome())
          .isEqualTo(dev.rollback.RunOutcome.RECOVERED);
    }
    RunReport report = RunReport.of(journal, "fired");
    RunReport.TriggerReport t = report.triggers().get(0);

    assertThat(t.trigger()).isEqualTo(down.name());
    assertThat(t.verdict()).isEqualTo("ROLL_BACK");
    assertThat(t.observed()).isEqualTo("1 failures in a row");
    assertThat(t.threshold()).isEqualTo("1");
    assertThat(t.window()).isEqualTo("consecutive observations");
    JsonNode json = new ObjectMapper().readTree(report.toJson()).get("triggers").get(0);
    assertThat(json.get("trigger").asText()).isEqualTo(down.name());
    assertThat(json.get("observed").asText()).isEqualTo("1 failures in a row");
    assertThat(json.get("threshold").asText()).isEqualTo("1");
    assertThat(json.get("window").asText()).isEqualTo("consecutive observations");
    assertThat(report.toMarkdown()).contains("(observed 1 failures in a row, threshold 1, window consecutive observations)");
    assertThat(report.reason()).isEqualTo("release of checkout-2.4.0@release started");
  }

  private static GateRequest awaitGate(RollbackRun run) {
    return run.awaitGate(HANG_GUARD);
  }
}
