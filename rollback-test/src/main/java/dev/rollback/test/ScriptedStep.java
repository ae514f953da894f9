package dev.rollback.test;

import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.engine.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A step double with a script: {@code ScriptedStep.named("db").withFailures(2).withDuration(ofSeconds(30))}
 * fails its first two attempts and takes 30 s of the engine's clock each time (virtual time in a
 * {@link Simulation}). It records every attempt and every undo.
 *
 * <p>The script is fixed when the double is made: the {@code with*} methods return a <em>new</em>
 * double (with no attempts recorded yet) and leave this one unchanged, so keep what they return.
 */
public final class ScriptedStep {
  private final String name;
  private final int failures;
  private final Duration duration;
  private final AtomicInteger attempts = new AtomicInteger();
  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  private ScriptedStep(String name, int failures, Duration duration) {
    this.name = name;
    this.failures = failures;
    this.duration = duration;
  }

  public static ScriptedStep named(String name) {
    return new ScriptedStep(Objects.requireNonNull(name, "name"), 0, Duration.ZERO);
  }

  /** A new double whose first {@code times} attempts fail; this one is unchanged. */
  public ScriptedStep withFailures(int times) {
    if (times < 0) throw new IllegalArgumentException("times must not be negative: " + times);
    return new ScriptedStep(name, times, duration);
  }

  /** A new double whose attempts each take {@code d} on the engine's clock; this one is unchanged. */
  public ScriptedStep withDuration(Duration d) {
    Objects.requireNonNull(d, "duration");
    if (d.isNegative()) throw new IllegalArgumentException("duration must not be negative: " + d);
    return new ScriptedStep(name, failures, d);
  }

  /**
   * Returns a new double; {@code step.failing(1);} on its own changes nothing.
   *
   * @deprecated use {@link #withFailures(int)}, whose name says it returns a copy
   */
  @Deprecated(forRemoval = true)
  public ScriptedStep failing(int times) {
    return withFailures(times);
  }

  /**
   * Returns a new double; {@code step.taking(d);} on its own changes nothing.
   *
   * @deprecated use {@link #withDuration(Duration)}, whose name says it returns a copy
   */
  @Deprecated(forRemoval = true)
  public ScriptedStep taking(Duration d) {
    return withDuration(d);
  }

  /** The step, with an undo that records itself. */
  public Step step() {
    return Step.builder(name).execute(this::run).undo(ctx -> calls.add("undo")).describedAs("scripted " + name).build();
  }

  private void run(StepContext ctx) throws InterruptedException {
    int n = attempts.incrementAndGet();
    calls.add("attempt " + n);
    if (!duration.isZero()) {
      if (ctx.clock() instanceof ManualClock manual) {
        // wait on the virtual clock: the simulation sees a timer and moves time to it
        CountDownLatch done = new CountDownLatch(1);
        manual.schedule(done::countDown, duration);
        done.await();
      } else {
        Instant end = ctx.clock().instant().plus(duration);
        while (ctx.clock().instant().isBefore(end)) {
          ctx.checkCancelled();
          LockSupport.parkNanos(1_000_000);
        }
      }
    }
    if (n <= failures) throw new IllegalStateException(name + " failed (scripted failure " + n + " of " + failures + ")");
  }

  public int attempts() {
    return attempts.get();
  }

  /** "attempt 1", "attempt 2", "undo", in order. */
  public List<String> calls() {
    return List.copyOf(calls);
  }
}
