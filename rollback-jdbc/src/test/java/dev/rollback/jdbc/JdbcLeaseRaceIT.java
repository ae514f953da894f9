package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.guard.GuardState;
import dev.rollback.test.LeaseRace;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Many replicas, one incident, on PostgreSQL: 50 guards of one service, each with its own
 * JdbcLease client, fire at once; exactly one acts, the others stand down. Not timed: the figures
 * are in docs/benchmarks/leases.md (scripts/bench/leases.sh).
 */
@ExtendWith(PostgresServer.class)
@org.junit.jupiter.api.Timeout(300)
class JdbcLeaseRaceIT {

  @Test
  void ofFiftyGuardsRacingOnTheJdbcLeaseExactlyOneActsInEveryTrial() throws Exception {
    PGSimpleDataSource ds = PostgresServer.newDatabase();
    LeaseRace race = LeaseRace.of(50, i -> JdbcLease.of(ds), JdbcJournal.of(ds));
    for (int trial = 0; trial < 3; trial++) {
      LeaseRace.Result r = race.race(Deployment.of("checkout-" + trial, "2.4.0")); // a service per trial: the loop cap counts per service

      assertThat(r.acted()).as("trial %d: %s", trial, r).isEqualTo(1);
      assertThat(r.states()).as("trial %d: %s", trial, r)
          .containsEntry(GuardState.ROLLED_BACK, 1).containsEntry(GuardState.STOOD_DOWN, 49);
    }
  }

  @Test
  void whenTheReplicaActingDiesAnotherTakesItsRunOverWithinTheTtlAndOneRenewInterval() throws Exception {
    PGSimpleDataSource ds = PostgresServer.newDatabase();
    LeaseRace.Takeover t = LeaseRace.of(10, i -> JdbcLease.of(ds), JdbcJournal.of(ds)).withLeaseTtl(Duration.ofSeconds(3))
        .takeover(Deployment.of("checkout", "2.4.0"));

    assertThat(t.successor()).isNotEqualTo(t.holder());
    assertThat(t.completedRuns()).isEqualTo(1);
    assertThat(t.takeover()).isLessThanOrEqualTo(Duration.ofSeconds(3 + 1));
  }
}
