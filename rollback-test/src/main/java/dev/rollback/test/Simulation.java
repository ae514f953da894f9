package dev.rollback.test;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Release;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a plan or release as a simulated incident on virtual time: a {@link ManualClock} is moved
 * forward in {@code tick}s while the run waits, and gates are answered by script (by gate kind,
 * after an optional human delay). Returns the result, whose timings are virtual.
 *
 * <pre>{@code
 * RollbackResult r = Simulation.create()
 *     .answering(GateKind.APPROVAL, Decision.PROCEED, ofMinutes(3))
 *     .run(plan, Deployment.of("checkout", "2.4.0"));
 * assertThat(r).isRecovered().finishedWithin(ofMinutes(10));
 * }</pre>
 */
public final class Simulation {
  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final Map<GateKind, Decision> answers = new EnumMap<>(GateKind.class);
  private final Map<GateKind, Duration> delays = new EnumMap<>(GateKind.class);
  private Duration tick = Duration.ofSeconds(1);
  private Duration limit = Duration.ofDays(1);

  private Simulation() {}

  public static Simulation create() {
    return new Simulation();
  }

  /** Gates of {@code kind} are answered {@code decision} at once. Unscripted gates run into their timeout. */
  public Simulation answering(GateKind kind, Decision decision) {
    return answering(kind, decision, Duration.ZERO);
  }

  /** Gates of {@code kind} are answered {@code decision} after {@code humanDelay} of virtual time. */
  public Simulation answering(GateKind kind, Decision decision, Duration humanDelay) {
    answers.put(Objects.requireNonNull(kind, "kind"), Objects.requireNonNull(decision, "decision"));
    delays.put(kind, Objects.requireNonNull(humanDelay, "humanDelay"));
    return this;
  }

  /** How far the clock moves at a time (default 1 s). */
  public Simulation withTick(Duration tick) {
    if (tick.isNegative() || tick.isZero()) throw new IllegalArgumentException("tick must be positive: " + tick);
    this.tick = tick;
    return this;
  }

  /** Virtual time after which the simulation gives up (default one day). */
  public Simulation withLimit(Duration limit) {
    this.limit = Objects.requireNonNull(limit, "limit");
    return this;
  }

  public ManualClock clock() {
    return clock;
  }

  public InMemoryJournal journal() {
    return journal;
  }

  public RollbackResult run(RollbackPlan plan, Deployment deployment) {
    try (RollbackEngine engine = engine()) {
      return drive(engine.start(plan, deployment));
    } finally {
      executor.shutdownNow();
    }
  }

  public RollbackResult run(Release release) {
    try (RollbackEngine engine = engine()) {
      return drive(engine.start(release));
    } finally {
      executor.shutdownNow();
    }
  }

  private RollbackEngine engine() {
    return RollbackEngine.builder().withClock(clock).withJournal(journal).withExecutor(executor).build();
  }

  /** Runs and steps run here; tasks submitted but not yet started count as busy. */
  private final SimExecutor executor = new SimExecutor();

  private static final class SimExecutor extends java.util.concurrent.ThreadPoolExecutor {
    final java.util.concurrent.atomic.AtomicInteger notStarted = new java.util.concurrent.atomic.AtomicInteger();

    SimExecutor() {
      super(0, Integer.MAX_VALUE, 10, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "rollback-run-sim");
        t.setDaemon(true);
        return t;
      });
    }

    @Override
    public void execute(Runnable command) {
      notStarted.incrementAndGet();
      try {
        super.execute(command);
      } catch (RuntimeException e) {
        notStarted.decrementAndGet();
        throw e;
      }
    }

    @Override
    protected void beforeExecute(Thread t, Runnable r) {
      notStarted.decrementAndGet();
    }
  }

  private RollbackResult drive(RollbackRun run) {
    java.time.Instant start = clock.instant();
    Map<String, java.time.Instant> opened = new java.util.HashMap<>();
    while (!run.result().isDone()) {
      settle(run);
      if (run.result().isDone()) break;
      java.time.Instant now = clock.instant();
      if (Duration.between(start, now).compareTo(limit) > 0) {
        run.cancel("simulation limit of " + limit + " reached");
        break;
      }
      // the next moment something happens: a timer, or a scripted human answering
      java.time.Instant next = clock.nextDue().orElse(now.plus(tick));
      boolean answered = false;
      for (GateRequest g : run.pendingGates()) {
        Decision d = answers.get(g.kind());
        if (d == null) continue;
        java.time.Instant due = opened.computeIfAbsent(g.id(), k -> now).plus(delays.getOrDefault(g.kind(), Duration.ZERO));
        if (!due.isAfter(now)) {
          try {
            run.answer(g.id(), d, "simulation");
            answered = true;
          } catch (RollbackException ignored) {
            // decided by a timeout at the same instant
          }
        } else if (due.isBefore(next)) {
          next = due;
        }
      }
      int journaled = journal.size(run.runId());
      int timers = clock.scheduledCount();
      if (!answered) clock.advance(next.isAfter(now) ? Duration.between(now, next) : Duration.ZERO);
      if (answered || clock.scheduledCount() < timers) awaitProgress(run, journaled);
    }
    return run.await(Duration.ofSeconds(30));
  }

  /**
   * Waits (bounded, real time) until every engine thread is parked — waiting on the clock, a gate
   * or a future — so time only moves when nothing else can happen first.
   */
  private void settle(RollbackRun run) {
    long until = System.nanoTime() + 2_000_000_000L;
    int quiet = 0;
    while (System.nanoTime() < until && !run.result().isDone()) {
      quiet = isBusy() ? 0 : quiet + 1;
      if (quiet >= 5) return;
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
  }

  /**
   * After the simulation woke a thread (a gate answered, a timer fired), waits until the journal
   * shows it ran: every wake-up in the engine ends in an append. Bounded, real time.
   */
  private void awaitProgress(RollbackRun run, int journaledBefore) {
    long until = System.nanoTime() + 500_000_000L;
    while (System.nanoTime() < until && !run.result().isDone() && journal.size(run.runId()) == journaledBefore) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    }
  }

  /** True while an engine thread can still make progress without time moving. */
  private boolean isBusy() {
    if (executor.notStarted.get() > 0) return true;
    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
      Thread t = e.getKey();
      if (!t.getName().startsWith("rollback-run")) continue;
      Thread.State state = t.getState();
      if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) return true;
      StackTraceElement[] stack = e.getValue();
      String top = stack.length == 0 ? "" : stack[0].getMethodName();
      if (!top.equals("park") && !top.equals("wait") && !top.equals("wait0")) return true;
    }
    return false;
  }

}
