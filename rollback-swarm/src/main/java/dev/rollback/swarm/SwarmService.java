package dev.rollback.swarm;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.swarm.internal.Api;
import java.time.Duration;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One Swarm service by name (not read until used): capture its spec, restore a spec, roll it back
 * as {@code docker service rollback} does, and see whether its tasks converged. Immutable;
 * {@code with*} return copies. Plan steps and release changes are made by {@link Swarm}.
 */
public final class SwarmService {
  private final Api api;
  private final String name;
  private final @Nullable Rollout rollout;
  private final Duration convergeTimeout;
  private final Duration pollInterval;
  private final int conflictRetries;
  private final @Nullable IntConsumer beforeWrite;

  SwarmService(Api api, String name) {
    this(api, name, null, Duration.ofMinutes(5), Duration.ofMillis(100), 5, null);
  }

  private SwarmService(Api api, String name, @Nullable Rollout rollout, Duration convergeTimeout, Duration pollInterval,
      int conflictRetries, @Nullable IntConsumer beforeWrite) {
    this.api = api;
    this.name = name;
    this.rollout = rollout;
    this.convergeTimeout = convergeTimeout;
    this.pollInterval = pollInterval;
    this.conflictRetries = conflictRetries;
    this.beforeWrite = beforeWrite;
  }

  /**
   * Every write of this handle rolls out with these settings instead of the service's own
   * {@code rollback_config} / {@code update_config}; the target's {@code update_config} is put back
   * once the tasks run the target (a second write that replaces no task).
   */
  public SwarmService withRollout(Rollout rollout) {
    return new SwarmService(api, name, Objects.requireNonNull(rollout, "rollout"), convergeTimeout, pollInterval,
        conflictRetries, beforeWrite);
  }

  /** How long steps wait for every task to run the target spec (default 5 min). */
  public SwarmService withConvergeTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("converge timeout must be positive: " + timeout);
    return new SwarmService(api, name, rollout, timeout, pollInterval, conflictRetries, beforeWrite);
  }

  /** How often a wait lists the tasks (default 100 ms; one request each). */
  public SwarmService withPollInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("poll interval must be positive: " + interval);
    return new SwarmService(api, name, rollout, convergeTimeout, interval, conflictRetries, beforeWrite);
  }

  /** How many times a write refused as out of sequence starts over from a fresh read (default 5). */
  public SwarmService withConflictRetries(int retries) {
    if (retries < 0) throw new IllegalArgumentException("conflict retries must not be negative: " + retries);
    return new SwarmService(api, name, rollout, convergeTimeout, pollInterval, retries, beforeWrite);
  }

  /** Test seam: runs before each write attempt (with the attempt number). */
  SwarmService withBeforeWrite(IntConsumer hook) {
    return new SwarmService(api, name, rollout, convergeTimeout, pollInterval, conflictRetries, hook);
  }

  public String name() { return name; }
  /** The rollout override, if one was set with {@link #withRollout}. */
  public java.util.Optional<Rollout> rollout() { return java.util.Optional.ofNullable(rollout); }
  @Nullable Rollout rolloutOrNull() { return rollout; }
  public Duration convergeTimeout() { return convergeTimeout; }
  public Duration pollInterval() { return pollInterval; }
  public int conflictRetries() { return conflictRetries; }
  @Nullable IntConsumer beforeWrite() { return beforeWrite; }
  Api api() { return api; }

  /** {@code service NAME}. */
  public String describe() { return "service " + name; }

  /**
   * The service as a step-SPI {@link StateAdapter}: its state is the whole spec; apply restores a
   * spec as {@link #restore} does; settled means every wanted task runs it (failed when Swarm
   * paused the rollout). The steps of {@link Swarm} are derived from it with {@link StateSteps}; use
   * it for steps of your own, e.g. {@code StateSteps.on(web.adapter()).awaitingSettled(…).sequence(…)}.
   */
  public StateAdapter<SwarmServiceState> adapter() { return impl(); }

  SwarmServiceAdapter impl() { return new SwarmServiceAdapter(this); }

  /** The service's current spec. */
  public SwarmServiceState capture() {
    return impl().observe().state();
  }

  /**
   * Puts {@code target} in place: nothing when the service already has it; Swarm's own rollback
   * ({@code docker service rollback}, rolled out with the rollback config) when it is the service's
   * previous spec and no rollout override is set; otherwise an update, rolled out with the target's
   * update config or the override. Returns once written (or, when a second write must follow, once
   * the tasks ran the target); {@link #awaitConverged} waits for the tasks.
   */
  public RestoreResult restore(SwarmServiceState target) {
    return impl().restore(Objects.requireNonNull(target, "target"), null);
  }

  /** {@code docker service rollback} (without waiting): Swarm swaps in the previous spec. */
  public RestoreResult rollbackToPrevious() {
    return impl().rollbackToPrevious();
  }

  /** One look at the tasks against {@code target}. */
  public Convergence convergence(SwarmServiceState target) {
    return impl().convergence(Objects.requireNonNull(target, "target"));
  }

  /**
   * Waits until every task runs {@code target} (the converge timeout at most); throws when Swarm
   * paused the rollout. Returns the last look, converged or not.
   */
  public Convergence awaitConverged(SwarmServiceState target) {
    return impl().awaitTasks(Objects.requireNonNull(target, "target"), null);
  }

  @Override
  public String toString() {
    return "SwarmService[" + name + " on " + api.host() + "]";
  }
}
