package dev.rollback.jdbc;

import java.time.Duration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.JournalCorruptedException;
import dev.rollback.journal.JournalLines;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The JDBC journal: same record format as the file journal, fencing across replicas, real engine runs. */
@ExtendWith(PostgresServer.class)
class JdbcJournalIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  private static JournalRecord record(long seq, String run, long fence) {
    return JournalRecord.of(seq, run, RecordType.NOTE, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(seq), fence,
        "restore/db", Map.of("message", "step " + seq, "rows", 12L, "tables", List.of("orders", "customers")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void storesTheFileJournalsLineFormatAndReadsItBackInOrder(String db, @TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.create(db);
    JdbcJournal journal = JdbcJournal.of(ds);
    FileJournal file = FileJournal.create(dir);
    for (long i = 1; i <= 3; i++) {
      journal.append(record(i, "run-a", 0));
      file.append(record(i, "run-a", 0));
    }
    journal.append(record(1, "run-b", 0));

    assertThat(journal.read("run-a").records()).isEqualTo(file.read("run-a").records());
    assertThat(journal.read("run-a").problems()).isEmpty();
    String lines = String.join("\n", MigrationsIT.rows(ds, "SELECT \"line\" FROM \"rollback_journal_records\" WHERE \"run_id\" = 'run-a' ORDER BY \"pos\"")) + "\n";
    assertThat(lines).isEqualTo(Files.readString(file.fileOf("run-a"), StandardCharsets.UTF_8));
    assertThat(journal.runIds()).containsExactly("run-a", "run-b");
    assertThat(journal.read("nothing").isEmpty()).isTrue();
    file.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void refusesAnAppendWithAnOlderFencingTokenFromAnotherReplica(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    JdbcJournal replicaA = JdbcJournal.of(ds);
    JdbcJournal replicaB = JdbcJournal.of(ds);
    replicaA.append(record(1, "run", 1));
    replicaB.append(record(2, "run", 2)); // B took the lease over

    assertThatThrownBy(() -> replicaA.append(record(3, "run", 1)))
        .isInstanceOf(FencedOffException.class)
        .hasMessageContaining("fencing token 1 refused, token 2 was already used");
    replicaB.append(record(3, "run", 2));
    assertThat(replicaA.read("run").records()).extracting(JournalRecord::seq).containsExactly(1L, 2L, 3L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void reportsADamagedRecordWithTheRunAndPosition(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    JdbcJournal journal = JdbcJournal.of(ds);
    journal.append(record(1, "run", 0));
    journal.append(record(2, "run", 0));
    MigrationsIT.sql(ds, "UPDATE \"rollback_journal_records\" SET \"line\" = REPLACE(\"line\", 'step 2', 'step 9') WHERE \"pos\" = 2");

    assertThatThrownBy(() -> journal.read("run"))
        .isInstanceOf(JournalCorruptedException.class)
        .hasMessageContaining("run run position 2")
        .hasMessageContaining("checksum mismatch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void anEngineRunJournaledInTheDatabaseResumesFromIt(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    AtomicInteger second = new AtomicInteger();
    RollbackPlan plan = RollbackPlan.builder("db-plan")
        .sequential("restore", s -> s
            .step(Step.of("first", ctx -> ctx.checkpoint("done", "yes")))
            .step(Step.builder("second").execute(ctx -> {
              if (second.incrementAndGet() == 1) throw new IllegalStateException("database unreachable");
            }).build()))
        .build();
    RollbackResult halted;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      var run = engine.start(plan, Deployment.of("shop", "2.0"));
      run.answer(run.awaitGate(HANG_GUARD).id(), dev.rollback.Decision.HALT, "alice");
      halted = run.await(HANG_GUARD);
    }
    assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);

    // a new process: a fresh engine reads the run back from the database and finishes it
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      var run = engine.resume(halted.runId(), plan);
      // the failed step's question is asked again, from the journal
      run.answer(run.awaitGate(HANG_GUARD).id(), dev.rollback.Decision.RETRY, "bob");
      RollbackResult result = run.await(HANG_GUARD);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(second.get()).isEqualTo(2);
    assertThat(JdbcJournal.of(ds).read(halted.runId()).records()).extracting(JournalRecord::type)
        .contains("PLAN_STARTED", "PLAN_COMPLETED");
  }

  static byte[] encode(JournalRecord r) {
    return (JournalLines.encode(r) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
