package dev.rollback.detect;

import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link Signal} has observed since it started, as cumulative counts (like a Prometheus
 * counter), so any number of rules can read one signal and each takes its own differences.
 *
 * @param signal the signal's name
 * @param at when the signal was read
 * @param total every observation: requests, or polls of a health check
 * @param failures failed observations (a failed request; a poll that was DOWN or DEGRADED)
 * @param unknown observations that could not tell (a poll that timed out, a NaN): never failures
 * @param trailingFailures failures in a row at the end, UNKNOWNs neither counting nor breaking
 *     the run; {@code -1} when the signal cannot tell the order (aggregated request counts)
 * @param trailingUnknown UNKNOWN observations in a row at the end; {@code -1} when it cannot tell
 * @param detail the last observation in words, for evidence ("checkout DOWN in 3 ms: HTTP 503")
 * @param latency the latencies observed, or an empty histogram when the signal has none
 */
public record Observations(
    String signal,
    Instant at,
    long total,
    long failures,
    long unknown,
    long trailingFailures,
    long trailingUnknown,
    String detail,
    LatencyHistogram latency) {

  public Observations {
    Objects.requireNonNull(signal, "signal");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(latency, "latency");
    if (total < 0 || failures < 0 || unknown < 0 || failures + unknown > total) {
      throw new IllegalArgumentException("signal '" + signal + "': inconsistent counts: total " + total + ", failures "
          + failures + ", unknown " + unknown);
    }
  }

  /** Nothing observed yet. */
  public static Observations none(String signal, Instant at) {
    return new Observations(signal, at, 0, 0, 0, 0, 0, "nothing observed yet", LatencyHistogram.empty());
  }

  /** Counts of requests whose order is not known (no trailing runs). */
  public static Observations counts(String signal, Instant at, long total, long failures, String detail) {
    return new Observations(signal, at, total, failures, 0, -1, -1, detail, LatencyHistogram.empty());
  }

  /** Observations that told success or failure. */
  public long decided() {
    return total - unknown;
  }

  /** Successful observations. */
  public long good() {
    return total - failures - unknown;
  }
}
