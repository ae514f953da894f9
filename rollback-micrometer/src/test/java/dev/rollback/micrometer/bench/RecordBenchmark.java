package dev.rollback.micrometer.bench;

import dev.rollback.detect.RequestRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link RequestRecorder#record} next to Micrometer's {@code Counter.increment()} (and, for
 * reference, {@code Timer.record}) in the same run; run with {@code -t 1}, {@code -t 2}, {@code -t 4}.
 * Not part of {@code mvn verify}: {@code scripts/bench/detection.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RecordBenchmark {
  private final RequestRecorder recorder = RequestRecorder.create("bench");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Counter counter = registry.counter("bench.requests");
  private final Timer timer = registry.timer("bench.latency");

  /** Per-thread latency values, so the recorder's bucket varies like real requests. */
  @State(Scope.Thread)
  public static class Latency {
    long i;

    long next() {
      return 1_000_000L + ((i++ * 7919) & 0xFFFFF);
    }
  }

  @Benchmark
  public void recorderRecord(Latency l) {
    recorder.record(RequestRecorder.Outcome.SUCCESS, l.next());
  }

  @Benchmark
  public void micrometerCounterIncrement() {
    counter.increment();
  }

  @Benchmark
  public void micrometerTimerRecord(Latency l) {
    timer.record(l.next(), TimeUnit.NANOSECONDS);
  }
}
