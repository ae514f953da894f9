package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.KnownGood;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The migration steps inside real engine runs, journaled in the same database. */
@ExtendWith(PostgresServer.class)
class MigrationStepsIT {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aReleaseWhoseNextChangeFailsRevertsTheMigrationAndRestoresTheData(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, discount) VALUES (1, 'ann', 1.50), (2, 'bob', 2.50)");
    Release release = Release.builder("checkout-2.0")
        .forDeployment(Deployment.of("checkout", "2.0"))
        .change(m.change("2"))
        .change(Change.of("roll out the new image", ctx -> {
          // the new version serves a little traffic before it fails
          MigrationsIT.sql(ds, "INSERT INTO orders (id, customer) VALUES (3, 'written by 2.0')");
          throw new IllegalStateException("readiness probe failed");
        }, ctx -> { }))
        .build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      result = engine.run(release);
    }

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(m.currentVersion()).isEqualTo("1");
    assertThat(MigrationsIT.rows(ds, "SELECT id, customer, discount FROM orders ORDER BY id"))
        .containsExactly("1|ann|1.50", "2|bob|2.50", "3|written by 2.0|null");
    assertThat(MigrationsIT.rows(ds, "SELECT \"deployment\" FROM \"rollback_archive\".\"archive_index\""))
        .singleElement().asString().startsWith("checkout@2.0 (" + result.runId());
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRollbackPlanRestoresTheVersionCapturedWhenTheGuardWasArmed(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").build();
    m.migrateTo("2");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (1, 'ann', 5.00, 'small'), (2, 'test', 50, 'x')");
    RollbackPlan plan = RollbackPlan.builder("checkout-3.0")
        .sequential("database", s -> s.step(m.rollbackToKnownGood()))
        .build();
    assertThat(RollbackEngine.dryRun(plan).toString()).contains("roll the database back to its known-good version");

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      Deployment d = Deployment.of("checkout", "3.0");
      KnownGood known = engine.captureKnownGood(plan, d);
      m.migrateTo("3", d.id()); // the bad release clears notes and deletes test orders
      RollbackResult result = engine.start(plan, d, RunOptions.defaults().withKnownGood(known)).await(Duration.ofSeconds(60));
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(m.currentVersion()).isEqualTo("2");
    assertThat(MigrationsIT.rows(ds, "SELECT id, note FROM orders ORDER BY id")).containsExactly("1|small", "2|x");
    assertThat(m.rollbackStep("1").describe()).contains("roll the database back to 1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aStepThatUndoesTheLastMigrationsByCountUndoesThemOnceAcrossRetries(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").build();
    m.migrateTo("4");
    java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    dev.rollback.Step byTwo = m.rollbackStepBy(2);
    RollbackPlan plan = RollbackPlan.builder("undo two")
        .sequential("database", s -> s.step(byTwo.toBuilder().execute(ctx -> {
          byTwo.action().run(ctx);
          // the first attempt fails after its work is done: the retry must not undo two more
          if (attempts.incrementAndGet() == 1) throw new IllegalStateException("connection reset after commit");
        }).withRetry(dev.rollback.Retry.times(1)).build()))
        .build();

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      RollbackResult result = engine.start(plan, Deployment.of("checkout", "4")).await(Duration.ofSeconds(60));
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(attempts.get()).isEqualTo(2);
    assertThat(m.currentVersion()).isEqualTo("2");
  }
}
