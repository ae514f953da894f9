package dev.rollback.engine;

import dev.rollback.Change;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.journal.FileJournal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;

/**
 * The program {@link SigkillResumeIT} runs in a separate JVM: a release of six changes whose
 * "system" is a file of lines. In mode {@code first} change c3 blocks after its effect, so the
 * test can kill the JVM there; in mode {@code resume} the run is resumed from the file journal.
 * Change c5 always fails, so the resumed run must revert c5..c0.
 */
public final class CrashTarget {
  private CrashTarget() {}

  public static void main(String[] args) throws Exception {
    Path journalDir = Path.of(args[0]);
    Path system = Path.of(args[1]);
    boolean first = args[2].equals("first");
    Release.Builder b = Release.builder("sigkill");
    for (int i = 0; i < 6; i++) {
      String key = "c" + i;
      boolean blocks = first && i == 3;
      boolean fails = i == 5;
      Step apply = Step.builder("apply").execute(ctx -> {
        write(system, "apply " + key);
        if (blocks) new CountDownLatch(1).await();
        if (fails) throw new IllegalStateException(key + " is broken");
      }).reconcile(ctx -> lines(system).contains("apply " + key) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED).build();
      Step revert = Step.builder("revert").execute(ctx -> write(system, "revert " + key))
          .reconcile(ctx -> lines(system).contains("revert " + key) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED).build();
      b.change(Change.of(key, apply, revert));
    }
    Release release = b.build();
    try (FileJournal journal = FileJournal.create(journalDir);
         RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = first
          ? engine.start(release, RunOptions.defaults().withRunId("sigkill-run")).await()
          : engine.resume("sigkill-run", release).await();
      System.out.println("OUTCOME " + result.outcome());
    }
  }

  private static java.util.List<String> lines(Path p) throws IOException {
    return Files.exists(p) ? Files.readAllLines(p) : java.util.List.of();
  }

  private static void write(Path p, String line) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(false);
    }
  }
}
