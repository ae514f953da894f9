package dev.rollback.jdbc;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.guard.Guard;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The program {@link GuardLeaseReleaseIT} runs in its own JVM: a guard on the JDBC journal and
 * lease rolls back, and the JVM halts the moment {@code await()} returns: no {@code close()}, no
 * shutdown hook.
 */
public final class ExitRightAfter {
  private ExitRightAfter() {}

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(args[0]);
    ds.setUser(args[1]);
    ds.setPassword(System.getenv("PGPASSWORD"));
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0").step(Step.of("kill switch", ctx -> { }).withIdempotent())
        .build();
    Guard g = Guard.builder(plan, Deployment.of("checkout", "2.4.0"))
        .withJournal(JdbcJournal.of(ds)).withLease(JdbcLease.of(ds)).withHolder("pod-1").withLeaseTtl(Duration.ofSeconds(60))
        .trigger(Trigger.manual("on-call")).build();
    g.arm();
    g.rollBackNow("alice", "checkout is failing");
    RollbackResult r = g.run().orElseThrow().await();
    System.out.println("OUTCOME " + r.outcome());
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }
}
