package dev.rollback.journal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The program {@link FileJournalAcrossJvmsIT} runs in a second JVM: appends {@code count} records
 * to run {@code runId} of the file journal in {@code dir}, with fencing tokens {@code first},
 * {@code first + step}, ..., counting the ones refused as fenced off, and prints
 * {@code accepted <n> refused <m>}. It warms up on another run first (class loading, the first
 * appends), so that its appends to {@code runId} run at the speed of the test's.
 *
 * <p>Usage: {@code OtherJvmAppender DIR RUN_ID FIRST STEP COUNT}
 */
public final class OtherJvmAppender {
  private OtherJvmAppender() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    String runId = args[1];
    long first = Long.parseLong(args[2]);
    long step = Long.parseLong(args[3]);
    int count = Integer.parseInt(args[4]);
    try (FileJournal journal = FileJournal.create(dir)) {
      warmUp(journal, runId + "-warm-up");
      int accepted = 0;
      int refused = 0;
      for (int i = 0; i < count; i++) {
        try {
          journal.append(record(runId, first + i * step));
          accepted++;
        } catch (FencedOffException e) {
          refused++;
        }
      }
      System.out.println("accepted " + accepted + " refused " + refused);
    }
  }

  static void warmUp(FileJournal journal, String runId) {
    for (int i = 1; i <= 20; i++) journal.append(record(runId, i));
    try {
      journal.append(record(runId, 1));
      throw new IllegalStateException("the warm-up run accepted a lower fencing token");
    } catch (FencedOffException expected) {
      // refused, as it must be
    }
  }

  private static JournalRecord record(String runId, long fence) {
    return JournalRecord.of(fence, runId, RecordType.NOTE, Instant.now(), fence, null, Map.of("writer", "other JVM"));
  }
}
