package dev.rollback.bench;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Engine overhead per step as CPU time of the thread that runs the plan: a 1,000-step plan of no-op
 * steps on the in-memory journal, run on the calling thread ({@code engine.run}), so the figure is
 * the engine's own work whatever else the machine does (other processes take wall time, not this
 * thread's CPU time). Complements {@link EngineBenchmark}'s wall-clock figure, which needs a quiet
 * machine. Usage: {@code scripts/bench/core.sh cpu [runs]}.
 */
public final class StepCpuTime {
  private StepCpuTime() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    RollbackPlan plan = EngineBenchmark.noopPlan();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    com.sun.management.ThreadMXBean alloc = (com.sun.management.ThreadMXBean) mx;
    long self = Thread.currentThread().getId();
    List<Double> perStep = new ArrayList<>();
    List<Long> bytes = new ArrayList<>();
    for (int run = 0; run < runs; run++) {
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
        long b0 = alloc.getThreadAllocatedBytes(self);
        long t0 = mx.getCurrentThreadCpuTime();
        RunOutcome o = engine.run(plan, Deployment.of("bench", "1")).outcome();
        long t1 = mx.getCurrentThreadCpuTime();
        long b1 = alloc.getThreadAllocatedBytes(self);
        if (o != RunOutcome.RECOVERED) throw new IllegalStateException("run ended " + o);
        if (run >= runs / 2) {
          perStep.add((t1 - t0) / 1000.0 / EngineBenchmark.STEPS);
          bytes.add((b1 - b0) / EngineBenchmark.STEPS);
        }
      }
    }
    Collections.sort(perStep);
    System.out.printf("CPU time per step, in-memory journal, %d measured runs of %d steps (after %d warm-up runs):%n",
        perStep.size(), EngineBenchmark.STEPS, runs - perStep.size());
    System.out.printf("  min %.2f us, p25 %.2f us, median %.2f us, p75 %.2f us%n", perStep.get(0),
        perStep.get(perStep.size() / 4), perStep.get(perStep.size() / 2), perStep.get(perStep.size() * 3 / 4));
    Collections.sort(bytes);
    System.out.printf("  allocated by the running thread per step: median %d bytes%n", bytes.get(bytes.size() / 2));
  }
}
