package dev.rollback.test;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A health check that answers a script: {@code ScriptedCheck.answering("checkout", UP, DOWN, DOWN)}
 * answers UP, then DOWN, then DOWN for every check after that (the last answer repeats). Counts
 * its checks. The script is given when it is made; {@link #alwaysAnswer} replaces what is left of
 * it, for a test in which the system recovers or breaks midway.
 *
 * <pre>{@code
 * ScriptedCheck health = ScriptedCheck.answering("checkout health", HealthStatus.UP);
 * Trigger t = Trigger.consecutiveFailures(Signals.poll(health, ofSeconds(1)), 3);
 * health.alwaysAnswer(HealthStatus.DOWN);   // the release goes bad
 * }</pre>
 */
public final class ScriptedCheck implements HealthCheck {
  private final String name;
  private final Deque<HealthStatus> script = new ArrayDeque<>();
  private final @Nullable RuntimeException failure;
  private HealthStatus last;
  private int calls;

  private ScriptedCheck(String name, HealthStatus[] statuses, @Nullable RuntimeException failure) {
    this.name = Objects.requireNonNull(name, "name");
    this.failure = failure;
    for (HealthStatus s : statuses) script.add(Objects.requireNonNull(s, "status"));
    this.last = script.isEmpty() ? HealthStatus.UNKNOWN : script.peekLast();
  }

  /** Answers {@code statuses} in order, then repeats the last one. */
  public static ScriptedCheck answering(String name, HealthStatus... statuses) {
    if (statuses.length == 0) throw new IllegalArgumentException("check '" + name + "' needs at least one status to answer");
    return new ScriptedCheck(name, statuses, null);
  }

  /**
   * Throws {@code failure} from every {@link #check()}: a check that breaks its promise never to
   * throw, to test that whatever calls it copes.
   */
  public static ScriptedCheck throwing(String name, RuntimeException failure) {
    return new ScriptedCheck(name, new HealthStatus[0], Objects.requireNonNull(failure, "failure"));
  }

  /** From the next check on, answers {@code status} (what was left of the script is dropped). */
  public synchronized void alwaysAnswer(HealthStatus status) {
    script.clear();
    last = Objects.requireNonNull(status, "status");
  }

  /** How many times {@link #check()} was called. */
  public synchronized int calls() {
    return calls;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized Health check() {
    calls++;
    if (failure != null) throw failure;
    if (!script.isEmpty()) last = script.poll();
    return Health.of(name, last, Duration.ZERO, "scripted " + last + " (check " + calls + ")");
  }

  @Override
  public String toString() {
    return "ScriptedCheck[" + name + "]";
  }
}
