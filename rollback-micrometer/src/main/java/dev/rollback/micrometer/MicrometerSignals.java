package dev.rollback.micrometer;

import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Micrometer meters as {@link Signal}s. Meters are cumulative, like the signals' observations,
 * so any number of rules can read one; meters registered later (a new status code, a new URI)
 * are picked up on the next read.
 *
 * <pre>{@code
 * Signal requests = MicrometerSignals.httpServerRequests(registry);
 * guardBuilder.trigger(Trigger.sequential(requests)).trigger(Trigger.errorRatio(requests));
 * }</pre>
 */
public final class MicrometerSignals {
  private MicrometerSignals() {}

  /**
   * All {@code http.server.requests} timers: a request failed when its {@code outcome} tag is
   * {@code SERVER_ERROR} or its {@code status} tag is 5xx. Declared at one request per second at least.
   */
  public static Signal httpServerRequests(MeterRegistry registry) {
    return timers(registry, "http.server.requests", MicrometerSignals::isServerError, 1.0);
  }

  /** Like {@link #httpServerRequests(MeterRegistry)}, for the timers {@code select} accepts (a URI, a method). */
  public static Signal httpServerRequests(MeterRegistry registry, Predicate<Meter.Id> select) {
    Objects.requireNonNull(select, "select");
    return new TimerSignal(registry, "http.server.requests", select, MicrometerSignals::isServerError, 1.0);
  }

  /**
   * Every timer named {@code name}; those {@code isFailure} accepts count as failures. A service
   * serving at least {@code minRequestsPerSecond} gives rules their worst-case detection times.
   */
  public static Signal timers(MeterRegistry registry, String name, Predicate<Meter.Id> isFailure, double minRequestsPerSecond) {
    return new TimerSignal(registry, name, id -> true, isFailure, minRequestsPerSecond);
  }

  /** Two counters (summed over their tags): all requests, and failed ones. */
  public static Signal counters(MeterRegistry registry, String totalCounter, String failureCounter, double minRequestsPerSecond) {
    return new CounterSignal(registry, totalCounter, failureCounter, minRequestsPerSecond);
  }

  /** True for a 5xx status or the SERVER_ERROR outcome. */
  public static boolean isServerError(Meter.Id id) {
    String outcome = id.getTag("outcome");
    if ("SERVER_ERROR".equals(outcome)) return true;
    String status = id.getTag("status");
    return status != null && status.length() == 3 && status.charAt(0) == '5';
  }

  static Duration interval(double minRequestsPerSecond) {
    if (!(minRequestsPerSecond > 0) || Double.isInfinite(minRequestsPerSecond)) {
      throw new IllegalArgumentException("minRequestsPerSecond must be positive and finite: " + minRequestsPerSecond);
    }
    return Duration.ofNanos((long) Math.ceil(1e9 / minRequestsPerSecond));
  }

  private static final class TimerSignal implements Signal {
    private final MeterRegistry registry;
    private final String name;
    private final Predicate<Meter.Id> select;
    private final Predicate<Meter.Id> isFailure;
    private final Duration interval;

    TimerSignal(MeterRegistry registry, String name, Predicate<Meter.Id> select, Predicate<Meter.Id> isFailure, double rate) {
      this.registry = Objects.requireNonNull(registry, "registry");
      this.name = Objects.requireNonNull(name, "name");
      this.select = select;
      this.isFailure = Objects.requireNonNull(isFailure, "isFailure");
      this.interval = interval(rate);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Observations observe(Instant now) {
      long total = 0;
      long failures = 0;
      long[] latency = new long[LatencyHistogram.BUCKETS];
      for (Timer t : registry.find(name).timers()) {
        if (!select.test(t.getId())) continue;
        long c = t.count();
        total += c;
        if (isFailure.test(t.getId())) failures += c;
        // Micrometer keeps no per-request latencies by default: each timer's mean stands for its requests
        if (c > 0) latency[LatencyHistogram.bucketOf((long) t.mean(java.util.concurrent.TimeUnit.NANOSECONDS))] += c;
      }
      return new Observations(name, now, total, failures, 0, -1, -1,
          total + " requests in '" + name + "', " + failures + " failed", LatencyHistogram.of(latency));
    }

    @Override
    public Duration sampleInterval() {
      return interval;
    }

    @Override
    public String toString() {
      return "MicrometerSignals.timers(" + name + ")";
    }
  }

  private static final class CounterSignal implements Signal {
    private final MeterRegistry registry;
    private final String total;
    private final String failures;
    private final Duration interval;

    CounterSignal(MeterRegistry registry, String total, String failures, double rate) {
      this.registry = Objects.requireNonNull(registry, "registry");
      this.total = Objects.requireNonNull(total, "totalCounter");
      this.failures = Objects.requireNonNull(failures, "failureCounter");
      this.interval = interval(rate);
    }

    @Override
    public String name() {
      return failures + " of " + total;
    }

    private double sum(String counter) {
      double s = 0;
      for (Counter c : registry.find(counter).counters()) s += c.count();
      return s;
    }

    @Override
    public Observations observe(Instant now) {
      long t = (long) sum(total);
      long f = Math.min(t, (long) sum(failures));
      return Observations.counts(name(), now, t, f, t + " in '" + total + "', " + f + " in '" + failures + "'");
    }

    @Override
    public Duration sampleInterval() {
      return interval;
    }
  }
}
