package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.Trigger;
import dev.rollback.guard.Guard;
import dev.rollback.journal.JournalRecord;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A guard whose plan may terminate its host accepts the JDBC journal and lease, and its run is fenced. */
@ExtendWith(PostgresServer.class)
class GuardIT {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aGuardWithTheJdbcJournalAndLeaseRollsTheDatabaseBack(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, discount) VALUES (1, 'ann', 3.25)");
    RollbackPlan plan = RollbackPlan.builder("checkout-2.0")
        .sequential("database", s -> s.step(m.rollbackToKnownGood().withMayTerminateHost()))
        .build();

    try (Guard guard = Guard.builder(plan, Deployment.of("checkout", "2.0"))
        .withJournal(JdbcJournal.of(ds))
        .withLease(JdbcLease.of(ds))
        .trigger(Trigger.manual("on-call"))
        .withBakeTime(Duration.ofMinutes(5))
        .build()) {
      guard.arm();
      m.migrateTo("2", "checkout@2.0");
      guard.rollBackNow("alice", "checkout errors after the discount column went away");
      RollbackResult result = guard.run().orElseThrow().await(Duration.ofSeconds(60));
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(JdbcJournal.of(ds).read(guard.runId()).records()).extracting(JournalRecord::fence)
          .anySatisfy(fence -> assertThat(fence).isPositive());
    }
    assertThat(m.currentVersion()).isEqualTo("1");
    assertThat(MigrationsIT.rows(ds, "SELECT discount FROM orders")).containsExactly("3.25");
  }
}
