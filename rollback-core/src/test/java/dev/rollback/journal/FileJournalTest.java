package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileJournalTest {
  @TempDir Path dir;

  private static JournalRecord record(long seq, RecordType type, long fence) {
    return JournalRecord.of(seq, "run-1", type, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq), fence, "s/a",
        Map.of("attempt", seq, "snapshot", Map.of("image", "v1"), "outline", List.of("x", "y"), "ok", true));
  }

  @Test
  void writesOneChecksummedJsonLinePerRecordAndReadsThemBack() throws IOException {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
      journal.append(record(2, RecordType.STEP_STARTED, 0));

      List<String> lines = Files.readAllLines(journal.fileOf("run-1"));
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).startsWith("{\"v\":1,\"seq\":1,\"run\":\"run-1\",\"type\":\"PLAN_STARTED\"").matches(".*\"crc\":\"[0-9a-f]{8}\"}");
      JournalRead read = journal.read("run-1");
      assertThat(read.problems()).isEmpty();
      assertThat(read.records()).containsExactly(record(1, RecordType.PLAN_STARTED, 0), record(2, RecordType.STEP_STARTED, 0));
      assertThat(journal.runIds()).containsExactly("run-1");
    }
  }

  @Test
  void aThreadThatWasInterruptedStillAppendsAndKeepsItsInterrupt() {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
      Thread.currentThread().interrupt();
      try {
        journal.append(record(2, RecordType.STEP_CANCELLED, 0));
        journal.appendLazily(record(3, RecordType.STEP_STARTED, 0));
        assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is given back").isTrue();
      } finally {
        Thread.interrupted();
      }
      journal.append(record(4, RecordType.PLAN_COMPLETED, 0));
      assertThat(journal.read("run-1").records()).extracting(JournalRecord::seq).containsExactly(1L, 2L, 3L, 4L);
    }
  }

  @Test
  void ignoresUnknownFieldsAndKeepsRecordsOfUnknownTypesFromANewerWriter() throws IOException {
    Files.writeString(dir.resolve("run-1.jsonl"), "");
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
    }
    // a newer writer adds a field and a record type; it computes the checksum the same way
    JournalRecord newer = new JournalRecord(1, 2, "run-1", "SOMETHING_NEW", Instant.parse("2026-01-01T00:00:05Z"), 0, null, Map.of("x", "y"));
    byte[] line = dev.rollback.journal.JournalCodec.encode(newer);
    Files.write(dir.resolve("run-1.jsonl"), line, StandardOpenOption.APPEND);

    try (FileJournal journal = FileJournal.create(dir)) {
      JournalRead read = journal.read("run-1");
      assertThat(read.records()).hasSize(2);
      assertThat(read.records().get(1).type()).isEqualTo("SOMETHING_NEW");
      assertThat(read.records().get(1).recordType()).isEmpty();
    }
  }

  @Test
  void reportsATornLastRecordAndMovesItAsideOnRepairWithoutLosingBytes() throws IOException {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
    }
    Files.write(dir.resolve("run-1.jsonl"), "{\"v\":1,\"seq\":2,\"run\":\"ru".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

    try (FileJournal journal = FileJournal.create(dir)) {
      JournalRead read = journal.read("run-1");
      assertThat(read.records()).hasSize(1);
      assertThat(read.problems()).singleElement().asString().contains("run-1.jsonl:2").contains("torn last record");
      assertThatThrownBy(() -> journal.append(record(2, RecordType.STEP_STARTED, 0)))
          .isInstanceOf(JournalException.class).hasMessageContaining("repair");

      String repaired = journal.repair("run-1");
      assertThat(repaired).contains("kept in").contains("torn-");
      Path aside = Files.list(dir).filter(p -> p.getFileName().toString().contains(".torn-")).findFirst().orElseThrow();
      assertThat(Files.readString(aside)).isEqualTo("{\"v\":1,\"seq\":2,\"run\":\"ru");
      journal.append(record(2, RecordType.STEP_STARTED, 0));
      assertThat(journal.read("run-1").records()).hasSize(2);
      assertThat(journal.read("run-1").problems()).isEmpty();
    }
  }

  @Test
  void refusesToReadPastDamageInTheMiddleAndNamesTheLine() throws IOException {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
      journal.append(record(2, RecordType.STEP_STARTED, 0));
      journal.append(record(3, RecordType.STEP_SUCCEEDED, 0));
    }
    Path file = dir.resolve("run-1.jsonl");
    List<String> lines = Files.readAllLines(file);
    lines.set(1, lines.get(1).replace("STEP_STARTED", "STEP_STARTEX"));
    Files.write(file, lines);

    try (FileJournal journal = FileJournal.create(dir)) {
      assertThatThrownBy(() -> journal.read("run-1"))
          .isInstanceOf(JournalCorruptedException.class)
          .hasMessageContaining("run-1.jsonl:2").hasMessageContaining("checksum mismatch")
          .hasMessageContaining("nothing was changed");
    }
    assertThat(Files.readAllLines(file)).hasSize(3);
  }

  @Test
  void refusesAnAppendWithAnOlderFencingToken() {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 7));
      assertThatThrownBy(() -> journal.append(record(2, RecordType.STEP_STARTED, 6)))
          .isInstanceOf(FencedOffException.class).hasMessageContaining("token 6").hasMessageContaining("token 7");
    }
    try (FileJournal reopened = FileJournal.create(dir)) {
      assertThatThrownBy(() -> reopened.append(record(2, RecordType.STEP_STARTED, 3))).isInstanceOf(FencedOffException.class);
    }
  }

  @Test
  void keepsLazilyAppendedRecordsInOrderWithTheForcedOnes() {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 0));
      journal.appendLazily(record(2, RecordType.NOTE, 0));
      journal.append(record(3, RecordType.STEP_STARTED, 0));

      assertThat(journal.read("run-1").records()).extracting(JournalRecord::type)
          .containsExactly("PLAN_STARTED", "NOTE", "STEP_STARTED");
    }
  }

  /** A long-lived process runs many plans: an ended run's file is closed, and reopened for a late record. */
  @Test
  void closesTheFileOfAnEndedRunAndReopensItForALateRecord() throws IOException {
    Path fds = Path.of("/proc/self/fd");
    try (FileJournal journal = FileJournal.create(dir)) {
      long before;
      try (var s = Files.list(fds)) {
        before = s.count();
      }
      for (int i = 0; i < 300; i++) {
        String run = "run-" + i;
        journal.append(JournalRecord.of(1, run, RecordType.PLAN_STARTED, Instant.EPOCH, 3, "", Map.of()));
        journal.append(JournalRecord.of(2, run, RecordType.PLAN_COMPLETED, Instant.EPOCH, 3, "", Map.of("outcome", "RECOVERED")));
      }
      long after;
      try (var s = Files.list(fds)) {
        after = s.count();
      }
      assertThat(after - before).as("files left open by 300 ended runs").isLessThan(10);

      journal.append(JournalRecord.of(3, "run-7", RecordType.ACKNOWLEDGED, Instant.EPOCH, 3, "", Map.of("actor", "alice")));
      assertThat(journal.read("run-7").records()).extracting(JournalRecord::seq).containsExactly(1L, 2L, 3L);
      // the fence written before the file was closed still holds
      assertThatThrownBy(() -> journal.append(JournalRecord.of(4, "run-7", RecordType.ACKNOWLEDGED, Instant.EPOCH, 2, "", Map.of())))
          .isInstanceOf(FencedOffException.class);
    }
  }

  @Test
  void refusesARunIdThatIsNotAFileName() {
    try (FileJournal journal = FileJournal.create(dir)) {
      assertThatThrownBy(() -> journal.fileOf("../etc/passwd")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("../etc/passwd");
    }
  }
}
