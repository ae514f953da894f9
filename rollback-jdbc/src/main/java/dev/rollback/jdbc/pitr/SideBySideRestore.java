package dev.rollback.jdbc.pitr;

import dev.rollback.Step;
import dev.rollback.jdbc.Fingerprint;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Recovers a copy of the cluster next to the live one (base backup + WAL up to the target, in its
 * own directory, on a free 127.0.0.1 port), checks it against the fingerprints taken at the
 * restore point, and copies back only the tables or rows named. The live database keeps every
 * other write: other tables are not touched, rows inserted since stay (unless
 * {@link Builder#removingRowsInsertedSince()}), and every live row the copy overwrites, re-inserts or
 * removes is first written to an export file (JSON lines). Resumable: as a step, or run again with
 * the same name, it continues where it stopped (a table already copied is not copied again).
 */
public final class SideBySideRestore {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
  private final PointInTimeRecovery pitr;
  private final RecoveryTarget target;
  private final String name;
  private final List<Copy> copies;
  private final List<String> verifying;
  private final boolean removeLater;
  private final boolean keepRunning;
  private final @Nullable Path exportDirectory;

  private SideBySideRestore(Builder b) {
    this.pitr = b.pitr;
    this.target = b.target;
    this.name = b.name == null ? defaultName(b.target) : b.name;
    this.copies = List.copyOf(b.copies);
    this.verifying = List.copyOf(b.verifying);
    this.removeLater = b.removeLater;
    this.keepRunning = b.keepRunning;
    this.exportDirectory = b.exportDirectory;
  }

  static String defaultName(RecoveryTarget target) {
    String n;
    if (target instanceof RecoveryTarget.Named r) {
      n = "to-" + r.name();
    } else if (target instanceof RecoveryTarget.Lsn l) {
      n = "to-lsn-" + l.lsn().replace('/', '-');
    } else {
      n = "to-time-" + ((RecoveryTarget.Time) target).time().getEpochSecond();
    }
    return n.length() <= 63 ? n : n.substring(0, 63);
  }

  /** What to copy back: a whole table, or its rows a condition selects. */
  record Copy(String table, @Nullable String condition) {}

  /** What the copy did to one live table. {@code exportFile} is absent when no live row was changed. */
  public record TableResult(String table, @Nullable String condition, long rowsRecovered, long overwritten, long reinserted,
      long removed, long keptInsertedSince, @Nullable Path exportFile) {
    public Optional<Path> export() {
      return Optional.ofNullable(exportFile);
    }

    public String summary() {
      return table + (condition == null ? "" : " where " + condition) + ": " + rowsRecovered + " rows at the target, "
          + overwritten + " live rows overwritten, " + reinserted + " re-inserted, " + removed + " removed, "
          + keptInsertedSince + " inserted since kept" + (exportFile == null ? "" : "; the live rows changed are in " + exportFile);
    }
  }

  /** The outcome: where the copy is, how long recovery and copying took, what each table got. */
  public record Result(Path directory, Duration recovery, Duration verification, Duration copying, List<TableResult> tables) {
    public Result {
      tables = List.copyOf(tables);
    }
  }

  public String name() {
    return name;
  }

  /** The directory the recovered copy lives in. */
  public Path directory() {
    return pitr.workDirectory.resolve(name);
  }

  /** Runs the restore now (or continues it), outside an engine run. */
  public Result run() {
    return run(Progress.logOnly());
  }

  /**
   * The restore as an idempotent step: every phase (copy, recovery, verification, each table) is
   * journaled as a checkpoint and a note, and a resume continues after the last one done.
   */
  public Step step() {
    return Step.builder("restore " + name)
        .execute(ctx -> run(Progress.of(ctx)))
        .idempotent()
        .describedAs("recover a copy to " + target.describe() + " next to the live database and copy back "
            + String.join(", ", copies.stream().map(c -> c.table() + (c.condition() == null ? "" : " where " + c.condition())).toList())
            + (removeLater ? ", removing rows inserted since" : ", keeping rows inserted since")
            + "; overwritten live rows are exported first")
        .build();
  }

  Result run(Progress progress) {
    PointInTimeRecovery.Start start = pitr.startFor(target);
    RecoveredInstance inst = pitr.instance(name);
    long t0 = System.nanoTime();
    inst.recover(start.backup(), target, start.timeline(), pitr.restoreCommand, pitr.bytesNeeded(start.backup()), progress);
    Duration recovery = Duration.ofNanos(System.nanoTime() - t0);
    long t1 = System.nanoTime();
    verify(inst, start.restorePoint(), progress);
    Duration verification = Duration.ofNanos(System.nanoTime() - t1);
    long t2 = System.nanoTime();
    List<TableResult> results = new ArrayList<>();
    String db = start.restorePoint().map(RestorePoint::database).orElse(pitr.login.database());
    try (Connection rec = inst.connect(db); Connection live = pitr.live(db)) {
      try (java.sql.Statement st = live.createStatement()) {
        st.execute("SET temp_buffers = '256MB'"); // this session's staging table stays in memory (before its first temp table)
      }
      for (Copy c : copies) {
        String key = "copied " + c.table() + (c.condition() == null ? "" : " where " + c.condition());
        if (progress.checkpoints().containsKey(key) || inst.stateValue(key).isPresent()) {
          progress.note("already copied earlier: " + progress.checkpoints().getOrDefault(key, inst.stateValue(key).orElse("")));
          continue;
        }
        Path export = exportFile(inst, c.table());
        TableResult r;
        try {
          r = TableCopy.copy(rec, live, c.table(), c.condition(), removeLater, export);
        } catch (SQLException e) {
          throw new PitrException("copying " + c.table() + (c.condition() == null ? "" : " where " + c.condition())
              + " back from the copy recovered to " + target.describe() + " failed, nothing of it was changed in the live"
              + " database: " + e.getMessage(), e);
        }
        inst.setStateValue(key, r.summary());
        progress.checkpoint(key, r.summary());
        progress.note("copied back " + r.summary());
        results.add(r);
      }
    } catch (SQLException e) {
      throw new PitrException("cannot connect for the copy back (recovered copy on port " + inst.port() + ", live " + pitr.login
          + "): " + e.getMessage(), e);
    }
    Duration copying = Duration.ofNanos(System.nanoTime() - t2);
    if (!keepRunning) inst.stop();
    return new Result(inst.dir, recovery, verification, copying, results);
  }

  private void verify(RecoveredInstance inst, Optional<RestorePoint> rp, Progress progress) {
    if (inst.stateValue("verified").isPresent()) return;
    Map<String, Fingerprint> expected = new LinkedHashMap<>(rp.map(RestorePoint::fingerprints).orElse(Map.of()));
    List<String> checked = new ArrayList<>();
    List<String> mismatches = new ArrayList<>();
    String db = rp.map(RestorePoint::database).orElse(pitr.login.database());
    try (Connection rec = inst.connect(db)) {
      for (var e : expected.entrySet()) {
        Fingerprint now = Fingerprint.of(rec, e.getKey());
        if (!now.matches(e.getValue())) {
          mismatches.add(e.getKey() + ": " + e.getValue().rows() + " rows at the restore point, " + now.rows()
              + " recovered; " + now.differingBuckets(e.getValue()).size() + " of " + Fingerprint.BUCKETS + " key buckets differ");
        } else {
          checked.add(e.getKey() + " (" + now.rows() + " rows)");
        }
      }
      for (String t : verifying) {
        if (expected.containsKey(t)) continue;
        Fingerprint now = Fingerprint.of(rec, t);
        checked.add(t + " (" + now.rows() + " rows, no fingerprint at the target to compare with)");
      }
    } catch (SQLException e) {
      throw new PitrException("cannot verify the copy recovered to " + target.describe() + ": " + e.getMessage(), e);
    }
    if (!mismatches.isEmpty()) {
      throw new PitrException("the copy recovered to " + target.describe() + " in " + inst.dir + " does not match the"
          + " fingerprints taken at the restore point, so nothing was copied to the live database: " + String.join("; ", mismatches));
    }
    String summary = checked.isEmpty() ? "no fingerprint was taken at " + target.describe() + ": the copy is not verified"
        : "fingerprints match at " + target.describe() + ": " + String.join(", ", checked);
    inst.setStateValue("verified", summary);
    progress.checkpoint("verified", summary);
    progress.note(summary);
  }

  private Path exportFile(RecoveredInstance inst, String table) {
    Path dir = exportDirectory != null ? exportDirectory : inst.dir.resolve("exports");
    String safe = table.replaceAll("[^A-Za-z0-9._-]", "_");
    String stamp = STAMP.format(pitr.clock.instant());
    Path f = dir.resolve(safe + "-" + stamp + ".jsonl");
    for (int n = 2; java.nio.file.Files.exists(f) || java.nio.file.Files.exists(f.resolveSibling(f.getFileName() + ".not-applied")); n++) {
      f = dir.resolve(safe + "-" + stamp + "-" + n + ".jsonl");
    }
    return f;
  }

  /** Configures a {@link SideBySideRestore}. */
  public static final class Builder {
    private final PointInTimeRecovery pitr;
    private final RecoveryTarget target;
    private @Nullable String name;
    private final List<Copy> copies = new ArrayList<>();
    private final List<String> verifying = new ArrayList<>();
    private boolean removeLater;
    private boolean keepRunning;
    private @Nullable Path exportDirectory;

    Builder(PointInTimeRecovery pitr, RecoveryTarget target) {
      this.pitr = pitr;
      this.target = target;
    }

    /** The restore's name: its directory under the work directory, the same on a resume (default from the target). */
    public Builder named(String restoreName) {
      Objects.requireNonNull(restoreName, "restoreName");
      if (!restoreName.matches("[A-Za-z0-9._-]{1,63}")) {
        throw new IllegalArgumentException("restore name must be 1-63 letters, digits, '.', '_' or '-': '" + restoreName + "'");
      }
      this.name = restoreName;
      return this;
    }

    /** Copies the whole table back (as it was at the target). */
    public Builder copyingTable(String table) {
      copies.add(new Copy(requireTable(table), null));
      return this;
    }

    /**
     * Copies back the rows of {@code table} that {@code condition} (SQL over its columns, e.g.
     * {@code id BETWEEN 1 AND 500}) selects in the recovered copy.
     */
    public Builder copyingRowsWhere(String table, String condition) {
      Objects.requireNonNull(condition, "condition");
      if (condition.isBlank()) throw new IllegalArgumentException("condition for " + table + " must not be blank");
      copies.add(new Copy(requireTable(table), condition));
      return this;
    }

    /** Also fingerprints these tables in the recovered copy (compared when the restore point has their fingerprints). */
    public Builder verifying(String... tables) {
      for (String t : tables) verifying.add(requireTable(t));
      return this;
    }

    /**
     * Rows inserted since the target (live, in the copied scope, absent in the recovered copy) are
     * exported and removed, so the scope ends exactly as at the target. Off by default: they stay.
     */
    public Builder removingRowsInsertedSince() {
      this.removeLater = true;
      return this;
    }

    /** Leaves the recovered copy running afterwards (default: stopped; its directory always stays). */
    public Builder keepingCopyRunning() {
      this.keepRunning = true;
      return this;
    }

    /** Where the export files go (default: {@code exports/} in the restore's directory). */
    public Builder withExportDirectory(Path directory) {
      this.exportDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    public SideBySideRestore build() {
      if (copies.isEmpty()) {
        throw new IllegalStateException("a side-by-side restore to " + target.describe()
            + " needs copyingTable(..) or copyingRowsWhere(..): it copies back only what is named");
      }
      return new SideBySideRestore(this);
    }

    private static String requireTable(String table) {
      Objects.requireNonNull(table, "table");
      if (table.isBlank()) throw new IllegalArgumentException("table must not be blank");
      return table;
    }
  }
}
