package dev.rollback.micrometer.bench;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

/**
 * Detection on virtual time: a service at 500 requests/s with 1% background errors turns to 100%
 * errors. Rules are evaluated as a {@code Guard} evaluates them: every 250 ms and right after each
 * failed request (the recorder's wake-up). Reports, over N runs, the bad responses served before
 * ROLL_BACK and the time to fire; then simulates days at 1% background errors and counts false fires.
 *
 * <p>Then the small regression: a baseline and a canary behind one 500 requests/s service, the
 * canary failing 2% of its requests against the baseline's 1%, judged by
 * {@code Trigger.canarySequential}: canary requests served before ROLL_BACK over N runs, and
 * false rollbacks over M A/A runs of one simulated hour (both sides at 1%), next to Flagger's
 * default analysis (a success-rate check every 60 s, minimum 99%, rollback at 5 failed checks)
 * on the same traffic.
 *
 * <p>Args: [runs=200] [days=3] [canaryRuns=1000] [aaRuns=1000]. Not part of {@code mvn verify}:
 * {@code scripts/bench/detection.sh}.
 */
public final class DetectionBenchmark {
  private static final int RATE = 500;
  private static final long STEP_NANOS = 1_000_000_000L / RATE;
  private static final long TICK_NANOS = 250_000_000L;
  private static final double BACKGROUND = 0.01;

  private DetectionBenchmark() {}

  record Rule(String name, Function<RequestRecorder, Trigger> make) {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int days = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int canaryRuns = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int aaRuns = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
    if (days > 0) sudden(runs, days);
    CanaryBenchmark.run(canaryRuns, aaRuns);
  }

  private static void sudden(int runs, int days) {
    Rule[] rules = {
        new Rule("sequential (defaults: p0 1%, p1 10%, h = ln 1e8)", Trigger::sequential),
        new Rule("error ratio > 5% over 30 s, min 50 samples", r -> Trigger.errorRatio(r).above(0.05).over(Duration.ofSeconds(30)).minSamples(50)),
    };
    System.out.printf("service: %d requests/s, %.0f%% background errors, then 100%% errors; evaluation every 250 ms + on each failure%n",
        RATE, BACKGROUND * 100);
    for (Rule rule : rules) {
      long[] bad = new long[runs];
      long[] millis = new long[runs];
      int earlyFires = 0;
      for (int run = 0; run < runs; run++) {
        Random rnd = new Random(1000L + run);
        long healthyNanos = (20 + rnd.nextInt(40)) * 1_000_000_000L;
        long[] out = detect(rule, rnd, healthyNanos);
        if (out[0] < 0) earlyFires++;
        bad[run] = Math.max(0, out[0]);
        millis[run] = Math.max(0, out[1]);
      }
      Arrays.sort(bad);
      Arrays.sort(millis);
      System.out.printf("%-52s runs %d: bad responses before ROLL_BACK p50 %d, p99 %d, max %d; time to fire p50 %d ms, p99 %d ms;"
              + " fired before the failure in %d runs%n",
          rule.name(), runs, pct(bad, 0.5), pct(bad, 0.99), bad[runs - 1], pct(millis, 0.5), pct(millis, 0.99), earlyFires);
    }
    for (Rule rule : rules) {
      long fires = falseFires(rule, days);
      System.out.printf("%-52s false fires over %d simulated days at 1%% errors (%,d requests): %d (%.2f per day)%n",
          rule.name(), days, (long) days * 86_400L * RATE, fires, fires / (double) days);
    }
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Returns {bad responses served before ROLL_BACK (-1 if it fired while healthy), time to fire in ms}. */
  private static long[] detect(Rule rule, Random rnd, long healthyNanos) {
    RequestRecorder r = RequestRecorder.create("checkout", RATE);
    Trigger.Evaluator t = rule.make().apply(r).newEvaluator();
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    t.evaluate(start);
    long nextTick = TICK_NANOS;
    long badServed = 0;
    for (long now = 0; now < healthyNanos + 120_000_000_000L; now += STEP_NANOS) {
      while (nextTick <= now) {
        if (t.evaluate(start.plusNanos(nextTick)).verdict() == Verdict.ROLL_BACK) {
          return nextTick < healthyNanos ? new long[] {-1, 0} : new long[] {badServed, (nextTick - healthyNanos) / 1_000_000};
        }
        nextTick += TICK_NANOS;
      }
      boolean failing = now >= healthyNanos;
      boolean failed = failing || rnd.nextDouble() < BACKGROUND;
      if (failed) {
        r.failure(5_000_000);
        if (failing) badServed++;
        Evaluation e = t.evaluate(start.plusNanos(now));
        if (e.verdict() == Verdict.ROLL_BACK) {
          return failing ? new long[] {badServed, (now - healthyNanos) / 1_000_000} : new long[] {-1, 0};
        }
      } else {
        r.success(5_000_000);
      }
    }
    return new long[] {badServed, 120_000};
  }

  private static long falseFires(Rule rule, int days) {
    Random rnd = new Random(7);
    long fires = 0;
    RequestRecorder r = RequestRecorder.create("checkout", RATE);
    Trigger trigger = rule.make().apply(r);
    Trigger.Evaluator t = trigger.newEvaluator();
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    t.evaluate(start);
    long end = days * 86_400L * 1_000_000_000L;
    long nextTick = TICK_NANOS;
    // the gap to the next failure is geometric: skip the successes in between in one go
    long now = 0;
    while (now < end) {
      long gap = (long) Math.floor(Math.log(1 - rnd.nextDouble()) / Math.log(1 - BACKGROUND));
      long failAt = now + gap * STEP_NANOS;
      while (nextTick <= Math.min(failAt, end)) {
        long successes = (nextTick - now) / STEP_NANOS;
        for (long i = 0; i < successes; i++) r.success(5_000_000);
        now += successes * STEP_NANOS;
        if (t.evaluate(start.plusNanos(nextTick)).verdict() == Verdict.ROLL_BACK) {
          fires++;
          t = trigger.newEvaluator(); // as a guard armed again would
        }
        nextTick += TICK_NANOS;
      }
      if (failAt >= end) break;
      long successes = (failAt - now) / STEP_NANOS;
      for (long i = 0; i < successes; i++) r.success(5_000_000);
      now = failAt;
      r.failure(5_000_000);
      now += STEP_NANOS;
      if (t.evaluate(start.plusNanos(failAt)).verdict() == Verdict.ROLL_BACK) {
        fires++;
        t = trigger.newEvaluator(); // as a guard armed again would
      }
    }
    return fires;
  }
}
