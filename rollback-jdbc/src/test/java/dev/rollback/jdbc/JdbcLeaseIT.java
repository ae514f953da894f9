package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.engine.ManualClock;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The JDBC lease: one holder at a time, growing fencing tokens, and the journal refusing a fenced-off replica. */
@ExtendWith(PostgresServer.class)
class JdbcLeaseIT {
  private static final Duration TTL = Duration.ofSeconds(30);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void oneHolderAtATimeAndATakeoverAfterExpiryGetsAHigherToken(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    JdbcLease a = JdbcLease.of(ds).withClock(clock);
    JdbcLease b = JdbcLease.of(ds).withClock(clock);

    LeaseGrant first = a.tryAcquire("checkout@2.4.0", "replica-a", TTL).orElseThrow();
    assertThat(b.tryAcquire("checkout@2.4.0", "replica-b", TTL)).isEmpty();
    assertThat(a.tryAcquire("checkout@2.4.0", "replica-a", TTL)).get().extracting(LeaseGrant::fencingToken).isEqualTo(first.fencingToken());

    clock.advance(Duration.ofSeconds(20));
    LeaseGrant renewed = a.renew(first, TTL).orElseThrow();
    assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plus(TTL));
    clock.advance(Duration.ofSeconds(31));

    LeaseGrant taken = b.tryAcquire("checkout@2.4.0", "replica-b", TTL).orElseThrow();
    assertThat(taken.fencingToken()).isGreaterThan(first.fencingToken());
    assertThat(a.renew(renewed, TTL)).isEmpty();
    a.release(renewed); // lost already: does nothing
    assertThat(a.tryAcquire("checkout@2.4.0", "replica-a", TTL)).isEmpty();

    b.release(taken);
    assertThat(a.tryAcquire("checkout@2.4.0", "replica-a", TTL)).get().extracting(LeaseGrant::fencingToken)
        .isEqualTo(taken.fencingToken() + 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void replicasRacingForAFreeLeaseProduceExactlyOneHolder(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    JdbcLease.of(ds).tryAcquire("warm-up", "x", TTL); // creates the table outside the race
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Callable<Optional<LeaseGrant>>> racers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String holder = "replica-" + i;
        racers.add(() -> JdbcLease.of(ds).tryAcquire("guard", holder, TTL));
      }
      List<LeaseGrant> grants = new ArrayList<>();
      for (Future<Optional<LeaseGrant>> f : pool.invokeAll(racers)) f.get().ifPresent(grants::add);
      assertThat(grants).hasSize(1);
      assertThat(grants.get(0).fencingToken()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aReplicaThatLostTheLeaseCannotAppendToTheSharedJournal(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    JdbcJournal journal = JdbcJournal.of(ds);
    LeaseGrant old = JdbcLease.of(ds).withClock(clock).tryAcquire("run", "a", TTL).orElseThrow();
    journal.append(JournalRecord.of(1, "run-1", RecordType.NOTE, clock.instant(), old.fencingToken(), null, Map.of()));
    clock.advance(Duration.ofMinutes(1));
    LeaseGrant fresh = JdbcLease.of(ds).withClock(clock).tryAcquire("run", "b", TTL).orElseThrow();
    journal.append(JournalRecord.of(2, "run-1", RecordType.NOTE, clock.instant(), fresh.fencingToken(), null, Map.of()));

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> journal.append(
            JournalRecord.of(3, "run-1", RecordType.NOTE, clock.instant(), old.fencingToken(), null, Map.of())))
        .isInstanceOf(FencedOffException.class);
  }
}
