package dev.rollback.report;

import static dev.rollback.report.IncidentJournals.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.report.TimelineEntry.Actor;
import dev.rollback.report.TimelineEntry.Kind;
import dev.rollback.report.TimelineEntry.Milestone;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ACKNOWLEDGED and ESCALATED records in the timeline and the post-mortem. */
class TimelineAcknowledgementTest {

  /** Rollback at 2 min; nobody acknowledges the page for 5 min, it escalates; bob acknowledges at 8 min. */
  private static List<JournalRecord> escalatedThenAcknowledged() {
    return new IncidentJournals()
        .add(0, RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "checkout-2.4.0",
            "deployment", "checkout@2.4.0", "reason", "trigger 'error-ratio' fired")
        .add(10, RecordType.NOTIFICATION, null, "kind", "ROLLBACK_TRIGGERED", "audience", "on-call", "channel", "pagerduty",
            "status", "SENT", "attempts", 1)
        .add(300_000, RecordType.ESCALATED, null, "kind", "ROLLBACK_TRIGGERED", "from", "on-call", "to", "engineering",
            "after", "PT5M", "reason", "nobody acknowledged the page within PT5M")
        .add(300_020, RecordType.NOTIFICATION, null, "kind", "ROLLBACK_TRIGGERED", "audience", "engineering",
            "channel", "slack", "status", "SENT", "attempts", 1, "escalatedFrom", "on-call")
        .add(480_000, RecordType.ACKNOWLEDGED, null, "actor", "bob", "source", "pagerduty")
        .add(500_000, RecordType.GATE_DECIDED, "restore/migrate down", "gateId", "g#1", "decision", "PROCEED",
            "actor", "alice", "timedOut", false)
        .records();
  }

  @Test
  void theFirstAcknowledgementMarksTheMilestoneWithItsActorAndSource() {
    Timeline t = Timeline.of(escalatedThenAcknowledged());

    assertThat(t.milestone(Milestone.ACKNOWLEDGED)).contains(T0.plusSeconds(480));
    assertThat(t.timeToAcknowledge()).contains(Duration.ofMinutes(8));
    TimelineEntry ack = t.entries().stream().filter(e -> e.milestoneMarked().isPresent()
        && e.milestoneMarked().get() == Milestone.ACKNOWLEDGED).findFirst().orElseThrow();
    assertThat(ack.actor()).isEqualTo(Actor.human("bob"));
    assertThat(ack.text()).isEqualTo("bob acknowledged the page via pagerduty");
    assertThat(t.humans()).containsExactly("bob", "alice");
  }

  @Test
  void aHumanGateDecisionBeforeAnyAcknowledgementStillCounts() {
    List<JournalRecord> records = new IncidentJournals()
        .add(0, RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "p", "deployment", "d@1")
        .add(60_000, RecordType.GATE_DECIDED, "s", "gateId", "g#1", "decision", "PROCEED", "actor", "alice", "timedOut", false)
        .add(90_000, RecordType.ACKNOWLEDGED, null, "actor", "bob", "source", "http")
        .records();

    assertThat(Timeline.of(records).milestone(Milestone.ACKNOWLEDGED)).contains(T0.plusSeconds(60));
  }

  @Test
  void anEscalationShowsWhoWasToldWhyAndAfterHowLong() {
    Timeline t = Timeline.of(escalatedThenAcknowledged());

    assertThat(t.entries(Kind.ESCALATION)).extracting(TimelineEntry::text).contains(
        "Escalated ROLLBACK_TRIGGERED from on-call to engineering after PT5M: nobody acknowledged the page within PT5M");
    assertThat(t.toJson()).contains("\"timeToAcknowledge\" : \"PT8M\"").contains("Escalated ROLLBACK_TRIGGERED");
  }

  @Test
  void thePostMortemReportsTheEscalationAndDoesNotCountItAsAFailedDelivery() {
    String md = PostMortem.of(escalatedThenAcknowledged()).toMarkdown();

    assertThat(md).contains("2 notification(s) delivered.")
        .doesNotContain("not delivered")
        .contains("Escalated ROLLBACK_TRIGGERED from on-call to engineering after PT5M")
        .contains("A page was escalated because nobody acknowledged it in time");
  }
}
