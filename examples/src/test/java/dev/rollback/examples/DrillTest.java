package dev.rollback.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.RunOutcome;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.RunHistory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drill on its embedded defaults: what it does to each layer, and the story it tells. */
class DrillTest {
  static final List<String> ROLLBACK_STEPS = List.of("flag/kill switch new-checkout", "traffic/restore traffic checkout",
      "workload/restore checkout workloads", "database/roll back database");
  static final List<String> RELEASE_STEPS = List.of("database to 2/apply", "start checkout 2.4.0/apply",
      "route checkout to 2.4.0/apply", "turn on new-checkout/apply");

  @TempDir Path out;

  @Test
  void theGuardRollsTheBadReleaseBackLayerByLayerAndTheStorySaysSo() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Drill.Outcome o;
    try (PrintStream print = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      o = Drill.run(out, Drill.Mode.EMBEDDED, print);
    }

    assertTheDrillRecovered(o, out);
    assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo(String.join("\n", o.story()) + "\n");
    assertThat(o.story()).first().asString().isEqualTo("Rollback drill (embedded): checkout 2.3.1 -> 2.4.0 and back");
    assertThat(o.story()).anyMatch(l -> l.startsWith("  load balancer  loopback balancer 127.0.0.1:"))
        .anyMatch(l -> l.startsWith("  database       H2 in memory: orders has 240 rows, 80 with a gift note"));
  }

  /** What every drill must show, embedded or real. */
  static void assertTheDrillRecovered(Drill.Outcome o, Path out) throws Exception {
    assertThat(o.release().outcome()).isEqualTo(RunOutcome.RELEASED);
    assertThat(o.rollback().outcome()).as(o.rollback().summary()).isEqualTo(RunOutcome.RECOVERED);
    try (FileJournal journal = FileJournal.create(out.resolve("journal"))) {
      // deepest layer first on the way out, fastest lever first on the way back
      assertThat(startOrder(RunHistory.of(journal.read(o.release().runId())), RELEASE_STEPS)).isSorted();
      assertThat(startOrder(RunHistory.of(journal.read(o.rollback().runId())), ROLLBACK_STEPS)).isSorted();
    }
    assertThat(o.rollback().steps()).containsOnlyKeys(ROLLBACK_STEPS);
    assertThat(o.rollback().steps().values()).allMatch(s -> s.isDone());

    // every layer is back: the flag off, traffic and users on 2.3.1, the data restored and verified
    assertThat(o.traffic().get("2.4.0").failures()).isPositive();
    assertThat(o.traffic().get("2.3.1").failures()).isZero();
    assertThat(o.afterRollback().requests()).isGreaterThanOrEqualTo(100);
    assertThat(o.afterRollback().failures()).isZero();
    assertThat(o.databaseVersion()).isEqualTo("1");
    assertThat(o.giftNotesBefore()).isEqualTo(80);
    assertThat(o.giftNotesAfter()).isEqualTo(80);
    assertThat(o.fingerprintAfter()).isEqualTo(o.fingerprintBefore()).startsWith("240 rows");
    assertThat(o.notifications()).anyMatch(n -> n.startsWith("ROLLBACK_TRIGGERED: "))
        .anyMatch(n -> n.startsWith("ROLLBACK_COMPLETED: "));

    // the story: each part in order, plain text, ending with where the reports are
    List<String> story = o.story();
    assertThat(story).noneMatch(l -> l.contains("\u001b"));
    assertThat(indexOf(story, "1. The guard of checkout 2.4.0 is armed before the release"))
        .isLessThan(indexOf(story, "2. Release 2.4.0, deepest layer first"))
        .isLessThan(indexOf(story, "3. Half of the users now get 2.4.0's new checkout path, and it fails. The guard fired"))
        .isLessThan(indexOf(story, "4. The rollback plan, fastest lever first"))
        .isLessThan(indexOf(story, "5. The database is back at version 1: 80 of 80 gift notes restored from the archive"))
        .isLessThan(indexOf(story, "6. The on-call webhook received"))
        .isLessThan(indexOf(story, "7. What the users saw"));
    assertThat(story).contains("   -> RELEASED in " + dev.rollback.report.ReportFormat.duration(o.release().elapsed()) + ".")
        .anyMatch(l -> l.startsWith("   -> RECOVERED in "))
        .anyMatch(l -> l.contains("fingerprint check passed: orders"))
        .anyMatch(l -> l.startsWith("   orders fingerprint before the release") && l.endsWith("(the same)."))
        .anyMatch(l -> l.matches("   After the rollback: (\\d+) of \\1 checkouts succeeded, all on 2\\.3\\.1\\."));
    for (String step : ROLLBACK_STEPS) assertThat(story).anyMatch(l -> l.startsWith("     " + step) && l.contains("succeeded in"));
    assertThat(story.get(story.size() - 6)).isEqualTo("Reports in " + out.toAbsolutePath() + ":");

    for (String f : List.of("postmortem.html", "postmortem.md", "report.md", "report.json", "timeline.json")) {
      assertThat(out.resolve(f)).isNotEmptyFile();
    }
    assertThat(Files.readString(out.resolve("report.json"))).contains("\"outcome\" : \"RECOVERED\"");
    assertThat(Files.readString(out.resolve("postmortem.html"))).contains("<svg").contains(">flag/kill switch new-checkout</text>");
  }

  private static List<Instant> startOrder(RunHistory h, List<String> steps) {
    return steps.stream().map(s -> Objects.requireNonNull(h.stepHistory(s).firstStartedAt(), s + " never started")).toList();
  }

  private static int indexOf(List<String> story, String prefix) {
    for (int i = 0; i < story.size(); i++) if (story.get(i).startsWith(prefix)) return i;
    throw new AssertionError("the story has no line starting with '" + prefix + "':\n" + String.join("\n", story));
  }
}
