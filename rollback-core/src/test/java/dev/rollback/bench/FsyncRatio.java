package dev.rollback.bench;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.FileJournal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The file journal's cost per step as a multiple of one bare fsync, robust to a disk whose speed
 * drifts: alternates a 200-step no-op plan on the file journal with 400 bare write+force calls (2 per step) on the same disk and reports the median ratio of the pairs.
 * Usage: FsyncRatio DIR PAIRS (run by scripts/bench/core.sh ratio).
 */
public class FsyncRatio {
  public static void main(String[] a) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(a[0]), "fsync");
    // verified, as a real plan is (without a check every run logs that nothing defines "recovered")
    RollbackPlan.Builder b = RollbackPlan.builder("noop").verifiedBy(HealthCheck.constant("bench", HealthStatus.UP));
    b.sequential("all", s -> { for (int i = 0; i < 200; i++) s.step(Step.of("s" + i, ctx -> { })); });
    RollbackPlan plan = b.build();
    List<Double> ratios = new ArrayList<>(); List<Double> steps = new ArrayList<>(); List<Double> forces = new ArrayList<>();
    try (FileJournal j = FileJournal.create(dir.resolve("j")); RollbackEngine e = RollbackEngine.builder().withJournal(j).build();
         FileChannel bare = FileChannel.open(dir.resolve("bare"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer rec = ByteBuffer.wrap(new byte[180]);
      for (int r = 0; r < Integer.parseInt(a[1]); r++) {
        long t0 = System.nanoTime();
        e.run(plan, Deployment.of("bench", "1"));
        double perStep = (System.nanoTime() - t0) / 1000.0 / 200;
        long t1 = System.nanoTime();
        for (int i = 0; i < 400; i++) { rec.rewind(); bare.write(rec); bare.force(false); }
        double perForce = (System.nanoTime() - t1) / 1000.0 / 400;
        if (r > 0) { steps.add(perStep); forces.add(perForce); ratios.add(perStep / perForce); }
      }
    }
    Collections.sort(ratios); Collections.sort(steps); Collections.sort(forces);
    System.out.printf("per step %.0f us (median), one fsync %.0f us (median), ratio median %.2f, min %.2f, max %.2f over %d pairs%n",
        steps.get(steps.size()/2), forces.get(forces.size()/2), ratios.get(ratios.size()/2), ratios.get(0), ratios.get(ratios.size()-1), ratios.size());
  }
}
