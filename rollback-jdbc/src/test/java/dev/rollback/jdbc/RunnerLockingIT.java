package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two runners race: one migrates, the other waits for the migration lock and then finds nothing
 * to do. PostgreSQL uses a session advisory lock; H2 its own row lock.
 */
@ExtendWith(PostgresServer.class)
class RunnerLockingIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  private static Migrations runner(DataSource ds, CountDownLatch entered, CountDownLatch release, Duration lockWait) {
    return Migrations.builder(ds).fromClasspath("db/orders")
        .withJavaMigration(JavaMigration.builder("2.5", "slow backfill")
            .up(c -> {
              entered.countDown();
              if (!release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("test never released the migration");
            })
            .down(c -> { })
            .build())
        .withLockWait(lockWait)
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void twoRunnersRaceAndTheSecondWaitsForTheFirst(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Migrations a = runner(ds, entered, release, Duration.ofSeconds(30));
    Migrations b = runner(ds, new CountDownLatch(1), new CountDownLatch(0), Duration.ofSeconds(30));

    CompletableFuture<MigrationSummary> first = CompletableFuture.supplyAsync(() -> a.migrateTo("2.5"));
    assertThat(entered.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();
    CompletableFuture<MigrationSummary> second = CompletableFuture.supplyAsync(() -> b.migrateTo("2.5"));
    await().during(Duration.ofMillis(500)).atMost(HANG_GUARD).until(() -> !second.isDone());

    release.countDown();

    assertThat(first.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).applied()).containsExactly("1", "2", "2.5");
    assertThat(second.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS).applied()).isEmpty();
    assertThat(MigrationsIT.rows(ds, "SELECT \"version\" FROM \"rollback_schema_history\" ORDER BY \"installed_rank\""))
        .containsExactly("1", "2", "2.5");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRunnerThatCannotGetTheLockInTimeSaysSo(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Migrations a = runner(ds, entered, release, Duration.ofSeconds(30));
    Migrations impatient = runner(ds, new CountDownLatch(1), new CountDownLatch(0), Duration.ofMillis(300));
    CompletableFuture<MigrationSummary> first = CompletableFuture.supplyAsync(() -> a.migrateTo("2.5"));
    try {
      assertThat(entered.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(() -> impatient.rollbackTo("1"))
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining("another runner holds the migration lock")
          .hasMessageContaining(db.equals("postgres") ? "held by backend pid" : "row lock on");
    } finally {
      release.countDown();
      first.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    }
  }
}
