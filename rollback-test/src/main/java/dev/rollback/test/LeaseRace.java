package dev.rollback.test;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.journal.Journal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Races the guards of many replicas of one deployment on a real lease, on real time, in one JVM:
 * every replica has its own engine and its own {@link Lease} client (from {@code leaseOf}), all on
 * one shared journal, and one trigger fires in all of them at once. For a lease implementation's
 * tests and benchmarks: exactly one replica must act ({@link #race}), and when the one acting dies
 * mid-run another must take its run over within the lease TTL plus one renew interval
 * ({@link #takeover}).
 */
public final class LeaseRace {
  private final int replicas;
  private final IntFunction<Lease> leaseOf;
  private final Journal journal;
  private Duration ttl = Duration.ofSeconds(30);
  private Duration timeout = Duration.ofSeconds(60);
  private java.util.concurrent.@org.jspecify.annotations.Nullable CyclicBarrier startTogether;

  private LeaseRace(int replicas, IntFunction<Lease> leaseOf, Journal journal) {
    if (replicas < 2) throw new IllegalArgumentException("a race needs at least 2 replicas: " + replicas);
    this.replicas = replicas;
    this.leaseOf = Objects.requireNonNull(leaseOf, "leaseOf");
    this.journal = Objects.requireNonNull(journal, "journal");
  }

  /** {@code replicas} replicas, replica {@code i} using {@code leaseOf.apply(i)}, all journaling to {@code journal}. */
  public static LeaseRace of(int replicas, IntFunction<Lease> leaseOf, Journal journal) {
    return new LeaseRace(replicas, leaseOf, journal);
  }

  /** The lease TTL of every guard; default 30 s, the guard's own default (renewed every 10 s). */
  public LeaseRace withLeaseTtl(Duration ttl) {
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    return this;
  }

  /**
   * Races of several services at once: each race arms its guards, then waits at {@code barrier}
   * before its trigger fires, so every service's replicas fire in the same instant.
   */
  public LeaseRace withStartBarrier(java.util.concurrent.CyclicBarrier barrier) {
    this.startTogether = Objects.requireNonNull(barrier, "barrier");
    return this;
  }

  /** How long a race may take before it counts as failed; default 60 s. */
  public LeaseRace withTimeout(Duration timeout) {
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /** What one race showed: how many replicas ran the plan's step, each guard's final state, how long it took. */
  public record Result(int acted, Map<GuardState, Integer> states, Duration elapsed, List<String> details) {
    public Result {
      states = Map.copyOf(states);
      details = List.copyOf(details);
    }
  }

  /** What a takeover showed: from the holder's death to the step starting again on another replica. */
  public record Takeover(Duration takeover, int holder, int successor, int completedRuns) {}

  /**
   * All replicas fire at once for {@code deployment}; returns when every guard has ended
   * (ROLLED_BACK, ROLLBACK_FAILED or STOOD_DOWN) or the timeout passed.
   */
  public Result race(Deployment deployment) throws InterruptedException {
    AtomicInteger acted = new AtomicInteger();
    Trigger.Manual trigger = Trigger.manual("shared dependency down");
    List<RollbackEngine> engines = new ArrayList<>();
    List<Guard> guards = new ArrayList<>();
    try {
      for (int i = 0; i < replicas; i++) {
        RollbackPlan plan = RollbackPlan.builder("race-" + deployment.id().replaceAll("[^A-Za-z0-9.-]", "-"))
            .step(Step.builder("kill switch").execute(ctx -> acted.incrementAndGet()).idempotent().build()).build();
        RollbackEngine e = RollbackEngine.builder().withJournal(journal).build();
        engines.add(e);
        Guard g = Guard.builder(plan, deployment).withEngine(e).withLease(leaseOf.apply(i)).withHolder("replica-" + i)
            .withLeaseTtl(ttl).withEvaluationInterval(Duration.ofMillis(250)).withBakeTime(Duration.ofHours(1))
            .trigger(trigger).build();
        guards.add(g);
        g.arm();
      }
      if (startTogether != null) {
        try {
          startTogether.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.BrokenBarrierException | java.util.concurrent.TimeoutException e) {
          throw new IllegalStateException("the races did not all get ready within " + timeout, e);
        }
      }
      Instant start = Instant.now();
      trigger.fire("race", "every replica sees the failure at once");
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && !guards.stream().allMatch(LeaseRace::ended)) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      Duration elapsed = Duration.between(start, Instant.now());
      Map<GuardState, Integer> states = new EnumMap<>(GuardState.class);
      List<String> details = new ArrayList<>();
      for (Guard g : guards) {
        Guard.Status s = g.status();
        states.merge(s.state(), 1, Integer::sum);
        if (s.state() != GuardState.STOOD_DOWN || g.run().isPresent()) details.add(s.state() + ": " + s.detail());
      }
      return new Result(acted.get(), states, elapsed, details);
    } finally {
      guards.forEach(Guard::close);
      engines.forEach(RollbackEngine::close);
    }
  }

  private static boolean ended(Guard g) {
    GuardState s = g.state();
    return s == GuardState.ROLLED_BACK || s == GuardState.ROLLBACK_FAILED || s == GuardState.STOOD_DOWN;
  }

  /**
   * All replicas fire for {@code deployment}; the replica that acts dies in the middle of its step
   * (from then on its lease client answers nothing, as when its process is killed); returns how
   * long until another replica runs the step again, resuming the run.
   */
  public Takeover takeover(Deployment deployment) throws InterruptedException {
    CountDownLatch stuck = new CountDownLatch(1);
    AtomicReference<Instant> killedAt = new AtomicReference<>();
    AtomicReference<Instant> resumedAt = new AtomicReference<>();
    AtomicInteger holder = new AtomicInteger(-1);
    AtomicInteger successor = new AtomicInteger(-1);
    AtomicInteger completed = new AtomicInteger();
    List<Killable> leases = new ArrayList<>();
    Trigger.Manual trigger = Trigger.manual("shared dependency down");
    List<RollbackEngine> engines = new ArrayList<>();
    List<Guard> guards = new ArrayList<>();
    try {
      for (int i = 0; i < replicas; i++) {
        int replica = i;
        Killable lease = new Killable(leaseOf.apply(i));
        leases.add(lease);
        RollbackPlan plan = RollbackPlan.builder("takeover-" + deployment.id().replaceAll("[^A-Za-z0-9.-]", "-"))
            .step(Step.builder("undo rollout").execute(ctx -> {
              if (holder.compareAndSet(-1, replica)) {
                lease.kill();
                killedAt.set(Instant.now());
                stuck.await(); // the host dies here: nothing more from this replica
                return;
              }
              if (successor.compareAndSet(-1, replica)) resumedAt.set(Instant.now());
              completed.incrementAndGet();
            }).idempotent().build()).build();
        RollbackEngine e = RollbackEngine.builder().withJournal(journal).build();
        engines.add(e);
        Guard g = Guard.builder(plan, deployment).withEngine(e).withLease(lease).withHolder("replica-" + i)
            .withLeaseTtl(ttl).withEvaluationInterval(Duration.ofMillis(250)).withBakeTime(Duration.ofHours(1))
            .trigger(trigger).build();
        guards.add(g);
        g.arm();
      }
      trigger.fire("race", "every replica sees the failure at once");
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && resumedAt.get() == null) TimeUnit.MILLISECONDS.sleep(10);
      if (resumedAt.get() == null) {
        throw new AssertionError("no replica took the run over within " + timeout + " (holder: replica-" + holder.get()
            + ", killed at " + killedAt.get() + ")");
      }
      Duration took = Duration.between(killedAt.get(), resumedAt.get());
      while (System.nanoTime() < deadline && completed.get() == 0) TimeUnit.MILLISECONDS.sleep(10);
      return new Takeover(took, holder.get(), successor.get(), completed.get());
    } finally {
      stuck.countDown();
      guards.forEach(Guard::close);
      engines.forEach(RollbackEngine::close);
    }
  }

  /** A replica's lease client that stops answering when the replica is killed. */
  private static final class Killable implements Lease {
    private final Lease lease;
    private final AtomicBoolean killed = new AtomicBoolean();

    Killable(Lease lease) {
      this.lease = lease;
    }

    void kill() {
      killed.set(true);
    }

    private void check() {
      if (killed.get()) throw new IllegalStateException("this replica was killed");
    }

    @Override public Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
      check();
      return lease.tryAcquire(name, holder, ttl);
    }

    @Override public Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
      check();
      return lease.renew(grant, ttl);
    }

    @Override public void release(LeaseGrant grant) {
      check();
      lease.release(grant);
    }
  }
}
