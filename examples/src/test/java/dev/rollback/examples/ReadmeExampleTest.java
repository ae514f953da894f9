package dev.rollback.examples;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.FileJournal;
import dev.rollback.report.RunReport;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example, compiled and run; a second test keeps the README's copy identical. */
class ReadmeExampleTest {
  @TempDir Path journalDir;

  double errorRate() {
    return 0.31; // the new version fails a third of its requests
  }

  @Test
  void theReadmeExampleRollsTheReleaseBack() {
    // README:begin example
    AtomicBoolean newCheckout = new AtomicBoolean(false);
    Map<String, Integer> weights = new ConcurrentHashMap<>(Map.of("blue", 100, "green", 0));

    Release release = Release.builder("checkout-2.4.0")
        .forDeployment(Deployment.of("checkout", "2.4.0"))
        .change(Change.of("enable new-checkout",
            ctx -> newCheckout.set(true),
            ctx -> newCheckout.set(false)))
        .change(Change.of("send traffic to green",
            ctx -> { weights.put("blue", 0); weights.put("green", 100); },
            ctx -> { weights.put("blue", 100); weights.put("green", 0); }))
        .healthGate(HealthCheck.of("checkout", () -> errorRate() < 0.05 ? HealthStatus.UP : HealthStatus.DOWN)).within(ofSeconds(1))
        .build();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(journalDir)).build()) {
      RollbackResult result = engine.run(release);
      System.out.println(result);  // RECOVERED: the health gate failed, both changes were reverted
      System.out.println(RunReport.of(engine.journal(), result.runId()).toMarkdown());
      // README:end example
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(newCheckout).isFalse();
      assertThat(weights).containsEntry("blue", 100).containsEntry("green", 0);
    }
  }

  @Test
  void theReadmeShowsExactlyTheCodeThatThisTestRuns() throws Exception {
    // the snippet ends inside the try block, before the assertions: the README closes it
    ReadmeSnippets.assertReadmeShows("ReadmeExampleTest.java", "example", "\n}");
  }
}
