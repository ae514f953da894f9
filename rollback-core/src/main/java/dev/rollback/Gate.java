package dev.rollback;

import java.time.Duration;
import java.util.Objects;

/**
 * A point where a run waits for a human. Times out after {@link #timeout()} with
 * {@link #onTimeout()}, which is {@link Decision#HALT} unless the plan author chose otherwise
 * (reports then flag it).
 */
public final class Gate {
  /** The default wait before a gate times out. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);

  private final String name;
  private final Duration timeout;
  private final Decision onTimeout;

  private Gate(String name, Duration timeout, Decision onTimeout) {
    this.name = name;
    this.timeout = timeout;
    this.onTimeout = onTimeout;
  }

  public static Gate named(String name) {
    Objects.requireNonNull(name, "gate name");
    if (name.isBlank()) throw new IllegalArgumentException("gate name must not be blank");
    return new Gate(name, DEFAULT_TIMEOUT, Decision.HALT);
  }

  public Gate withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout of gate '" + name + "' must be positive: " + timeout);
    }
    return new Gate(name, timeout, onTimeout);
  }

  /** What happens when nobody answers in time. Anything but HALT is flagged in reports. */
  public Gate withTimeoutDecision(Decision decision) {
    return new Gate(name, timeout, Objects.requireNonNull(decision, "decision"));
  }

  public String name() { return name; }
  public Duration timeout() { return timeout; }
  public Decision onTimeout() { return onTimeout; }

  @Override
  public String toString() {
    return "Gate[" + name + ", timeout " + timeout + " then " + onTimeout + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Gate g && g.name.equals(name) && g.timeout.equals(timeout) && g.onTimeout == onTimeout;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, timeout, onTimeout);
  }
}
