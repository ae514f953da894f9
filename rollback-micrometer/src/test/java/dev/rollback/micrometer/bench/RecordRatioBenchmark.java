package dev.rollback.micrometer.bench;

import dev.rollback.detect.RequestRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;

/**
 * {@link RequestRecorder#record} against Micrometer's {@code Counter.increment()}, interleaved:
 * short rounds of one, then the other, many times, from N threads each, so that a machine whose
 * load drifts (other builds on a shared box) slows both sides alike. Reports each side's median
 * throughput and the median and range of the per-pair ratio recorder / counter (≥ 1 means the
 * recorder is no slower). JMH's {@code RecordBenchmark} measures the same calls one after the
 * other; this one exists because on a loaded machine its error bars were as wide as the scores.
 *
 * <p>Usage: {@code RecordRatioBenchmark [threads=1] [pairs=30] [roundMillis=200] [varying|constant|same-inputs]}
 * ({@code varying}: each call a different latency, so the bucket moves as with real requests, and
 * only the recorder's side computes it; {@code constant}: always the same bucket;
 * {@code same-inputs}: as varying, and the counter's side computes the same latency too, so the
 * two sides differ only in the call); run by
 * {@code scripts/bench/detection.sh}.
 */
public final class RecordRatioBenchmark {

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    long roundNanos = (args.length > 2 ? Long.parseLong(args[2]) : 200) * 1_000_000L;
    String mode = args.length > 3 ? args[3] : "varying";
    if (!mode.equals("varying") && !mode.equals("constant") && !mode.equals("same-inputs")) {
      throw new IllegalArgumentException("mode must be varying, constant or same-inputs: " + mode);
    }
    boolean varying = !mode.equals("constant");

    RequestRecorder recorder = RequestRecorder.create("bench");
    Counter counter = new SimpleMeterRegistry().counter("bench.requests");
    // the latency is derived from the loop counter (a register), not from a per-call store to memory:
    // a store before each locked instruction would cost the recorder's side more than the call itself
    Op[] perThreadRecord = new Op[threads];
    Arrays.fill(perThreadRecord, varying
        ? (RecordOp) k -> {
          recorder.record(RequestRecorder.Outcome.SUCCESS, 1_000_000L + ((k * 7919) & 0xFFFFF));
          return 0;
        }
        : (RecordOp) k -> {
          recorder.record(RequestRecorder.Outcome.SUCCESS, 1_500_000L);
          return 0;
        });
    Op[] perThreadCount = new Op[threads];
    Arrays.fill(perThreadCount, mode.equals("same-inputs")
        // the counter's side computes the same latency as the recorder's and hands it back to the
        // loop, which folds every op's result into a register on both sides; so the two sides run
        // the same harness code and differ only in the call
        ? (Op) k -> {
          counter.increment();
          return 1_000_000L + ((k * 7919) & 0xFFFFF);
        }
        : (Op) k -> {
          counter.increment();
          return 0;
        });

