package dev.rollback.jdbc.bench;

import dev.rollback.Deployment;
import dev.rollback.jdbc.JdbcJournal;
import dev.rollback.jdbc.JdbcLease;
import dev.rollback.jdbc.PostgresServer;
import dev.rollback.test.CountingLease;
import dev.rollback.test.LeaseRace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Lease benchmark on PostgreSQL (scripts/bench/leases.sh): 50 guards of one service racing on
 * the JDBC lease, TRIALS times (exactly one must act in every trial), then TAKEOVERS times the
 * holder dying mid-run (another replica must resume within the TTL plus one renew interval).
 * Usage: JdbcLeaseBenchmark [TRIALS] [TAKEOVERS]
 */
public final class JdbcLeaseBenchmark {
  private JdbcLeaseBenchmark() {}

  public static void main(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int takeovers = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    try {
      PGSimpleDataSource ds = PostgresServer.newDatabase();
      CountingLease.Counts counts = new CountingLease.Counts();
      LeaseRace race = LeaseRace.of(50, i -> CountingLease.wrap(JdbcLease.of(ds), counts), JdbcJournal.of(ds));
      race.race(Deployment.of("warm-up", "0")); // JIT, connections: not counted
      CountingLease.Counts measured = new CountingLease.Counts();
      race = LeaseRace.of(50, i -> CountingLease.wrap(JdbcLease.of(ds), measured), JdbcJournal.of(ds));
      int exactlyOne = 0;
      List<Duration> settled = new ArrayList<>();
      for (int t = 0; t < trials; t++) {
        LeaseRace.Result r = race.race(Deployment.of("checkout-" + t, "2.4.0")); // a service per trial: the loop cap counts per service
        if (r.acted() == 1) exactlyOne++;
        settled.add(r.elapsed());
        System.out.printf("postgresql race %d: %d acted, states %s, all settled in %d ms%s%n", t, r.acted(), r.states(),
            r.elapsed().toMillis(), r.acted() == 1 && r.states().getOrDefault(dev.rollback.guard.GuardState.ROLLED_BACK, 0) == 1
                ? "" : " " + r.details());
      }
      System.out.printf("postgresql: 50 guards x %d trials: exactly one acted in %d of %d; settled median %d ms, max %d ms;"
          + " lease %s%n", trials, exactlyOne, trials, median(settled).toMillis(), Collections.max(settled).toMillis(), measured);
      Duration ttl = Duration.ofSeconds(6);
      for (int t = 0; t < takeovers; t++) {
        LeaseRace.Takeover k = LeaseRace.of(10, i -> JdbcLease.of(ds), JdbcJournal.of(ds)).withLeaseTtl(ttl)
            .takeover(Deployment.of("payments-" + t, "9.0"));
        System.out.printf("postgresql takeover %d: replica-%d died mid-step, replica-%d resumed the run after %d ms"
            + " (bound: TTL %d s + renew interval %d s = %d ms); %d run completed%n", t, k.holder(), k.successor(),
            k.takeover().toMillis(), ttl.toSeconds(), ttl.dividedBy(3).toSeconds(), ttl.plus(ttl.dividedBy(3)).toMillis(),
            k.completedRuns());
      }
    } finally {
      System.exit(0); // the shutdown hook stops the PostgreSQL this benchmark started
    }
  }

  static Duration median(List<Duration> ds) {
    List<Duration> s = new ArrayList<>(ds);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
