package dev.rollback.micrometer;

import dev.rollback.detect.RequestRecorder;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A meter registry that turns every duration recorded on the chosen timers into one request of a
 * {@link RequestRecorder}, with its exact latency and its outcome (from the timer's tags). Add it
 * beside the application's registry in a composite ({@code Metrics.globalRegistry.add(it)}, or a
 * {@code MeterRegistry} bean in Spring Boot, which composes them); then {@link #signal()} is the
 * guard's signal.
 *
 * <pre>{@code
 * RecordingMeterRegistry requests = RecordingMeterRegistry.httpServerRequests(5);  // ≥ 5 requests/s while up
 * Metrics.globalRegistry.add(requests);
 * guardBuilder.trigger(Trigger.latency(requests.signal()).percentile(0.99).above(ofMillis(800)));
 * }</pre>
 *
 * <p>Why not read the timers themselves ({@link MicrometerSignals#timers})? A Micrometer timer
 * keeps a count, a total and a decaying maximum; its histogram, where one is configured, covers a
 * rotating time window (two minutes by default) rather than everything since start, so a
 * percentile over the rule's own window cannot be taken from it. Here each recording costs one more
 * lock-free increment, and latency-percentile rules see real percentiles.
 *
 * <p>Only timers named as chosen are kept; every other meter registered through the composite is
 * denied here (a no-op), so this registry holds nothing else.
 */
public final class RecordingMeterRegistry extends SimpleMeterRegistry {
  private final String timerName;
  private final Predicate<Meter.Id> select;
  private final Predicate<Meter.Id> isFailure;
  private final RequestRecorder recorder;

  private RecordingMeterRegistry(String timerName, Predicate<Meter.Id> select, Predicate<Meter.Id> isFailure, double minRequestsPerSecond) {
    this.timerName = Objects.requireNonNull(timerName, "timerName");
    this.select = Objects.requireNonNull(select, "select");
    this.isFailure = Objects.requireNonNull(isFailure, "isFailure");
    if (timerName.isBlank()) throw new IllegalArgumentException("timer name must not be blank");
    this.recorder = RequestRecorder.create(timerName + " (recorded)", minRequestsPerSecond);
    config().meterFilter(MeterFilter.denyUnless(id -> id.getName().equals(timerName) && select.test(id)));
  }

  /**
   * {@code http.server.requests}: a request failed when its {@code outcome} tag is
   * {@code SERVER_ERROR} or its {@code status} tag is 5xx ({@link MicrometerSignals#isServerError}).
   */
  public static RecordingMeterRegistry httpServerRequests(double minRequestsPerSecond) {
    return timers("http.server.requests", id -> true, MicrometerSignals::isServerError, minRequestsPerSecond);
  }

  /**
   * Timers named {@code timerName} that {@code select} accepts (a URI, a method); those
   * {@code isFailure} accepts count as failed requests. {@code minRequestsPerSecond}: the lowest
   * rate the service has while it is up, which turns the rules' worst cases into time.
   */
  public static RecordingMeterRegistry timers(String timerName, Predicate<Meter.Id> select, Predicate<Meter.Id> isFailure,
      double minRequestsPerSecond) {
    return new RecordingMeterRegistry(timerName, select, isFailure, minRequestsPerSecond);
  }

  /** The requests recorded so far, as a signal for triggers. */
  public RequestRecorder signal() {
    return recorder;
  }

  @Override
  protected Timer newTimer(Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
    RequestRecorder.Outcome outcome = isFailure.test(id) ? RequestRecorder.Outcome.FAILURE : RequestRecorder.Outcome.SUCCESS;
    RequestRecorder r = recorder;
    return new CumulativeTimer(id, clock, config, pauseDetector, getBaseTimeUnit(), false) {
      @Override
      protected void recordNonNegative(long amount, TimeUnit unit) {
        super.recordNonNegative(amount, unit);
        r.record(outcome, unit.toNanos(amount));
      }
    };
  }

  @Override
  public String toString() {
    return "RecordingMeterRegistry[" + timerName + "]";
  }
}
