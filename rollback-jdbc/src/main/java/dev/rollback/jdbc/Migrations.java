package dev.rollback.jdbc;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Reconciliation;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.StepLease;
import dev.rollback.jdbc.internal.Fence;
import dev.rollback.jdbc.internal.HistoryTable;
import dev.rollback.jdbc.internal.LoadedMigration;
import dev.rollback.jdbc.internal.MigrationLoader;
import dev.rollback.jdbc.internal.Runner;
import dev.rollback.jdbc.internal.Settings;
import dev.rollback.jdbc.internal.Version;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Versioned migrations with rollbacks that keep the data: up/down SQL pairs named like Flyway's
 * ({@code V2__add_discount.sql}, {@code U2__add_discount.sql}) and Java migrations. Before a
 * destructive statement runs, what it destroys is copied into an archive schema tagged with the
 * deployment; the rollback puts it back without touching what the application wrote since,
 * verifies what it restored ({@link Builder#verifying}), and writes an audit row.
 *
 * <pre>{@code
 * Migrations db = Migrations.builder(dataSource)
 *     .fromClasspath("db/migration")
 *     .verifying("orders")
 *     .build();
 * Release.builder("checkout-2.4.0")
 *     .change(db.change("2.4"))           // migrate; on failure roll back to the version before
 *     ...
 * RollbackPlan.builder("checkout-2.4.0")
 *     .sequential("database", s -> s.step(db.rollbackStep("2.3")))
 * }</pre>
 *
 * <p>Building validates every script: a malformed one, an unclassifiable statement without a
 * directive, or a {@code V} script without its {@code U} script (and not declared
 * {@code -- rollback:irreversible}) fails here, naming the file and line.
 */
public final class Migrations {
  private final Runner runner;
  private final List<Migration> migrations;
  private final DataSource dataSource;

  private Migrations(Settings settings) {
    this.runner = new Runner(settings);
    this.dataSource = settings.dataSource();
    this.migrations = settings.migrations().stream().map(LoadedMigration::info).toList();
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The known migrations, in version order. */
  public List<Migration> migrations() {
    return migrations;
  }

  /** The highest applied version, "0" when none is. */
  public String currentVersion() {
    return runner.currentVersion();
  }

  /** The applied versions, in applied order. */
  public List<String> appliedVersions() {
    return runner.applied().stream().map(r -> r.version()).toList();
  }

  public MigrationSummary migrateTo(String version) {
    return migrateTo(version, "manual");
  }

  /** Applies every pending migration up to {@code version}, archiving before destructive statements. */
  public MigrationSummary migrateTo(String version, String deployment) {
    return runner.migrateTo(version, Objects.requireNonNull(deployment, "deployment"));
  }

  public RollbackSummary rollbackTo(String version) {
    return rollbackTo(version, "manual");
  }

  /**
   * Undoes every applied migration above {@code version}, newest first, restores the archived data
   * and verifies fingerprints. Run again after a failure to resume where it stopped.
   */
  public RollbackSummary rollbackTo(String version, String deployment) {
    return runner.rollbackTo(version, Objects.requireNonNull(deployment, "deployment"));
  }

  /**
   * A check that says whether the last database rollback restored what it should have: UP when
   * its verification passed (or none was requested, or no rollback ran yet), DOWN with the
   * evidence (table, column, key, the value before the change and after the rollback) when it
   * found differences, and DOWN when the last rollback failed. Put it in the plan's (or the
   * release's) {@code verifiedBy}: a committed rollback whose verification failed then ends the
   * run NOT_RECOVERED with that evidence, instead of failing the step that committed it.
   */
  public HealthCheck verification() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "database rollback verification";
      }

      @Override
      public Health check() {
        long t0 = System.nanoTime();
        HealthStatus status;
        String detail;
        try {
          String[] last = runner.lastRollback();
          if (last == null) {
            status = HealthStatus.UP;
            detail = "no database rollback has run";
          } else {
            String what = "the rollback from " + last[1] + " to " + last[2] + " finished at " + last[4];
            status = last[0].equals("SUCCEEDED") ? HealthStatus.UP : HealthStatus.DOWN;
            detail = switch (last[0]) {
              case "SUCCEEDED" -> what + ": verification " + last[3];
              case "FAILED" -> what.replace("finished", "failed") + " (verification " + last[3] + ")";
              default -> what + " is committed, but its verification " + last[3];
            };
          }
        } catch (RuntimeException e) {
          status = HealthStatus.UNKNOWN;
          detail = "cannot read the last rollback: " + e.getMessage();
        }
        return Health.of(name(), status, Duration.ofNanos(System.nanoTime() - t0), detail);
      }

      @Override
      public String toString() {
        return "HealthCheck[database rollback verification]";
      }
    };
  }

  /** Undoes the last {@code count} applied migrations. */
  public RollbackSummary rollbackBy(int count) {
    if (count < 1) throw new IllegalArgumentException("count must be at least 1: " + count);
    return rollbackTo(runner.versionBefore(count));
  }

  public SqlPlan dryRunMigrateTo(String version) {
    return runner.planMigrateTo(version);
  }

  /** The exact SQL a rollback to {@code version} would run, in order; runs nothing. */
  public SqlPlan dryRunRollbackTo(String version) {
    return runner.planRollbackTo(version);
  }

  public SqlPlan dryRunRollbackBy(int count) {
    return runner.planRollbackTo(runner.versionBefore(count));
  }

  /** Drops archive tables older than the retention; returns how many. */
  public int cleanArchive() {
    return runner.expireArchives();
  }

  // ------------------------------------------------------------------ DSL

  /**
   * A release change: migrates to {@code version}; its revert rolls back to the version that was
   * current when the release started (the known-good state, journaled). Both are idempotent: run
   * again after a crash, they continue where they stopped.
   */
  public Change change(String version) {
    String v = Version.normalize(version);
    Step apply = Step.builder("migrate database to " + v)
        .execute(ctx -> runner.migrateTo(v, deploymentOf(ctx), fence(ctx)))
        .reconcile(ctx -> Version.compare(currentVersion(), v) >= 0 ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED)
        .idempotent()
        .describedAs("migrate the database to " + v + ", archiving what destructive statements remove")
        .build();
    Step revert = Step.builder("roll back database")
        .execute(ctx -> noteVerification(ctx, runner.rollbackTo(knownGoodVersion(ctx), deploymentOf(ctx), fence(ctx))))
        .idempotent()
        .describedAs("roll the database back to the version before " + v + ", restoring archived data and verifying fingerprints")
        .build();
    return Change.of("database to " + v, apply, revert).capturingKnownGood(ctx -> Snapshot.of("version", currentVersion()));
  }

  /** A rollback-plan step: rolls the database back to {@code version}. */
  public Step rollbackStep(String version) {
    String v = Version.normalize(version);
    return Step.builder("roll back database to " + v)
        .execute(ctx -> noteVerification(ctx, runner.rollbackTo(v, deploymentOf(ctx), fence(ctx))))
        .reconcile(ctx -> Version.compare(currentVersion(), v) <= 0 && dryRunRollbackTo(v).notes().isEmpty()
            ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED)
        .idempotent()
        .describedAs("roll the database back to " + v + ", restoring archived data and verifying fingerprints")
        .build();
  }

  /**
   * A rollback-plan step that undoes the last {@code count} migrations. The target version is
   * computed once and checkpointed, so a retry or a resume does not undo {@code count} more.
   */
  public Step rollbackStepBy(int count) {
    if (count < 1) throw new IllegalArgumentException("count must be at least 1: " + count);
    return Step.builder("roll back " + count + " database migration" + (count == 1 ? "" : "s"))
        .execute(ctx -> {
          String target = ctx.checkpoints().get("target");
          if (target == null) {
            target = runner.versionBefore(count);
            ctx.checkpoint("target", target);
          }
          noteVerification(ctx, runner.rollbackTo(target, deploymentOf(ctx), fence(ctx)));
        })
        .idempotent()
        .describedAs("undo the last " + count + " database migration" + (count == 1 ? "" : "s")
            + ", restoring archived data and verifying fingerprints")
        .build();
  }

  /**
   * A rollback-plan step that rolls the database back to the version current when the guard was
   * armed or the known-good state captured.
   */
  public Step rollbackToKnownGood() {
    return Step.builder("roll back database")
        .captureKnownGood(ctx -> Snapshot.of("version", currentVersion()))
        .execute(ctx -> noteVerification(ctx, runner.rollbackTo(knownGoodVersion(ctx), deploymentOf(ctx), fence(ctx))))
        .idempotent()
        .describedAs("roll the database back to its known-good version, restoring archived data and verifying fingerprints")
        .build();
  }

  /**
   * A committed rollback whose verification found differences is not a failed step (running it
   * again would not change the data): the step notes the evidence in the journal, and
   * {@link #verification()} in the plan's {@code verifiedBy} makes the run NOT_RECOVERED.
   */
  private static void noteVerification(StepContext ctx, RollbackSummary r) {
    if (!r.verified()) ctx.note("the database rollback to " + r.toVersion() + " is committed, but its verification " + r.verification());
  }

  /**
   * The checks a step's migration or rollback makes under the run's lease: the lease before every
   * statement, and in every transaction before it commits; when the lease is a {@link JdbcLease}
   * in this database, also its row, locked in that transaction ({@link JdbcLease#checkHeld}).
   */
  private Fence fence(StepContext ctx) {
    StepLease lease = ctx.lease();
    if (!lease.isPresent()) return Fence.NONE;
    JdbcLease row = lease.unwrap(JdbcLease.class).filter(l -> l.isIn(dataSource)).orElse(null);
    return new Fence() {
      @Override public void check() {
        lease.check();
      }

      @Override public void beforeCommit(java.sql.Connection c) throws java.sql.SQLException {
        if (row != null) row.checkHeld(c, lease);
        else lease.check();
      }
    };
  }

  private static String knownGoodVersion(StepContext ctx) {
    return ctx.knownGood().orElseThrow(() -> new MigrationException("step " + ctx.stepPath() + " of " + ctx.planName()
        + " has no known-good database version: it was not captured when the release started")).require("version");
  }

  private static String deploymentOf(StepContext ctx) {
    Deployment d = ctx.deployment();
    return d.id() + " (" + ctx.idempotencyKey() + ")";
  }

  @Override
  public String toString() {
    return "Migrations[" + migrations.size() + " migrations]";
  }

  /** Configures {@link Migrations}. */
  public static final class Builder {
    private final DataSource dataSource;
    private final List<MigrationLoader.Script> scripts = new ArrayList<>();
    private final List<JavaMigration> java = new ArrayList<>();
    private HistoryTable.Kind history = HistoryTable.Kind.OWN;
    private String archiveSchema = "rollback_archive";
    private Duration lockTimeout = Duration.ofSeconds(2);
    private Duration statementTimeout = Duration.ofMinutes(10);
    private int retries = 3;
    private Duration backoff = Duration.ofMillis(200);
    private Duration lockWait = Duration.ofSeconds(30);
    private int batchSize = 10_000;
    private int restoreConnections; // 0: the database's default
    private final Map<String, List<String>> verified = new LinkedHashMap<>();
    private boolean allowChecksumMismatch;
    private boolean acceptUnarchivedLoss;
    private @Nullable Duration retention;
    private String actor = System.getProperty("user.name", "unknown");
    private Clock clock = Clock.systemUTC();
    private boolean keepDroppedColumnsInPlace;
    private long rebuildAbove = 200_000;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Scripts from a classpath folder, e.g. {@code "db/migration"}. */
    public Builder fromClasspath(String location) {
      scripts.addAll(MigrationLoader.fromClasspath(Objects.requireNonNull(location, "location"),
          Thread.currentThread().getContextClassLoader() != null ? Thread.currentThread().getContextClassLoader()
              : Migrations.class.getClassLoader()));
      return this;
    }

    public Builder fromFolder(Path folder) {
      scripts.addAll(MigrationLoader.fromFolder(Objects.requireNonNull(folder, "folder")));
      return this;
    }

    public Builder withJavaMigration(JavaMigration migration) {
      java.add(Objects.requireNonNull(migration, "migration"));
      return this;
    }

    /**
     * Reads and writes Flyway's {@code flyway_schema_history} instead of our own history, so
     * versions Flyway applied can be rolled back with their {@code U} scripts and Flyway sees the
     * result (an undone version is pending again).
     */
    public Builder readingFlywayHistory() {
      this.history = HistoryTable.Kind.FLYWAY;
      return this;
    }

    public Builder withArchiveSchema(String schema) {
      Objects.requireNonNull(schema, "schema");
      if (!schema.matches("[a-z_][a-z0-9_]{0,62}")) {
        throw new IllegalArgumentException("archive schema must be a lower-case SQL identifier: '" + schema + "'");
      }
      this.archiveSchema = schema;
      return this;
    }

    /** How long one statement waits for a lock before it fails and is retried (PostgreSQL lock_timeout). */
    public Builder withLockTimeout(Duration timeout) {
      this.lockTimeout = positive(timeout, "lock timeout");
      return this;
    }

    /** How long one statement may run (PostgreSQL statement_timeout, JDBC query timeout elsewhere). */
    public Builder withStatementTimeout(Duration timeout) {
      this.statementTimeout = positive(timeout, "statement timeout");
      return this;
    }

    /** Retries after a lock or statement timeout, with an exponential backoff starting at {@code backoff}. */
    public Builder withRetries(int retries, Duration backoff) {
      if (retries < 0) throw new IllegalArgumentException("retries must not be negative: " + retries);
      this.retries = retries;
      this.backoff = positive(backoff, "backoff");
      return this;
    }

    /** How long to wait for another runner's migration lock. */
    public Builder withLockWait(Duration wait) {
      Objects.requireNonNull(wait, "wait");
      if (wait.isNegative()) throw new IllegalArgumentException("lock wait must not be negative: " + wait);
      this.lockWait = wait;
      return this;
    }

    /** Rows restored per transaction. */
    public Builder withBatchSize(int rows) {
      if (rows < 1) throw new IllegalArgumentException("withBatchSize: batch size must be at least 1: " + rows);
      this.batchSize = rows;
      return this;
    }

    /** The most connections {@link #withRestoreConnections} accepts. */
    public static final int MAX_RESTORE_CONNECTIONS = 16;

    /**
     * Connections that restore batches at once. By default 2 on PostgreSQL (like the server's own
     * default of two parallel workers) and 1 on H2. Each batch is still one transaction committed
     * with its progress, holding row locks only; batches may commit out of order, and a
     * resume redoes exactly the ranges that did not commit. {@code n - 1} connections come from
     * the data source in addition to the runner's two (its lock and its work), for the length of
     * a restore.
     */
    public Builder withRestoreConnections(int n) {
      if (n < 1 || n > MAX_RESTORE_CONNECTIONS) {
        throw new IllegalArgumentException("withRestoreConnections: restore connections must be between 1 and "
            + MAX_RESTORE_CONNECTIONS + ": " + n);
      }
      this.restoreConnections = n;
      return this;
    }

    /**
     * Verifies what each migration's rollback restored in {@code table} (over {@code columns}, or
     * all): before every migration the table's rows are copied (key and columns) into the archive
     * schema; after that migration's rollback, the rows the migration removed must be back and the
     * columns it dropped or rewrote must hold their values from before the change, in every row that
     * existed before and still exists. What the application wrote since (new rows, deleted rows,
     * later updates of other columns, or of a rewritten column after the migration) is not a
     * mismatch. A table without a primary key is compared whole, by {@link Fingerprint}. A mismatch
     * does not undo the committed rollback: {@link RollbackSummary#verified()} is false with the
     * evidence, and {@link Migrations#verification()} reports it to a plan. The copy costs a scan and a write
     * of the table per migration; it is dropped after the rollback's verification or by the archive
     * retention.
     */
    public Builder verifying(String table, String... columns) {
      verified.put(Objects.requireNonNull(table, "table"), List.of(columns));
      return this;
    }

    /** Accepts applied scripts whose checksum changed. */
    public Builder allowingChecksumMismatch() {
      this.allowChecksumMismatch = true;
      return this;
    }

    /** Reverts the schema even where the archive of destroyed data is missing (the data stays lost). */
    public Builder acceptingUnarchivedDataLoss() {
      this.acceptUnarchivedLoss = true;
      return this;
    }

    /** Archive tables older than {@code retention} are dropped after each run and by {@link #cleanArchive()}. */
    public Builder withArchiveRetention(Duration retention) {
      this.retention = positive(retention, "archive retention");
      return this;
    }

    /** Who runs the migrations, for the history and the audit table. */
    public Builder withActor(String actor) {
      this.actor = Objects.requireNonNull(actor, "actor");
      return this;
    }

    /**
     * The clock for history, archive and audit timestamps, retention, and the pauses between
     * retries. A clock that schedules (the core's {@code ManualClock}) makes those pauses virtual:
     * they pass when it is advanced, as the engine's other waits do.
     */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Keeps a dropped column in its table under a hidden name instead of copying its values into
     * the archive and dropping it (expand/contract, as pgroll does; off by default). A statement
     * that is exactly one {@code ALTER TABLE t DROP COLUMN [IF EXISTS] c} (no {@code CASCADE}), on a
     * table whose primary key is one integer column, where nothing else (a view, an index, a
     * constraint, a trigger) depends on {@code c}, runs as
     * {@code ALTER TABLE t RENAME COLUMN c TO rb_dropped_<archive id>_<c>} and
     * {@code ALTER TABLE t ALTER COLUMN rb_dropped_… DROP NOT NULL}: metadata only, nothing is copied,
     * and the release's inserts, which do not name the column, get its default or NULL. Any other
     * drop is archived and dropped as before, and the INFO log says why.
     *
     * <p>The rollback, after the {@code U} script re-added {@code c}: on PostgreSQL, when the
     * re-added column has the kept column's type, swaps them in the undo script's transaction (drops
     * the re-added column, renames the kept one back into its old position, gives it the default and
     * the {@code NOT NULL} the undo script declared): no row is rewritten. Otherwise (another type,
     * H2, whose DDL commits on its own) it copies the kept values into the re-added column in key-range
     * batches, only where that column still holds what the undo script left, then drops the kept
     * column. When the archive expires by retention, the kept column is dropped. A swap counts the
     * table's rows at the release in {@link RollbackSummary#rowsRestored()}; a copy counts the rows it wrote.
     *
     * <p><b>Caveat:</b> until the rollback or the archive's expiry, {@code SELECT *} and positional
     * {@code INSERT … VALUES} without a column list see one more column, named
     * {@code rb_dropped_<archive id>_<column>}.
     */
    public Builder withDroppedColumnsKeptInPlace() {
      this.keepDroppedColumnsInPlace = true;
      return this;
    }

    /**
     * On PostgreSQL, a dropped column whose archive holds more than {@code rows} rows (and at least a
     * quarter of the table) is put back by rebuilding the table instead of updating it in place:
     * the rows are copied once into a new table with the archived values joined in, its indexes are
     * built, the writes made meanwhile (logged by a trigger) are applied, and the new table takes the
     * old one's name under a brief ACCESS EXCLUSIVE lock, as pg_repack does. Later writes survive as
     * they do in place. Tables that something else refers to (foreign keys to or from it, views,
     * triggers, rules, policies, inheritance, publications, identity or generated columns, column
     * grants, other tablespaces) are always restored in place. Default 200,000; {@code Long.MAX_VALUE}
     * never rebuilds.
     */
    public Builder withTableRebuildAbove(long rows) {
      if (rows < 0) throw new IllegalArgumentException("withTableRebuildAbove: rows must not be negative: " + rows);
      this.rebuildAbove = rows;
      return this;
    }

    public Migrations build() {
      List<LoadedMigration> loaded = new ArrayList<>(MigrationLoader.load(scripts));
      Map<String, LoadedMigration> byVersion = new TreeMap<>(Version::compare);
      for (LoadedMigration m : loaded) byVersion.put(m.version(), m);
      for (JavaMigration j : java) {
        LoadedMigration m = LoadedMigration.java(j);
        LoadedMigration previous = byVersion.put(m.version(), m);
        if (previous != null) {
          throw new MigrationException("two migrations for version " + m.version() + ": " + previous.info().script() + " and "
              + m.info().script());
        }
      }
      if (byVersion.isEmpty()) throw new MigrationException("no migrations: add fromClasspath(...), fromFolder(...) or withJavaMigration(...)");
      return new Migrations(new Settings(dataSource, new ArrayList<>(byVersion.values()), history, archiveSchema, lockTimeout,
          statementTimeout, retries, backoff, lockWait, batchSize, restoreConnections, verified, allowChecksumMismatch, acceptUnarchivedLoss,
          retention, actor, clock, keepDroppedColumnsInPlace, rebuildAbove));
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
      return d;
    }
  }
}
