package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a {@link FileJournal} forces, seen through a channel double that records every force. */
class FileJournalDurabilityTest {
  @TempDir Path tmp;

  private static JournalRecord record(long seq, RecordType type) {
    return JournalRecord.of(seq, "run-1", type, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq), 0, "s/a",
        Map.of("attempt", seq));
  }

  private static int length(JournalRecord r) {
    return JournalCodec.encode(r).length;
  }

  /** After each append: how often the run file was forced, and how many of its bytes no force covered. */
  private static String state(String what, RecordingJournalFiles files, Path file) throws IOException {
    return what + ": " + files.forces(file) + " forces, " + (Files.size(file) - files.forcedThrough(file)) + " bytes unforced";
  }

  @Test
  void forcesEveryDurableAppendAndNoLazyOneUntilTheNextDurableAppend() throws IOException {
    RecordingJournalFiles files = new RecordingJournalFiles();
    JournalRecord started = record(2, RecordType.PLAN_STARTED);
    JournalRecord note = record(3, RecordType.NOTE);
    List<String> seen = new ArrayList<>();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      Path file = journal.fileOf("run-1");
      journal.append(record(1, RecordType.RUN_CREATED));
      seen.add(state("append RUN_CREATED", files, file));
      journal.appendLazily(started);
      seen.add(state("lazily PLAN_STARTED", files, file));
      journal.appendLazily(note);
      seen.add(state("lazily NOTE", files, file));
      journal.append(record(4, RecordType.STEP_STARTED));
      seen.add(state("append STEP_STARTED", files, file));
      journal.appendLazily(record(5, RecordType.PLAN_COMPLETED));
      seen.add(state("lazily PLAN_COMPLETED", files, file));
      journal.append(record(6, RecordType.ACKNOWLEDGED));
      seen.add(state("append ACKNOWLEDGED after the end", files, file));
    }

    assertThat(seen).containsExactly(
        "append RUN_CREATED: 1 forces, 0 bytes unforced",
        "lazily PLAN_STARTED: 1 forces, " + length(started) + " bytes unforced",
        "lazily NOTE: 1 forces, " + (length(started) + length(note)) + " bytes unforced",
        "append STEP_STARTED: 2 forces, 0 bytes unforced",
        "lazily PLAN_COMPLETED: 3 forces, 0 bytes unforced",
        "append ACKNOWLEDGED after the end: 4 forces, 0 bytes unforced");
  }

  @Test
  void forcesLazilyAppendedRecordsWhenClosedAndNothingWhenAllWereForced() throws IOException {
    RecordingJournalFiles files = new RecordingJournalFiles();
    Path file;
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      file = journal.fileOf("run-1");
      journal.append(record(1, RecordType.RUN_CREATED));
      journal.appendLazily(record(2, RecordType.NOTE));
      assertThat(state("before close", files, file)).isEqualTo("before close: 1 forces, " + length(record(2, RecordType.NOTE)) + " bytes unforced");
    }
    assertThat(state("after close", files, file)).isEqualTo("after close: 2 forces, 0 bytes unforced");

    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      journal.append(record(3, RecordType.STEP_STARTED));
    }
    assertThat(state("durable, then closed", files, file)).isEqualTo("durable, then closed: 3 forces, 0 bytes unforced");
  }

  @Test
  void aNewRunsFirstRecordIsOneForceOfTheSpareWhoseNameWasForcedWhenTheJournalWasCreated() {
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      journal.append(record(1, RecordType.RUN_CREATED));
      assertThat(files.events()).containsExactly(
          "open .spare-* [CREATE_NEW, WRITE]",
          "open journal [READ]",
          "force journal",
          "open run-1.jsonl [WRITE, APPEND]",
          "force run-1.jsonl");
    }

    // closed before the run ended: the run's name is forced then
    assertThat(files.events()).endsWith("open journal [READ]", "force journal");
  }

  @Test
  void forcesTheDirectoryBeforeTheFirstRecordOfASecondNewRunWhileTheFirstHoldsTheSpare() {
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      journal.append(record(1, RecordType.RUN_CREATED));
      int before = files.events().size();
      journal.append(JournalRecord.of(1, "run-2", RecordType.RUN_CREATED, Instant.parse("2026-01-01T00:00:00Z"), 0, null, Map.of()));

      assertThat(files.events().subList(before, files.events().size())).containsExactly(
          "open run-2.jsonl [CREATE_NEW, WRITE, APPEND]",
          "open journal [READ]",
          "force journal",
          "force run-2.jsonl");
    }
  }

  @Test
  void aRunEndsWithItsNameForcedTogetherWithTheNextSpare() throws IOException {
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      journal.append(record(1, RecordType.RUN_CREATED));
      int before = files.events().size();
      journal.append(record(2, RecordType.PLAN_COMPLETED));

      assertThat(files.events().subList(before, files.events().size())).containsExactly(
          "open .spare-* [CREATE_NEW, WRITE]",
          "open journal [READ]",
          "force journal",
          "force run-1.jsonl");
      try (var names = Files.list(tmp.resolve("journal"))) {
        assertThat(names.map(p -> p.getFileName().toString()))
            .hasSize(2).contains("run-1.jsonl").anySatisfy(n -> assertThat(n).startsWith(FileJournal.SPARE_PREFIX));
      }
    }
    try (var names = Files.list(tmp.resolve("journal"))) {
      assertThat(names.map(p -> p.getFileName().toString())).as("after close").containsExactly("run-1.jsonl");
    }
  }

  @Test
  void doesNotForceTheDirectoryWhenItOpensARunFileThatExists() {
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"))) {
      journal.append(record(1, RecordType.RUN_CREATED));
    }
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      journal.append(record(2, RecordType.STEP_STARTED));
    }

    // only opens that succeeded are recorded: CREATE_NEW found the file
    assertThat(files.events()).containsExactly(
        "open .spare-* [CREATE_NEW, WRITE]",
        "open journal [READ]",
        "force journal",
        "open run-1.jsonl [WRITE, APPEND]",
        "open run-1.jsonl [READ]",
        "force run-1.jsonl");
  }

  @Test
  void forcesTheDirectoryAfterMovingATornTailAsideOnRepair() throws IOException {
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"))) {
      journal.append(record(1, RecordType.RUN_CREATED));
    }
    Files.write(tmp.resolve("journal/run-1.jsonl"), "{\"v\":1,\"se".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.file.StandardOpenOption.APPEND);
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal journal = FileJournal.create(tmp.resolve("journal"), files)) {
      assertThat(journal.repair("run-1")).contains("torn-");
    }

    assertThat(files.events()).containsExactly(
        "open .spare-* [CREATE_NEW, WRITE]",
        "open journal [READ]",
        "force journal",
        "open run-1.jsonl [READ, WRITE]",
        "open journal [READ]",
        "force journal",
        "force run-1.jsonl");
  }
}
