package dev.rollback.micrometer.bench;

import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A small regression on virtual time: one service at 500 requests/s, a share of them served by
 * the canary. The canary fails 2% of its requests, the baseline 1%; {@code canarySequential} is
 * evaluated as a guard evaluates it (every 250 ms and after each failed request of either side).
 * Reports the canary requests served before ROLL_BACK over N runs, and false rollbacks over M
 * A/A runs of one simulated hour each (both sides at 1%). Flagger's default analysis runs on the
 * same traffic: every 60 s the canary's success rate over the last minute, a check failing below
 * 99%, rollback at the fifth failed check.
 */
final class CanaryBenchmark {
  private static final int RATE = 500;
  private static final long STEP_NANOS = 1_000_000_000L / RATE;
  private static final long TICK_NANOS = 250_000_000L;
  private static final long HOUR_NANOS = 3_600_000_000_000L;
  private static final long FLAGGER_INTERVAL_NANOS = 60_000_000_000L;
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  private CanaryBenchmark() {}

  /** Cumulative counts the simulation adds to, read by the rule like a recorder. */
  private static final class Counting implements Signal {
    private final String name;
    long total;
    long failures;

    Counting(String name) {
      this.name = name;
    }

    @Override public String name() { return name; }
    @Override public Duration sampleInterval() { return Duration.ofMillis(20); }
    @Override public Observations observe(Instant now) { return Observations.counts(name, now, total, failures, ""); }
  }

  /** {@code aaShare}: the fraction of the A/A runs this setting runs (the tuning variants run fewer or none). */
  private record Setting(double share, double alpha, double ratio, double aaShare) {
    Trigger make(Signal b, Signal c) {
      return Trigger.canarySequential(b, c).falseAlarmProbability(alpha).detectingRatio(ratio);
    }

    String label() {
      return String.format("canarySequential α=%s r=%s, canary %.0f%%", alpha, ratio, share * 100);
    }
  }

  static void run(int canaryRuns, int aaRuns) {
    System.out.printf("%nsmall regression: %d requests/s, canary 2%% errors vs baseline 1%% (%d runs); A/A: both at 1%%, %d runs"
        + " of one simulated hour; evaluation every 250 ms + on each failure%n", RATE, canaryRuns, aaRuns);
    Setting[] settings = {new Setting(0.10, 0.001, 2, 1), new Setting(0.50, 0.001, 2, 1), new Setting(0.10, 0.001, 1.5, 0),
        new Setting(0.10, 0.001, 3, 0), new Setting(0.10, 0.01, 2, 0.2), new Setting(0.10, 0.05, 2, 0.2)};
    for (Setting s : settings) {
      long started = System.nanoTime();
      long[] served = new long[canaryRuns];
      int missed = 0;
      for (int run = 0; run < canaryRuns; run++) {
        long n = simulate(s, new SplittableRandom(10_000L + run), 0.02, HOUR_NANOS);
        if (n < 0) missed++;
        served[run] = n < 0 ? Long.MAX_VALUE : n;
      }
      Arrays.sort(served);
      int falseRollbacks = 0;
      int settingAaRuns = (int) Math.round(aaRuns * s.aaShare());
      for (int run = 0; run < settingAaRuns; run++) {
        if (simulate(s, new SplittableRandom(20_000_000L + run), 0.01, HOUR_NANOS) >= 0) falseRollbacks++;
      }
      System.out.printf("%-52s canary requests before ROLL_BACK p50 %s, p95 %s, p99 %s, max %s (p95 at 500 req/s: %s);"
              + " not detected within the hour: %d of %d; A/A false rollbacks: %d of %d (%.1f s)%n",
          s.label(), fmt(pct(served, 0.5)), fmt(pct(served, 0.95)), fmt(pct(served, 0.99)), fmt(served[canaryRuns - 1]),
          pct(served, 0.95) == Long.MAX_VALUE ? "-" : String.format("%.1f s", pct(served, 0.95) / (RATE * s.share())),
          missed, canaryRuns, falseRollbacks, settingAaRuns, (System.nanoTime() - started) / 1e9);
    }
    for (double share : new double[] {0.10, 0.50}) {
      long[] served = new long[canaryRuns];
      for (int run = 0; run < canaryRuns; run++) {
        long n = flagger(share, new SplittableRandom(10_000L + run), 0.02, HOUR_NANOS, Integer.MAX_VALUE);
        served[run] = n < 0 ? Long.MAX_VALUE : n;
      }
      Arrays.sort(served);
      int inHour = 0;
      int inFirstFive = 0;
      for (int run = 0; run < aaRuns; run++) {
        SplittableRandom rnd = new SplittableRandom(20_000_000L + run);
        if (flagger(share, rnd.split(), 0.01, HOUR_NANOS, Integer.MAX_VALUE) >= 0) inHour++;
        if (flagger(share, rnd.split(), 0.01, HOUR_NANOS, 5) >= 0) inFirstFive++;
      }
      System.out.printf("%-52s canary requests before rollback p50 %s, p95 %s (%.0f s); A/A false rollbacks: %d of %d in an hour,"
              + " %d of %d within one 5-check analysis%n",
          String.format("Flagger default (5 × 60 s, success ≥ 99%%), canary %.0f%%", share * 100), fmt(pct(served, 0.5)),
          fmt(pct(served, 0.95)), pct(served, 0.95) / (RATE * share), inHour, aaRuns, inFirstFive, aaRuns);
    }
  }

