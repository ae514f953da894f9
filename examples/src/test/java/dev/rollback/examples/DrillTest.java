package dev.rollback.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DrillTest {
  @TempDir Path out;

  @Test
  void theDrillRollsTheBadReleaseBackAndWritesItsReports() throws Exception {
    RollbackResult result = Drill.run(out);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.steps()).containsKeys("enable new-checkout/revert", "shift traffic to v2/revert", "deploy v2/revert");
    assertThat(Files.readString(out.resolve("report.md"))).contains("RECOVERED").contains("shift traffic to v2/revert");
    assertThat(Files.readString(out.resolve("report.json"))).contains("\"outcome\" : \"RECOVERED\"");
    assertThat(out.resolve("journal")).isDirectoryContaining(p -> p.toString().endsWith(".jsonl"));
    assertThat(Files.readString(out.resolve("postmortem.md"))).contains("## Timeline").contains("## Action Items");
    assertThat(Files.readString(out.resolve("postmortem.html"))).contains("<svg");
    assertThat(Files.readString(out.resolve("timeline.json"))).contains("RECOVERED");
  }
}
