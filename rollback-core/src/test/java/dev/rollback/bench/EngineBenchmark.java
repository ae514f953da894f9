package dev.rollback.bench;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Per-step engine overhead: a 1,000-step plan of no-op steps, per step (OperationsPerInvocation),
 * with the in-memory journal (same codec as the file journal) and with the file journal (two
 * forced records per step), next to one bare {@link FileChannel#force} of a record-sized write on
 * the same disk in the same run. Run with {@code scripts/bench/core.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class EngineBenchmark {
  static final int STEPS = 1000;

  RollbackPlan plan;
  RollbackEngine memoryEngine;
  RollbackEngine fileEngine;
  FileJournal fileJournal;
  Path dir;
  FileChannel bare;
  final ByteBuffer record = ByteBuffer.wrap(new byte[180]);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    plan = noopPlan();
    memoryEngine = RollbackEngine.builder().withJournal(memoryJournal).build();
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")), "bench");
    fileJournal = FileJournal.create(dir.resolve("journal"));
    fileEngine = RollbackEngine.builder().withJournal(fileJournal).build();
    bare = FileChannel.open(dir.resolve("bare"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /**
   * Each 1,000-step run starts on an empty in-memory journal: a journal that kept every run of the
   * benchmark would measure the garbage collector copying hundreds of megabytes, not the engine.
   */
  @Setup(Level.Invocation)
  public void freshMemoryJournal() {
    memoryJournal.inner = InMemoryJournal.create();
  }

  /** An in-memory journal the benchmark can empty between runs without building a new engine. */
  static final class Swappable implements dev.rollback.journal.Journal {
    volatile InMemoryJournal inner = InMemoryJournal.create();

    @Override public void append(dev.rollback.journal.JournalRecord r) { inner.append(r); }
    @Override public dev.rollback.journal.JournalRead read(String runId) { return inner.read(runId); }
    @Override public java.util.List<String> runIds() { return inner.runIds(); }
  }

  final Swappable memoryJournal = new Swappable();

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    memoryEngine.close();
    fileEngine.close();
    fileJournal.close();
    bare.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  @OperationsPerInvocation(STEPS)
  public RollbackResult stepWithInMemoryJournal() {
    return check(memoryEngine.run(plan, Deployment.of("bench", "1")));
  }

  @Benchmark
  @OperationsPerInvocation(STEPS)
  public RollbackResult stepWithFileJournal() {
    return check(fileEngine.run(plan, Deployment.of("bench", "1")));
  }

  /** One record-sized write and one force: the floor for one durable record. */
  @Benchmark
  public int bareFsync() throws IOException {
    record.rewind();
    int n = bare.write(record);
    bare.force(false);
    return n;
  }

  private static RollbackResult check(RollbackResult r) {
    if (r.outcome() != RunOutcome.RECOVERED) throw new IllegalStateException("benchmark run ended " + r.outcome());
    return r;
  }

  /**
   * The plan both engine benchmarks run: {@link #STEPS} no-op steps in one sequential stage, verified by
   * a constant check (as a real plan is: without one, every run logs that nothing defines "recovered").
   */
  static RollbackPlan noopPlan() {
    RollbackPlan.Builder b = RollbackPlan.builder("noop")
        .verifiedBy(HealthCheck.constant("bench", HealthStatus.UP));
    b.sequential("all", s -> {
      for (int i = 0; i < STEPS; i++) s.step(Step.of("s" + i, ctx -> { }));
    });
    return b.build();
  }
}
