package dev.rollback.journal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The program {@link FileJournalAcrossJvmsIT} runs in a second JVM: appends {@code count} records
 * to run {@code runId} of the file journal in {@code dir}, with fencing tokens {@code first},
 * {@code first + step}, ..., counting the ones refused as fenced off, and prints
 * {@code accepted <n> refused <m>}. With a ready and a go file it first creates the ready file and
 * waits for the go file, so the test can start both JVMs' appends at once.
 *
 * <p>Usage: {@code OtherJvmAppender DIR RUN_ID FIRST STEP COUNT [READY_FILE GO_FILE]}
 */
public final class OtherJvmAppender {
  private OtherJvmAppender() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String runId = args[1];
    long first = Long.parseLong(args[2]);
    long step = Long.parseLong(args[3]);
    int count = Integer.parseInt(args[4]);
    try (FileJournal journal = FileJournal.in(dir)) {
      if (args.length > 5) {
        Files.createFile(Path.of(args[5]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(Path.of(args[6]))) {
          if (System.nanoTime() > deadline) throw new IllegalStateException("no go file " + args[6] + " within 60 s");
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
      int accepted = 0;
      int refused = 0;
      for (int i = 0; i < count; i++) {
        long fence = first + i * step;
        try {
          journal.append(JournalRecord.of(fence, runId, RecordType.NOTE, Instant.now(), fence, null,
              Map.of("writer", "other JVM")));
          accepted++;
        } catch (FencedOffException e) {
          refused++;
        }
      }
      System.out.println("accepted " + accepted + " refused " + refused);
    }
  }
}
