package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RunOutcome;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GateAnswerFilesTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir Path dir;

  @Test
  void anAnswerFileAnswersTheGateAndIsMovedToDone() throws Exception {
    InMemoryJournal journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(Plans.withApproval(CommunicationPlan.none(), Duration.ofMinutes(5)),
          Deployment.of("checkout", "2.4.0"));
      GateRequest gate = run.awaitGate(HANG_GUARD);
      GateAnswerFiles files = GateAnswerFiles.in(dir);

      Path written = files.write(gate.id(), Decision.PROCEED, "carol");
      List<GateAnswerFiles.Outcome> outcomes = files.answerPending(engine);

      assertThat(outcomes).singleElement().satisfies(o -> {
        assertThat(o.applied()).isTrue();
        assertThat(o.message()).contains("by carol");
      });
      assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(written).doesNotExist();
      assertThat(dir.resolve("done").resolve(written.getFileName())).exists();
      assertThat(journal.read(run.runId()).records()).anySatisfy(r -> {
        assertThat(r.type()).isEqualTo("GATE_DECIDED");
        assertThat(r.stringOr("actor", "")).isEqualTo("carol");
      });
    }
  }

  @Test
  void aBadFileIsMovedAsideWithTheReasonAndNothingIsDeleted() throws Exception {
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      GateAnswerFiles files = GateAnswerFiles.in(dir);
      Files.writeString(dir.resolve("a.answer"), "gate=x\ndecision=PERHAPS\nactor=dave\n");
      Files.writeString(dir.resolve("b.answer"), "gate=x\n");
      Files.writeString(dir.resolve("c.answer"), "gate=no-such-gate\ndecision=PROCEED\nactor=dave\n");

      List<GateAnswerFiles.Outcome> outcomes = files.answerPending(engine);

      assertThat(outcomes).extracting(GateAnswerFiles.Outcome::applied).containsExactly(false, false, false);
      assertThat(outcomes.get(0).message()).contains("'PERHAPS'");
      assertThat(outcomes.get(1).message()).contains("needs gate=, decision= and actor=");
      assertThat(outcomes.get(2).message()).contains("no open gate no-such-gate");
      assertThat(Files.readString(dir.resolve("rejected/a.answer.reason"))).contains("PERHAPS");
      assertThat(dir.resolve("rejected/c.answer")).exists();
    }
  }

  @Test
  void theWatcherAnswersWithoutBeingAsked() throws Exception {
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      RollbackRun run = engine.start(Plans.withApproval(CommunicationPlan.none(), Duration.ofMinutes(5)),
          Deployment.of("checkout", "2.4.0"));
      GateRequest gate = run.awaitGate(HANG_GUARD);
      GateAnswerFiles files = GateAnswerFiles.in(dir);
      try (AutoCloseable watching = files.watch(engine, Duration.ofMillis(50))) {
        files.write(gate.id(), Decision.HALT, "erin");
        assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.HALTED);
      }
    }
  }
}
