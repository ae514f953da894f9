package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The in-memory journal keeps a long run's bytes in chunks: what it gives back — records, bytes,
 * size, a repair — is the same as one contiguous file would give.
 */
class InMemoryJournalTest {
  private static final Instant T0 = Instant.parse("2026-12-07T19:00:00.123456789Z");

  /** 2,000 records of a few hundred bytes: several chunks. */
  private static List<JournalRecord> longRun(String runId) {
    List<JournalRecord> records = new ArrayList<>();
    for (int i = 1; i <= 2_000; i++) {
      String step = "stage/step-" + (i / 2);
      records.add(JournalRecord.of(i, runId, i % 2 == 1 ? RecordType.STEP_STARTED : RecordType.STEP_SUCCEEDED,
          T0.plusNanos(1_700L * i), 0, step, Map.of("attempt", 1, "padding", "x".repeat(i % 300))));
    }
    return records;
  }

  @Test
  void aRunLongerThanAChunkReadsBackRecordForRecordAndByteForByte() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    List<JournalRecord> records = longRun("long");
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    for (JournalRecord r : records) {
      journal.append(r);
      lines.write(JournalCodec.encode(r));
    }

    assertThat(lines.size()).as("the run spans several 64 KB chunks").isGreaterThan(3 * 64 * 1024);
    assertThat(journal.bytes("long")).isEqualTo(lines.toByteArray());
    assertThat(journal.size("long")).isEqualTo(lines.size());
    JournalRead read = journal.read("long");
    assertThat(read.problems()).isEmpty();
    assertThat(read.records()).extracting(JournalRecord::seq, JournalRecord::type, JournalRecord::step, JournalRecord::at)
        .containsExactlyElementsOf(records.stream()
            .map(r -> org.assertj.core.groups.Tuple.tuple(r.seq(), r.type(), r.step(), r.at())).toList());
  }

  @Test
  void aTornTailIsSetAsideAndTheRunGoesOnAcrossChunks() {
    List<JournalRecord> records = longRun("torn");
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    records.forEach(r -> lines.writeBytes(JournalCodec.encode(r)));
    byte[] whole = lines.toByteArray();
    byte[] lastLine = JournalCodec.encode(records.get(records.size() - 1));
    // a crash in the middle of the last record
    InMemoryJournal journal = InMemoryJournal.withBytes("torn", Arrays.copyOf(whole, whole.length - lastLine.length / 2));

    String repaired = journal.repair("torn");

    assertThat(repaired).contains("torn last record").contains((lastLine.length - lastLine.length / 2) + " bytes set aside");
    assertThat(journal.read("torn").records()).hasSize(1_999);
    assertThat(journal.size("torn")).isEqualTo(whole.length - lastLine.length);

    // the run goes on: another long run's worth of records, over several chunks
    for (int i = 2_000; i < 4_000; i++) {
      journal.append(JournalRecord.of(i, "torn", RecordType.NOTE, T0, 0, null, Map.of("n", i, "padding", "y".repeat(i % 200))));
    }
    JournalRead read = journal.read("torn");
    assertThat(read.problems()).isEmpty();
    assertThat(read.records()).hasSize(3_999);
    assertThat(read.records()).extracting(JournalRecord::seq).isSorted().startsWith(1L).endsWith(3_999L);
    assertThat(journal.size("torn")).isEqualTo(journal.bytes("torn").length);
  }
}
