package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fencing between a {@link FileJournal} in this JVM and one in a second JVM ({@link OtherJvmAppender}) on one directory. */
class FileJournalAcrossJvmsIT {
  @TempDir Path tmp;

  private Path journalDir() {
    return tmp.resolve("journal");
  }

  private Process otherJvm(String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        OtherJvmAppender.class.getName(), journalDir().toString(), "run-1"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolve("other.log").toFile()).start();
  }

  private String finished(Process other) throws Exception {
    assertThat(other.waitFor(90, TimeUnit.SECONDS)).as("the other JVM finished within 90 s").isTrue();
    String log = Files.readString(tmp.resolve("other.log"), StandardCharsets.UTF_8);
    assertThat(other.exitValue()).as("exit code of the other JVM, whose output was:%n%s", log).isZero();
    return log;
  }

  private static JournalRecord note(long seq, long fence) {
    return JournalRecord.of(seq, "run-1", RecordType.NOTE, Instant.now(), fence, null, Map.of("writer", "this JVM"));
  }

  @Test
  void refusesAnOlderTokenAfterAnotherJvmAppendedANewerOne() throws Exception {
    try (FileJournal here = FileJournal.create(journalDir())) {
      here.append(note(1, 1));

      assertThat(finished(otherJvm("2", "1", "1"))).contains("accepted 1 refused 0");

      assertThatThrownBy(() -> here.append(note(3, 1)))
          .isInstanceOf(FencedOffException.class).hasMessageContaining("token 1 refused, token 2 was already used");
      here.append(note(3, 2));
      here.append(note(4, 3));
    }
    try (FileJournal journal = FileJournal.create(journalDir())) {
      assertThat(journal.read("run-1").records()).extracting(JournalRecord::fence).containsExactly(1L, 2L, 2L, 3L);
    }
  }

  /**
   * Both JVMs append at once, this one with odd tokens, the other with even ones; each refuses
   * the tokens the other already passed. Without a lock held from the token check to the write,
   * a token would land after a higher one.
   */
  @Test
  void twoJvmsAppendingAtOnceLeaveTheirTokensInTheFileInOrder() throws Exception {
    int count = 200;
    int accepted = 0;
    try (FileJournal here = FileJournal.create(journalDir())) {
      OtherJvmAppender.warmUp(here, "run-1-warm-up-here");
      Process other = otherJvm("2", "2", String.valueOf(count));
      try {
        Path file = here.fileOf("run-1");
        // start when the other JVM, warmed up too, has appended its first record
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1))
            .until(() -> !other.isAlive() || Files.exists(file) && Files.size(file) > 0);
        for (int i = 0; i < count; i++) {
          long fence = 1 + 2L * i;
          try {
            here.append(note(fence, fence));
            accepted++;
          } catch (FencedOffException e) {
            // the other JVM is ahead: its token passed this one
          }
        }
      } catch (Throwable t) {
        other.destroyForcibly();
        throw t;
      }
      finished(other);
    }

    List<Long> fences;
    try (FileJournal journal = FileJournal.create(journalDir())) {
      JournalRead read = journal.read("run-1");
      assertThat(read.problems()).isEmpty();
      fences = read.records().stream().map(JournalRecord::fence).toList();
    }
    assertThat(fences).as("tokens in file order").isSorted();
    assertThat(fences.stream().filter(f -> f % 2 == 1).count()).as("odd tokens accepted here").isEqualTo(accepted);
    long turns = 0;
    for (int i = 1; i < fences.size(); i++) if (fences.get(i) % 2 != fences.get(i - 1) % 2) turns++;
    assertThat(turns).as("times the writer changed in %s: the two JVMs must have appended at the same time", fences)
        .isGreaterThanOrEqualTo(4);
  }
}