    // warm-up: both sides, long enough for the JIT
    for (int w = 0; w < 5; w++) {
      round(perThreadRecord, roundNanos);
      round(perThreadCount, roundNanos);
    }
    double[] rec = new double[pairs];
    double[] cnt = new double[pairs];
    double[] ratio = new double[pairs];
    for (int p = 0; p < pairs; p++) {
      // alternate which side goes first so neither always gets the fresher CPU
      if (p % 2 == 0) {
        rec[p] = round(perThreadRecord, roundNanos);
        cnt[p] = round(perThreadCount, roundNanos);
      } else {
        cnt[p] = round(perThreadCount, roundNanos);
        rec[p] = round(perThreadRecord, roundNanos);
      }
      ratio[p] = rec[p] / cnt[p];
    }
    long recorded = recorder.observe(java.time.Instant.EPOCH).total();
    if (recorded <= 0) throw new IllegalStateException("the recorder counted nothing");
    System.out.printf(Locale.ROOT,
        "%s, threads %d, %d interleaved pairs of %d ms: recorder median %.1f ops/us, Counter.increment median %.1f ops/us;"
            + " ratio recorder/counter median %.2f (range %.2f-%.2f, %d of %d pairs >= 1.0)%n",
        mode.equals("same-inputs") ? "varying latency, same inputs on both sides" : mode + " latency", threads, pairs, roundNanos / 1_000_000, median(rec), median(cnt), median(ratio), min(ratio), max(ratio),
        Arrays.stream(ratio).filter(r -> r >= 1.0).count(), pairs);
  }

  /**
   * Runs {@code ops[t]} on worker thread {@code t} for {@code nanos}; returns the total ops per
   * microsecond. The workers live for the whole benchmark, as a server's request threads do.
   */
  /** One call; {@code k} counts the calls of this thread. What it returns is folded into a register by the loop. */
  interface Op {
    long run(long k);
  }

  /** The recorder's side (timed by its own loop). */
  interface RecordOp extends Op {}

  private static double round(Op[] ops, long nanos) throws Exception {
    return Workers.of(ops.length).run(ops, nanos);
  }

  /** A fixed set of threads that run one round at a time. */
  private static final class Workers {
    private static Workers instance;
    private final int n;
    private final java.util.concurrent.Semaphore go = new java.util.concurrent.Semaphore(0);
    private final java.util.concurrent.Semaphore done = new java.util.concurrent.Semaphore(0);
    private volatile Op[] ops;
    private volatile long nanos;
    private final long[] counts;
    private final long[] elapsed;
    private volatile CyclicBarrier start;
    private volatile long sink;

    static synchronized Workers of(int n) {
      if (instance == null) instance = new Workers(n);
      return instance;
    }

    private Workers(int n) {
      this.n = n;
      this.counts = new long[n];
      this.elapsed = new long[n];
      for (int t = 0; t < n; t++) {
        int idx = t;
        Thread th = new Thread(() -> loop(idx), "bench-worker-" + t);
        th.setDaemon(true);
        th.start();
      }
    }

    private void loop(int idx) {
      while (true) {
        go.acquireUninterruptibly();
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        Op op = ops[idx];
        // each side runs its own copy of the timing loop, so the JIT profiles and compiles the call
        // to op.run for that side alone (as JMH does per benchmark method); one shared loop saw both
        // sides' ops at one call site
        long[] r = op instanceof RecordOp ? timeRecord(op, nanos) : timeCount(op, nanos);
        counts[idx] = r[0];
        elapsed[idx] = r[1];
        done.release();
      }
    }

    private long[] timeRecord(Op op, long nanos) {
      long t0 = System.nanoTime();
      long deadline = t0 + nanos;
      long count = 0;
      long folded = 0;
      long now;
      do {
        for (int k = 0; k < 1024; k++) folded ^= op.run(count + k);
        count += 1024;
      } while ((now = System.nanoTime()) < deadline);
      sink ^= folded; // one write per round keeps the results alive
      return new long[] {count, now - t0};
    }

    private long[] timeCount(Op op, long nanos) {
      long t0 = System.nanoTime();
      long deadline = t0 + nanos;
      long count = 0;
      long folded = 0;
      long now;
      do {
        for (int k = 0; k < 1024; k++) folded ^= op.run(count + k);
        count += 1024;
      } while ((now = System.nanoTime()) < deadline);
      sink ^= folded;
      return new long[] {count, now - t0};
    }

    double run(Op[] ops, long nanos) {
      this.ops = ops;
      this.nanos = nanos;
      this.start = new CyclicBarrier(n);
      go.release(n);
      done.acquireUninterruptibly(n);
      long total = Arrays.stream(counts).sum();
      long maxElapsed = Arrays.stream(elapsed).max().orElse(1);
      return total / (maxElapsed / 1000.0);
    }
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double min(double[] xs) {
    return Arrays.stream(xs).min().orElse(Double.NaN);
  }

  private static double max(double[] xs) {
    return Arrays.stream(xs).max().orElse(Double.NaN);
  }
}
