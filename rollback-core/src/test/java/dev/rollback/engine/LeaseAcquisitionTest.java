package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.guard.LeaseUnavailableException;
import dev.rollback.journal.InMemoryJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many replicas, one incident: a guard that fires tries its lease after a random jitter, and a
 * lease store that fails or is overloaded (Kubernetes' 429 with Retry-After) is tried again after a
 * bounded backoff that never undercuts the store's Retry-After. On virtual time.
 */
@org.junit.jupiter.api.Timeout(60)
class LeaseAcquisitionTest {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final ManualClock clock = ManualClock.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(InMemoryJournal.create()).build();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) c.close();
    engine.close();
  }

  /** A lease store that fails its first {@code failures} attempts with {@code error}, records when each came, then grants. */
  private final class FlakyLease implements Lease {
    final List<Instant> attempts = new ArrayList<>();
    final ScriptedLease store = new ScriptedLease(clock);
    int failures;
    java.util.function.Supplier<RuntimeException> error;

    FlakyLease(int failures, java.util.function.Supplier<RuntimeException> error) {
      this.failures = failures;
      this.error = error;
    }

    @Override public synchronized Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
      attempts.add(clock.instant());
      if (attempts.size() <= failures) throw error.get();
      return store.tryAcquire(name, holder, ttl);
    }
    @Override public Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) { return store.renew(grant, ttl); }
    @Override public void release(LeaseGrant grant) { store.release(grant); }

    synchronized List<Duration> gaps() {
      List<Duration> out = new ArrayList<>();
      for (int i = 1; i < attempts.size(); i++) out.add(Duration.between(attempts.get(i - 1), attempts.get(i)));
      return out;
    }
  }

  private Guard guard(Lease lease, Trigger trigger, Duration jitter, Duration maxBackoff) {
    Guard g = Guard.builder(RollbackPlan.builder("checkout-2.4.0").step(Step.of("kill switch", ctx -> { })).build(), DEPLOYMENT)
        .withEngine(engine).withLease(lease).withHolder("pod-a").trigger(trigger).withBakeTime(Duration.ofHours(1))
        .withLeaseAcquisition(jitter, maxBackoff).build();
    open.add(g);
    g.arm();
    return g;
  }

  /** Advances virtual time in 10 ms steps until {@code condition} holds, at most {@code limit}. */
  private void advanceUntil(BooleanSupplier condition, Duration limit, String what) {
    Instant end = clock.instant().plus(limit);
    while (!condition.getAsBoolean() && clock.instant().isBefore(end)) clock.advance(Duration.ofMillis(10));
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  @Test
  void aGuardThatFiresTriesTheLeaseOnlyAfterItsJitter() {
    FlakyLease lease = new FlakyLease(0, () -> new IllegalStateException("never"));
    Trigger.Manual trigger = Trigger.manual("errors");
    Guard g = guard(lease, trigger, Duration.ofMillis(500), Duration.ofSeconds(5));
    Instant fired = clock.instant();

    trigger.fire("monitor", "errors");
    clock.runDue();

    assertThat(g.status().detail()).contains("trying the lease", "(jitter");
    advanceUntil(() -> !lease.attempts.isEmpty(), Duration.ofSeconds(1), "the lease is tried");
    assertThat(Duration.between(fired, lease.attempts.get(0))).isLessThanOrEqualTo(Duration.ofMillis(510));
    advanceUntil(() -> g.run().isPresent(), Duration.ofSeconds(5), "the rollback started");
    assertThat(g.run().orElseThrow().await(Duration.ofSeconds(10)).outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(g.state()).isEqualTo(GuardState.ROLLED_BACK);
  }

  @Test
  void aHumansRollbackIsNeverDelayedByTheJitter() {
    FlakyLease lease = new FlakyLease(0, () -> new IllegalStateException("never"));
    Guard g = guard(lease, Trigger.manual("errors"), Duration.ofSeconds(10), Duration.ofSeconds(5));

    g.rollBackNow("alice", "checkout is failing");

    assertThat(lease.attempts).containsExactly(clock.instant());
    assertThat(g.run()).isPresent();
  }

  @Test
  void anOverloadedLeaseStoreIsTriedAgainNoSoonerThanItsRetryAfter() {
    FlakyLease lease = new FlakyLease(3, () -> new LeaseUnavailableException("429 Too Many Requests", Duration.ofSeconds(2), null));
    Trigger.Manual trigger = Trigger.manual("errors");
    Guard g = guard(lease, trigger, Duration.ZERO, Duration.ofSeconds(1));

    trigger.fire("monitor", "errors");
    clock.runDue();
    assertThat(g.status().detail()).contains("is unavailable (attempt 1)", "429 Too Many Requests", "trying again in");
    advanceUntil(() -> g.run().isPresent(), Duration.ofSeconds(30), "the rollback started after the store recovered");

    assertThat(lease.attempts).hasSize(4);
    assertThat(lease.gaps()).allSatisfy(gap -> assertThat(gap).isBetween(Duration.ofSeconds(2), Duration.ofMillis(3_010)));
    assertThat(g.run().orElseThrow().await(Duration.ofSeconds(10)).outcome()).isEqualTo(RunOutcome.RECOVERED);
  }

  @Test
  void aFailingLeaseStoreIsTriedAgainWithABackoffThatGrowsAndIsBounded() {
    FlakyLease lease = new FlakyLease(8, () -> new IllegalStateException("connection refused"));
    Trigger.Manual trigger = Trigger.manual("errors");
    Guard g = guard(lease, trigger, Duration.ZERO, Duration.ofMillis(800));

    trigger.fire("monitor", "errors");
    advanceUntil(() -> g.run().isPresent(), Duration.ofSeconds(30), "the rollback started after the store recovered");

    List<Duration> gaps = lease.gaps();
    assertThat(gaps).hasSize(8);
    // 100 ms, 200 ms, 400 ms, then the 800 ms bound, each between half and all of it (plus the 10 ms step)
    assertThat(gaps.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(110));
    assertThat(gaps.get(2)).isBetween(Duration.ofMillis(200), Duration.ofMillis(410));
    assertThat(gaps.subList(3, 8)).allSatisfy(gap -> assertThat(gap).isBetween(Duration.ofMillis(400), Duration.ofMillis(810)));
  }
}
