package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.journal.FileJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.report.RunReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs a release in a forked JVM, kills it with SIGKILL mid-step, resumes it in a new JVM. */
class SigkillResumeIT {
  @TempDir Path dir;

  private Process fork(String mode) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CrashTarget.class.getName(),
        dir.resolve("journal").toString(), dir.resolve("system.txt").toString(), mode)
        .redirectErrorStream(true).redirectOutput(dir.resolve(mode + ".log").toFile()).start();
  }

  @Test
  void aReleaseKilledMidStepResumesInANewJvmAndEndsAsIfNothingHappened() throws Exception {
    Path system = dir.resolve("system.txt");
    Process first = fork("first");
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
          .until(() -> Files.exists(system) && Files.readAllLines(system).contains("apply c3"));
    } finally {
      first.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flush
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(first.exitValue()).isEqualTo(137);
    try (FileJournal journal = FileJournal.create(dir.resolve("journal"))) {
      List<JournalRecord> records = journal.read("sigkill-run").records();
      JournalRecord last = records.get(records.size() - 1);
      assertThat(last.type()).isEqualTo(RecordType.STEP_STARTED.name());
      assertThat(last.step()).isEqualTo("c3/apply");
    }

    Process resume = fork("resume");
    assertThat(resume.waitFor(60, TimeUnit.SECONDS)).as("resume finished").isTrue();
    String log = Files.readString(dir.resolve("resume.log"), StandardCharsets.UTF_8);
    assertThat(resume.exitValue()).as(log).isZero();
    assertThat(log).contains("OUTCOME RECOVERED");

    assertThat(Files.readAllLines(system)).containsExactly(
        "apply c0", "apply c1", "apply c2", "apply c3", "apply c4", "apply c5",
        "revert c5", "revert c4", "revert c3", "revert c2", "revert c1", "revert c0");
    try (FileJournal journal = FileJournal.create(dir.resolve("journal"))) {
      RunReport report = RunReport.of(journal, "sigkill-run");
      assertThat(report.outcome()).isEqualTo("RECOVERED");
      assertThat(report.steps()).filteredOn(s -> s.path().equals("c3/apply")).singleElement()
          .satisfies(s -> assertThat(s.status()).isEqualTo("ALREADY_APPLIED"));
    }
  }
}
