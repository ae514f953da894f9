package dev.rollback.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told to, for tests and simulations on virtual time. Give it to
 * {@link RollbackEngine.Builder#withClock}: timeouts, retry delays, gate timeouts, polls and
 * budgets then fire when {@link #advance} passes them, in time order, on the advancing thread.
 */
public final class ManualClock extends Clock {

  /** A task scheduled on the clock; cancelling is idempotent. */
  public interface Scheduled {
    void cancel();
  }

  private final ZoneId zone;
  private final Object lock = new Object();
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private Instant now;
  private long sequence;

  private static final class Task implements Comparable<Task>, Scheduled {
    final Instant due;
    final long seq;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(Instant due, long seq, Runnable runnable) {
      this.due = due;
      this.seq = seq;
      this.runnable = runnable;
    }

    @Override
    public int compareTo(Task o) {
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private ManualClock(Instant start, ZoneId zone) {
    this.now = start;
    this.zone = zone;
  }

  /** A clock at {@code start}, UTC. */
  public static ManualClock startingAt(Instant start) {
    return new ManualClock(Objects.requireNonNull(start, "start"), ZoneOffset.UTC);
  }

  /** A clock at 2026-01-01T00:00:00Z. */
  public static ManualClock create() {
    return startingAt(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a ManualClock has one zone; it shares its time with the engine");
  }

  @Override
  public Instant instant() {
    synchronized (lock) {
      return now;
    }
  }

  /** Moves time forward by {@code d}, running every task due on the way at its due time. */
  public void advance(Duration d) {
    Objects.requireNonNull(d, "duration");
    if (d.isNegative()) throw new IllegalArgumentException("cannot go back in time: " + d);
    Instant target;
    synchronized (lock) {
      target = now.plus(d);
    }
    while (true) {
      Task next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.due.isAfter(target)) {
          now = target;
          return;
        }
        tasks.poll();
        if (next.due.isAfter(now)) now = next.due;
      }
      if (!next.cancelled) next.runnable.run();
    }
  }

  /** Runs the tasks due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** How many tasks wait to run (cancelled ones excluded). */
  public int scheduledCount() {
    synchronized (lock) {
      return (int) tasks.stream().filter(t -> !t.cancelled).count();
    }
  }

  /** When the next task is due, or empty. */
  public java.util.Optional<Instant> nextDue() {
    synchronized (lock) {
      List<Task> live = new ArrayList<>(tasks);
      return live.stream().filter(t -> !t.cancelled).map(t -> t.due).min(Instant::compareTo);
    }
  }

  /**
   * Runs {@code task} when the clock is advanced to {@code delay} from now (at once on the next
   * {@link #advance} or {@link #runDue} for a zero delay), on the advancing thread.
   */
  public Scheduled schedule(Runnable task, Duration delay) {
    synchronized (lock) {
      Task t = new Task(now.plus(delay.isNegative() ? Duration.ZERO : delay), sequence++, task);
      tasks.add(t);
      return t;
    }
  }

  @Override
  public String toString() {
    return "ManualClock[" + instant() + "]";
  }
}