  private static String fmt(long n) {
    return n == Long.MAX_VALUE ? "never" : String.format("%,d", n);
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Canary requests served when the rule fired, or -1 if it did not within {@code limit}. */
  private static long simulate(Setting s, SplittableRandom rnd, double canaryErrors, long limit) {
    Counting b = new Counting("baseline");
    Counting c = new Counting("canary");
    Trigger.Evaluator t = s.make(b, c).newEvaluator();
    t.evaluate(START);
    long nextTick = TICK_NANOS;
    for (long now = 0; now < limit; now += STEP_NANOS) {
      if (now >= nextTick) {
        if (t.evaluate(START.plusNanos(now)).verdict() == Verdict.ROLL_BACK) return c.total;
        nextTick += TICK_NANOS;
      }
      Counting side = rnd.nextDouble() < s.share() ? c : b;
      side.total++;
      if (rnd.nextDouble() < (side == c ? canaryErrors : 0.01)) {
        side.failures++;
        if (t.evaluate(START.plusNanos(now)).verdict() == Verdict.ROLL_BACK) return c.total;
      }
    }
    return -1;
  }

  /** Flagger's analysis on the canary's success rate: canary requests served at the rollback, or -1. */
  private static long flagger(double share, SplittableRandom rnd, double canaryErrors, long limit, int maxChecks) {
    long total = 0;
    long windowRequests = 0;
    long windowFailures = 0;
    int failedChecks = 0;
    int checks = 0;
    long nextCheck = FLAGGER_INTERVAL_NANOS;
    for (long now = 0; now < limit && checks < maxChecks; now += STEP_NANOS) {
      if (now >= nextCheck) {
        checks++;
        double successRate = 100.0 * (windowRequests - windowFailures) / Math.max(1, windowRequests);
        if (successRate < 99) failedChecks++;
        if (failedChecks >= 5) return total;
        windowRequests = 0;
        windowFailures = 0;
        nextCheck += FLAGGER_INTERVAL_NANOS;
      }
      boolean canary = rnd.nextDouble() < share;
      boolean failed = rnd.nextDouble() < (canary ? canaryErrors : 0.01);
      if (canary) {
        total++;
        windowRequests++;
        if (failed) windowFailures++;
      }
    }
    return -1;
  }
}
