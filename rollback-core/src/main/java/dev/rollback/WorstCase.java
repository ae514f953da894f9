package dev.rollback;

import java.time.Duration;
import java.util.List;

/**
 * The longest a plan, a release's revert or a step can take, from its steps' timeouts, retries and
 * retry delays (a parallel stage takes its slowest step), and the steps that have no timeout and so
 * cannot be bounded (left out of {@code duration}, named in {@code unbounded}).
 */
public record WorstCase(Duration duration, List<String> unbounded) {
  public WorstCase {
    unbounded = List.copyOf(unbounded);
  }

  /** True when every step has a timeout, so {@link #duration()} bounds the whole. */
  public boolean isBounded() {
    return unbounded.isEmpty();
  }
}
