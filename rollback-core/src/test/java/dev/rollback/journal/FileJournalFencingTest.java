package dev.rollback.journal;

import java.time.Duration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fencing between {@link FileJournal}s that share a directory, in one JVM. */
class FileJournalFencingTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir Path dir;

  private static JournalRecord record(long seq, RecordType type, long fence) {
    return JournalRecord.of(seq, "run-1", type, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq), fence, "s/a", Map.of());
  }

  private List<Long> fencesInTheFile() {
    try (FileJournal journal = FileJournal.create(dir)) {
      JournalRead read = journal.read("run-1");
      assertThat(read.problems()).as("problems reading run-1").isEmpty();
      return read.records().stream().map(JournalRecord::fence).toList();
    }
  }

  @Test
  void refusesAnOlderTokenAfterAnotherInstanceOnTheSameDirectoryWroteANewerOne() {
    try (FileJournal a = FileJournal.create(dir); FileJournal b = FileJournal.create(dir)) {
      a.append(record(1, RecordType.STEP_STARTED, 1));
      b.append(record(2, RecordType.STEP_STARTED, 2));

      assertThatThrownBy(() -> a.append(record(3, RecordType.STEP_SUCCEEDED, 1)))
          .isInstanceOf(FencedOffException.class)
          .hasMessage("run run-1: append with fencing token 1 refused, token 2 was already used; another replica holds the lease now");
      assertThatThrownBy(() -> a.appendLazily(record(3, RecordType.NOTE, 1))).isInstanceOf(FencedOffException.class);

      a.append(record(3, RecordType.STEP_SUCCEEDED, 2));
      a.append(record(4, RecordType.STEP_STARTED, 3));
      assertThatThrownBy(() -> b.append(record(5, RecordType.STEP_STARTED, 2))).isInstanceOf(FencedOffException.class);
    }
    assertThat(fencesInTheFile()).containsExactly(1L, 2L, 2L, 3L);
  }

  @Test
  void refusesToAppendAfterATornRecordAnotherWriterLeftWhileThisInstanceHadTheFileOpen() throws IOException {
    try (FileJournal journal = FileJournal.create(dir)) {
      journal.append(record(1, RecordType.PLAN_STARTED, 1));
      // another process crashed mid-record
      Files.write(journal.fileOf("run-1"), "{\"v\":1,\"seq\":2,\"run\":\"ru".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

      assertThatThrownBy(() -> journal.append(record(2, RecordType.STEP_STARTED, 1)))
          .isInstanceOf(JournalException.class)
          .hasMessageContaining("run-1.jsonl:2 (byte " + JournalCodec.encode(record(1, RecordType.PLAN_STARTED, 1)).length)
          .hasMessageContaining("torn last record")
          .hasMessageContaining("call repair(\"run-1\")");

      assertThat(journal.repair("run-1")).contains("kept in");
      journal.append(record(2, RecordType.STEP_STARTED, 1));
    }
    assertThat(fencesInTheFile()).containsExactly(1L, 1L);
  }

  @Test
  void readsBackOnlyTheBytesAnotherWriterAppendedAndNothingWhenNoneDid() throws IOException {
    RecordingJournalFiles files = new RecordingJournalFiles();
    try (FileJournal a = FileJournal.create(dir, files); FileJournal b = FileJournal.create(dir)) {
      Path file = a.fileOf("run-1");
      a.append(record(1, RecordType.PLAN_STARTED, 1));
      a.append(record(2, RecordType.STEP_STARTED, 1));
      assertThat(files.takeReads(file)).as("bytes read back while only this instance wrote").isEmpty();

      long before = Files.size(file);
      b.append(record(3, RecordType.STEP_STARTED, 2));
      long after = Files.size(file);
      a.append(record(4, RecordType.STEP_SUCCEEDED, 2));
      assertThat(files.takeReads(file)).as("bytes read back after another instance appended").containsExactly(before + ".." + after);

      a.append(record(5, RecordType.STEP_STARTED, 2));
      assertThat(files.takeReads(file)).as("bytes read back once caught up").isEmpty();
    }
  }

  /**
   * Threads of two journals (one reaching the directory through a symbolic link) append with
   * tokens from one rising counter; whatever interleaving happens, the accepted tokens land in the
   * file in order, and no lock is reported as overlapping.
   */
  @Test
  void threadsOfTwoInstancesNeverGetATokenAcceptedAfterAHigherOne() throws Exception {
    Path alias = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-alias"), dir);
    int threadsPerJournal = 3;
    int appendsPerThread = 60;
    AtomicLong tokens = new AtomicLong();
    AtomicInteger refused = new AtomicInteger();
    ConcurrentLinkedQueue<Long> accepted = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerJournal);
    CyclicBarrier start = new CyclicBarrier(2 * threadsPerJournal);
    try (FileJournal a = FileJournal.create(dir); FileJournal b = FileJournal.create(alias)) {
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < 2 * threadsPerJournal; t++) {
        FileJournal journal = t % 2 == 0 ? a : b;
        writers.add(pool.submit(() -> {
          start.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
          for (int i = 0; i < appendsPerThread; i++) {
            long token = tokens.incrementAndGet();
            JournalRecord r = record(token, i % 4 == 0 ? RecordType.STEP_STARTED : RecordType.NOTE, token);
            try {
              if (r.is(RecordType.NOTE)) journal.appendLazily(r); else journal.append(r);
              accepted.add(token);
            } catch (FencedOffException e) {
              refused.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> w : writers) w.get(60, TimeUnit.SECONDS); // rethrows any other failure, e.g. an overlapping lock
    } finally {
      pool.shutdownNow();
      Files.deleteIfExists(alias);
    }

    List<Long> fences = fencesInTheFile();
    assertThat(fences).as("tokens in the file, in file order").isSorted().doesNotHaveDuplicates();
    assertThat(fences).as("tokens in the file").containsExactlyInAnyOrderElementsOf(accepted);
    assertThat(accepted.size() + refused.get()).isEqualTo(2 * threadsPerJournal * appendsPerThread);
  }
}
