package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.GateRequest;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.JournalEvent.StepSucceeded;
import dev.rollback.journal.RunHistory.StepStatus;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journals written by version 0.1.0 (format 1, before the typed journal; see
 * {@code src/test/resources/journals/format-1/README.md}) still read, report and resume.
 */
class JournalFormat1Test {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final List<String> RUNS = List.of("plan-recovered", "plan-halted", "release-reverted", "plan-crashed");

  @TempDir Path dir;

  private FileJournal journal() throws IOException {
    for (String run : RUNS) {
      try (InputStream in = getClass().getResourceAsStream("/journals/format-1/" + run + ".jsonl")) {
        Files.copy(in, dir.resolve(run + ".jsonl"));
      }
    }
    return FileJournal.create(dir);
  }

  @Test
  void everyRecordOfTheOldFilesDecodesToAKnownTypedEvent() throws IOException {
    try (FileJournal j = journal()) {
      for (String run : RUNS) {
        JournalRead read = j.read(run);
        assertThat(read.problems()).as(run).isEmpty();
        assertThat(read.records()).as(run).isNotEmpty()
            .allSatisfy(r -> assertThat(r.event()).as(run + " seq " + r.seq()).isInstanceOf(JournalEvent.Known.class));
      }
    }
  }

  @Test
  void encodingTheDecodedEventWritesTheSameKeysAndValuesAsFormat1() throws IOException {
    try (FileJournal j = journal()) {
      for (String run : RUNS) {
        for (JournalRecord old : j.read(run).records()) {
          JournalRecord again = JournalLines.decode(JournalLines.encode(
              JournalRecord.of(old.seq(), old.runId(), old.at(), old.fence(), (JournalEvent.Known) old.event())), run);
          assertThat(again.type()).isEqualTo(old.type());
          assertThat(again.step()).isEqualTo(old.step());
          Map<String, Object> expected = new LinkedHashMap<>(old.data());
          // the step's duration is derived from the timestamps now; format 1 also wrote it as "millis"
          if (old.event() instanceof StepSucceeded) expected.remove("millis");
          assertThat(again.data()).as(run + " seq " + old.seq() + " " + old.type()).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void theHistoryOfAnOldRunHasItsStepsOutcomeAndReason() throws IOException {
    try (FileJournal j = journal()) {
      RunHistory h = RunHistory.of(j.read("plan-recovered"));

      assertThat(h.plan()).isEqualTo("checkout-2.4.0");
      assertThat(h.deployment()).isEqualTo("checkout@2.4.0");
      assertThat(h.reason()).isEqualTo("trigger 'error-ratio' fired: 0.12 > 0.05 over 30 s");
      assertThat(h.outcome()).contains("RECOVERED");
      assertThat(h.stepHistory("restore/migrate down").status()).isEqualTo(StepStatus.SUCCEEDED);
      assertThat(h.stepHistory("restore/migrate down").attempts()).isEqualTo(2);
      assertThat(h.stepHistory("restore/migrate down").duration()).isPresent();
      assertThat(h.checkpoints("restore/migrate down")).containsEntry("statement", "1");
      assertThat(h.stepHistory("stop the bleeding/kill switch").notes()).containsExactly("flag off, visible after 3 ms");

      RunReport report = RunReport.of(j, "plan-recovered");
      assertThat(report.step("stop the bleeding/kill switch").orElseThrow().notes()).containsExactly("flag off, visible after 3 ms");
      assertThat(report.toMarkdown()).contains("| Why it started | trigger 'error-ratio' fired: 0.12 > 0.05 over 30 s |")
          .contains("flag off, visible after 3 ms");
      assertThat(report.problems()).isEmpty();
    }
  }

  @Test
  void anOldReleaseKeepsItsRevertReasonAndKnownGood() throws IOException {
    try (FileJournal j = journal()) {
      RunHistory h = RunHistory.of(j.read("release-reverted"));

      assertThat(h.mode()).isEqualTo("release");
      assertThat(h.isReverting()).isTrue();
      assertThat(h.revertReason()).contains("set image").contains("ImagePullBackOff");
      assertThat(h.knownGood("enable flag")).hasValueSatisfying(s -> assertThat(s.require("value")).isEqualTo("off"));
      assertThat(h.stepHistory("set image/apply").status()).isEqualTo(StepStatus.FAILED);
      assertThat(h.stepHistory("enable flag/revert").status()).isEqualTo(StepStatus.SUCCEEDED);
      assertThat(h.stepHistory("set image/revert").status()).isEqualTo(StepStatus.SUCCEEDED);
    }
  }

  @Test
  void aRunHaltedByTheOldVersionResumesAndItsGateOpensAgain() throws IOException {
    RollbackPlan sameShape = RollbackPlan.builder("payments-1.9.0")
        .sequential("restore", s -> s
            .step(Step.of("undo rollout", ctx -> { }))
            .step(Step.of("migrate down", ctx -> { })))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal()).build()) {
      RollbackRun run = engine.resume("plan-halted", sameShape);
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.id()).endsWith("#2"); // the HALT answered before the upgrade is not reused
      run.answer(gate.id(), Decision.RETRY, "bob");
      RollbackResult result = run.await(HANG_GUARD);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(result.step("restore/migrate down")).isInstanceOf(StepOutcome.Succeeded.class);
      assertThat(RunReport.of(engine.journal(), "plan-halted").resumes()).singleElement()
          .satisfies(e -> assertThat(e.text()).isEqualTo("resumed"));
    }
  }

  @Test
  void aRunThatCrashedUnderTheOldVersionResumesItsIdempotentStep() throws IOException {
    List<String> ran = new ArrayList<>();
    RollbackPlan sameShape = RollbackPlan.builder("search-3.1.0")
        .sequential("restore", s -> s
            .step(Step.builder("flip traffic").execute(ctx -> ran.add("flip")).idempotent().build())
            .step(Step.builder("scale down canary").execute(ctx -> ran.add("scale")).idempotent().build()))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal()).build()) {
      RollbackResult result = engine.resume("plan-crashed", sameShape).await(HANG_GUARD);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(ran).containsExactly("scale");
      assertThat(result.step("restore/scale down canary").attempts()).isEqualTo(2);
    }
  }

  @Test
  void recordsOfANewerWriterKeepTheirTypeAndFields() throws IOException {
    try (FileJournal j = journal()) {
      Instant at = Instant.parse("2026-12-07T08:00:00Z");
      RunHistory before = RunHistory.of(j.read("plan-recovered"));
      long seq = before.lastSeq();
      // a newer writer: a record type this version does not know, and a new key on a known one
      j.append(new JournalRecord(1, seq + 1, "plan-recovered", "QUARANTINE_STARTED", at, 0, null, Map.of("window", "PT10M")));
      j.append(new JournalRecord(1, seq + 2, "plan-recovered", "NOTE", at, 0, "restore/migrate down",
          Map.of("message", "vacuumed", "severity", "info")));

      List<JournalRecord> records = j.read("plan-recovered").records();
      JournalRecord unknown = records.get(records.size() - 2);
      JournalRecord note = records.get(records.size() - 1);

      assertThat(unknown.event()).isEqualTo(new JournalEvent.Unknown("QUARANTINE_STARTED", null, Map.of("window", "PT10M")));
      assertThat(note.event()).isEqualTo(new JournalEvent.NoteAdded("restore/migrate down", "vacuumed"));
      assertThat(note.data()).containsEntry("severity", "info");
      RunHistory h = RunHistory.of(records);
      assertThat(h.entries()).extracting(e -> e.event().typeName()).contains("QUARANTINE_STARTED");
      assertThat(Timeline.of(records).entries()).extracting(e -> e.text())
          .contains("record of kind QUARANTINE_STARTED (written by a newer version)");
    }
  }

  @Test
  void everyRecordTypeOfThisVersionRoundTripsThroughTheCodec() {
    Set<RecordType> seen = java.util.EnumSet.noneOf(RecordType.class);
    for (JournalEvent.Known e : JournalEventSamples.all()) {
      JournalRecord r = JournalRecord.of(1, "run-1", Instant.EPOCH, 0, e);
      JournalRecord line = JournalLines.decode(JournalLines.encode(r), "test");
      assertThat(line.event()).as(e.typeName()).isEqualTo(e);
      seen.add(e.type());
    }
    assertThat(seen).as("a sample of every record type").containsExactlyInAnyOrder(RecordType.values());
  }
}
