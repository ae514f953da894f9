package dev.rollback.jdbc.pitr;

import dev.rollback.Step;
import dev.rollback.jdbc.Fingerprint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Tests the backups themselves: creates a restore point now (fingerprinting the named tables
 * exactly at it), recovers the latest base backup plus the archived WAL up to it into a scratch
 * directory, compares the recovered tables with those fingerprints, reports how long it took, and
 * stops and deletes the scratch copy. A mismatch or a recovery that fails is the drill's finding.
 */
public final class BackupDrill {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
  private final PointInTimeRecovery pitr;
  private final List<String> tables;

  BackupDrill(PointInTimeRecovery pitr, List<String> tables) {
    this.pitr = pitr;
    this.tables = List.copyOf(tables);
  }

  /**
   * What a drill found.
   *
   * @param recovery from the start of the copy to the recovered server accepting connections
   * @param total the whole drill, restore point to comparison
   * @param mismatches the tables whose recovered rows differ from the live ones at the restore point
   */
  public record Report(RestorePoint restorePoint, BaseBackup backup, Duration recovery, Duration total, List<String> matched,
      List<String> mismatches) {
    public Report {
      matched = List.copyOf(matched);
      mismatches = List.copyOf(mismatches);
    }

    public boolean passed() {
      return mismatches.isEmpty();
    }

    public String summary() {
      return "backup drill: base backup " + backup.name() + " + WAL recovered to " + restorePoint.name() + " in "
          + recovery.toMillis() + " ms (" + total.toMillis() + " ms in all); "
          + (passed() ? "every table matches: " + String.join(", ", matched) : "MISMATCH: " + String.join("; ", mismatches));
    }
  }

  /** Runs the drill. */
  public Report run() {
    return run(Progress.logOnly());
  }

  /** The drill as a step: fails when a table does not match; its report is the step's note. */
  public Step step() {
    return Step.builder("backup drill")
        .execute(ctx -> {
          Report r = run(Progress.of(ctx));
          if (!r.passed()) throw new PitrException(r.summary());
        })
        .describedAs("restore the latest base backup and WAL to a scratch copy and compare " + String.join(", ", tables))
        .build();
  }

  Report run(Progress progress) {
    long t0 = System.nanoTime();
    String name = "drill-" + STAMP.format(pitr.clock.instant());
    RestorePoint rp = pitr.createRestorePoint(name, tables.toArray(String[]::new));
    PointInTimeRecovery.Start start = pitr.startFor(RecoveryTarget.restorePoint(name));
    RecoveredInstance inst = pitr.instance(name);
    long t1 = System.nanoTime();
    try {
      inst.recover(start.backup(), RecoveryTarget.restorePoint(name), start.timeline(), pitr.restoreCommand,
          pitr.bytesNeeded(start.backup()), progress);
      Duration recovery = Duration.ofNanos(System.nanoTime() - t1);
      List<String> matched = new ArrayList<>();
      List<String> mismatches = new ArrayList<>();
      try (Connection c = inst.connect(rp.database())) {
        for (var e : rp.fingerprints().entrySet()) {
          Fingerprint now = Fingerprint.of(c, e.getKey());
          if (now.matches(e.getValue())) {
            matched.add(e.getKey() + " (" + now.rows() + " rows)");
          } else {
            mismatches.add(e.getKey() + ": " + e.getValue().rows() + " rows live at the restore point, " + now.rows()
                + " recovered, " + now.differingBuckets(e.getValue()).size() + " key buckets differ");
          }
        }
      } catch (SQLException e) {
        throw new PitrException("backup drill: cannot read the recovered copy: " + e.getMessage(), e);
      }
      Report r = new Report(rp, start.backup(), recovery, Duration.ofNanos(System.nanoTime() - t0), matched, mismatches);
      progress.note(r.summary());
      return r;
    } finally {
      discard(inst);
    }
  }

  private static void discard(RecoveredInstance inst) {
    try {
      inst.stop();
    } finally {
      try {
        if (inst.server().runningPid().isEmpty()) RecoveredInstance.deleteTree(inst.dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the drill's scratch copy " + inst.dir, e);
      }
    }
  }

}
