package dev.rollback.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostMortemTest {

  @Test
  void hasTheGoogleSreSectionsInOrder() {
    PostMortem pm = PostMortem.of(IncidentJournals.recoveredWithAHuman());

    assertThat(pm.sections()).extracting(PostMortem.Section::title).containsExactly("Summary", "Impact", "Root Causes",
        "Trigger", "Resolution", "Detection", "Action Items", "Lessons Learned", "Timeline", "Supporting information");
    assertThat(pm.title()).isEqualTo("Post-mortem: rollback of checkout@2.4.0 (checkout-2.4.0)");
  }

  @Test
  void isPreFilledWithWhatTheJournalKnows() {
    String md = PostMortem.of(IncidentJournals.recoveredWithAHuman()).toMarkdown();

    assertThat(md).contains("# Post-mortem: rollback of checkout@2.4.0 (checkout-2.4.0)")
        .contains("**Date:** 2026-11-26 22:00:00.000 UTC")
        .contains("**Status:** Draft")
        .contains("checkout@2.4.0 was rolled back by plan checkout-2.4.0; the run ended RECOVERED. Time to detect: 2 min 0 s. Time to mitigate: 3 min 5 s. Decisions by: alice.")
        .contains("The run started because: trigger 'error-ratio' fired: 0.12 > 0.05 over PT30S")
        .contains("Detected at 2026-11-26 22:02:00.000 by rollback engine (automation)")
        .contains("A human first acted at 2026-11-26 22:03:00.250, 1 min 0 s after detection")
        .contains("| restore/migrate down | restore/migrate down succeeded in 5.0 s | 2026-11-26 22:03:05.300 |")
        .contains("| 2026-11-26 22:03:00.250 | GATE | alice | alice decided PROCEED at gate")
        .contains("## Root Causes\n\n" + PostMortem.TO_FILL);
  }

  @Test
  void proposesActionItemsFromWhatWentWrong() {
    PostMortem pm = PostMortem.of(IncidentJournals.recoveredWithAHuman());

    List<String> actions = pm.actionItems().stream().map(PostMortem.ActionItem::action).toList();
    assertThat(actions).containsExactly(
        "Find and fix the root cause of the bad release of checkout@2.4.0",
        "Make rollback step 'restore/migrate down' reliable (it failed during this run)",
        "Fix notification channel 'slack' (messages were not delivered)");
    assertThat(pm.toMarkdown()).contains("| Action item | Type | Owner | Bug |")
        .contains("| Make rollback step 'restore/migrate down' reliable (it failed during this run) | mitigate | TBD |  |");
  }

  @Test
  void anUnfinishedRunAsksToFinishTheRecovery() {
    List<dev.rollback.journal.JournalRecord> records = new IncidentJournals()
        .add(0, dev.rollback.journal.RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "p", "deployment", "s@1",
            "reason", "manual")
        .add(10, dev.rollback.journal.RecordType.GATE_DECIDED, "a", "gateId", "g1", "decision", "HALT", "actor", "timeout",
            "timedOut", true)
        .add(20, dev.rollback.journal.RecordType.PLAN_COMPLETED, null, "outcome", "HALTED", "summary", "halted at g1")
        .records();

    PostMortem pm = PostMortem.of(records);

    assertThat(pm.actionItems()).extracting(PostMortem.ActionItem::action)
        .anyMatch(a -> a.startsWith("Nobody answered a gate in time"))
        .anyMatch(a -> a.equals("The run ended HALTED: finish the recovery and record how"));
    assertThat(pm.toMarkdown()).contains("did not record a mitigation (outcome HALTED)");
  }

  @Test
  void escapesTableCellsAndNeverShowsStateValues() {
    List<dev.rollback.journal.JournalRecord> records = new IncidentJournals()
        .add(0, dev.rollback.journal.RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "p", "deployment", "s@1")
        .add(5, dev.rollback.journal.RecordType.STEP_STARTED, "a|b", "attempt", 1)
        .add(6, dev.rollback.journal.RecordType.STEP_FAILED, "a|b", "attempt", 1, "error", "x | y\nz", "final", true)
        .records();

    String md = PostMortem.of(records).toMarkdown();

    assertThat(md).contains("a\\|b failed (attempt 1, final): x \\| y<br>z");
    assertThat(PostMortem.of(IncidentJournals.recoveredWithAHuman()).toMarkdown()).doesNotContain("hunter2");
  }
}
