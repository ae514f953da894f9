package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new run's file is the journal's spare, made in advance; the run's name is forced with its last
 * record. What a machine that stopped before then leaves behind is found again by the next
 * journal opened on the directory, as the file system may have kept it.
 */
class FileJournalSpareTest {
  @TempDir Path tmp;

  private static JournalRecord record(long seq, RecordType type) {
    return JournalRecord.of(seq, "run-1", type, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq), 0, "s/a",
        Map.of("attempt", seq));
  }

  private static byte[] lines(JournalRecord... records) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (JournalRecord r : records) out.write(JournalCodec.encode(r));
    return out.toByteArray();
  }

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void recordsLeftUnderASpareNameAreFoundUnderTheirRunsNameByTheNextJournal() throws IOException {
    // the machine stopped after the first records were forced, before the run's name was
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    byte[] bytes = lines(record(1, RecordType.RUN_CREATED), record(2, RecordType.STEP_STARTED));
    Files.write(dir.resolve(FileJournal.SPARE_PREFIX + "left-by-a-crash"), bytes);

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThat(journal.runIds()).containsExactly("run-1");
      assertThat(journal.read("run-1").records()).extracting(JournalRecord::seq).containsExactly(1L, 2L);
      assertThat(names(dir)).contains("run-1.jsonl").doesNotContain(FileJournal.SPARE_PREFIX + "left-by-a-crash");
      journal.append(record(3, RecordType.STEP_SUCCEEDED));
      assertThat(journal.read("run-1").records()).extracting(JournalRecord::seq).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aSpareNameLeftOnTheRunsFileIsRemovedAndTheRunKept() throws IOException {
    // the run's name was kept, and the spare's removal was not
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    Path run = Files.write(dir.resolve("run-1.jsonl"), lines(record(1, RecordType.RUN_CREATED)));
    Files.createLink(dir.resolve(FileJournal.SPARE_PREFIX + "both-names"), run);

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThat(journal.read("run-1").records()).extracting(JournalRecord::seq).containsExactly(1L);
      assertThat(names(dir)).hasSize(2).contains("run-1.jsonl")  // and the journal's new spare
          .doesNotContain(FileJournal.SPARE_PREFIX + "both-names");
    }
  }

  @Test
  void aSpareWhoseRunExistsInAnotherFileIsKeptAsItIs() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    Files.write(dir.resolve("run-1.jsonl"), lines(record(1, RecordType.RUN_CREATED), record(2, RecordType.NOTE)));
    Path other = Files.write(dir.resolve(FileJournal.SPARE_PREFIX + "other"), lines(record(1, RecordType.RUN_CREATED)));

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThat(journal.read("run-1").records()).hasSize(2);
      assertThat(other).exists();
    }
  }

  @Test
  void anEmptySpareOfAProcessThatStoppedLongAgoIsRemovedAndARecentOneKept() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    Path old = Files.createFile(dir.resolve(FileJournal.SPARE_PREFIX + "old"));
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path recent = Files.createFile(dir.resolve(FileJournal.SPARE_PREFIX + "recent"));

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThat(old).doesNotExist();
      assertThat(recent).exists();
      assertThat(journal.runIds()).isEmpty();
    }
  }

  @Test
  void aSpareWhoseOnlyRecordIsTornIsLeftAsItIs() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    Path torn = Files.write(dir.resolve(FileJournal.SPARE_PREFIX + "torn"), "{\"v\":1,\"seq\":1,\"ru".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThat(torn).exists();
      assertThat(journal.runIds()).isEmpty();
    }
  }

  @Test
  void aCorruptedSpareStopsTheJournalNamingTheFile() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("journal"));
    byte[] good = lines(record(1, RecordType.RUN_CREATED), record(2, RecordType.NOTE));
    good[10] = 'X'; // inside the first record: its checksum no longer matches, and a record follows
    Path bad = Files.write(dir.resolve(FileJournal.SPARE_PREFIX + "bad"), good);

    assertThatThrownBy(() -> FileJournal.create(dir))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining(bad.toString());
    assertThat(bad).exists();
  }

  @Test
  void twoRunsStartedOneAfterTheOtherEachTakeASpare() throws IOException {
    Path dir = tmp.resolve("journal");
    try (FileJournal journal = FileJournal.create(dir)) {
      for (String run : List.of("a", "b")) {
        journal.append(JournalRecord.of(1, run, RecordType.RUN_CREATED, Instant.EPOCH, 0, null, Map.of()));
        journal.append(JournalRecord.of(2, run, RecordType.PLAN_COMPLETED, Instant.EPOCH, 0, null, Map.of("outcome", "RECOVERED")));
      }
      assertThat(journal.runIds()).containsExactlyInAnyOrder("a", "b");
      assertThat(names(dir)).hasSize(3).contains("a.jsonl", "b.jsonl");
    }
  }
}
