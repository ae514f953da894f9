package dev.rollback.jdbc.internal;

import dev.rollback.LeaseLostException;
import dev.rollback.jdbc.ChecksumMismatchException;
import dev.rollback.jdbc.Fingerprint;
import dev.rollback.jdbc.MigrationException;
import dev.rollback.jdbc.MigrationSummary;
import dev.rollback.jdbc.MissingArchiveException;
import dev.rollback.jdbc.PlannedStatement;
import dev.rollback.jdbc.RollbackSummary;
import dev.rollback.jdbc.SqlPlan;
import dev.rollback.spi.Redactor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies and reverts migrations: archives before destroying, restores after reverting, verifies. */
public final class Runner {
  private static final Logger log = LoggerFactory.getLogger(Runner.class);

  private final Settings s;
  private final Archive archive;
  private final Verification verification;
  /** The audit outcome of a committed rollback whose verification found differences. */
  static final String NOT_VERIFIED = "NOT_VERIFIED";
  private final HistoryTable history;
  private final Map<String, LoadedMigration> byVersion = new LinkedHashMap<>();
  /**
   * The lease checks of the migration or rollback under way: set once it holds the migration lock
   * (so one at a time), read by its restore helpers on their own connections.
   */
  private volatile Fence fence = Fence.NONE;

  public Runner(Settings settings) {
    this.s = settings;
    this.archive = new Archive(settings.archiveSchema());
    this.verification = new Verification(archive);
    this.history = new HistoryTable(settings.historyKind());
    for (LoadedMigration m : settings.migrations()) byVersion.put(m.version(), m);
  }

  public Archive archive() {
    return archive;
  }

  public HistoryTable history() {
    return history;
  }

  // ------------------------------------------------------------------ queries

  public List<HistoryTable.Row> applied() {
    try (Connection c = s.dataSource().getConnection()) {
      prepare(c);
      return history.applied(c);
    } catch (SQLException e) {
      throw new MigrationException("cannot read " + history.kind().table() + ": " + e.getMessage(), e);
    }
  }

  public String currentVersion() {
    return current(applied());
  }

  private static String current(List<HistoryTable.Row> rows) {
    String v = "0";
    for (HistoryTable.Row r : rows) if (r.success() && Version.compare(r.version(), v) > 0) v = r.version();
    return v;
  }

  /** The version that remains after undoing the last {@code count} applied migrations. */
  public String versionBefore(int count) {
    List<HistoryTable.Row> rows = applied().stream().filter(HistoryTable.Row::success).toList();
    if (count > rows.size()) {
      throw new MigrationException("cannot roll back " + count + " migrations: only " + rows.size() + " are applied");
    }
    return rows.size() - count == 0 ? "0" : rows.get(rows.size() - count - 1).version();
  }

  // ------------------------------------------------------------------ migrate

  public MigrationSummary migrateTo(String target, String deployment) {
    return migrateTo(target, deployment, Fence.NONE);
  }

  /** {@link #migrateTo(String, String)} checking {@code fence} before every statement and commit. */
  public MigrationSummary migrateTo(String target, String deployment, Fence fence) {
    Instant started = s.clock().instant();
    String t = Version.normalize(target);
    if (!t.equals("0") && !byVersion.containsKey(t)) {
      throw new MigrationException("cannot migrate to " + target + ": no migration has that version (known: " + byVersion.keySet() + ")");
    }
    fence.check();
    try (MigrationLock lock = MigrationLock.acquire(s.dataSource(), archive, history.kind().table(), s.lockWait());
         Connection c = s.dataSource().getConnection()) {
      this.fence = fence;
      Dialect d = prepare(c);
      List<HistoryTable.Row> rows = history.applied(c);
      checkHistory(rows);
      String from = current(rows);
      List<String> applied = new ArrayList<>();
      long archived = 0;
      for (LoadedMigration m : s.migrations()) {
        if (Version.compare(m.version(), from) <= 0 || Version.compare(m.version(), t) > 0) continue;
        archived += apply(c, d, m, deployment);
        applied.add(m.version());
      }
      expire(c);
      return new MigrationSummary(from, applied.isEmpty() ? from : applied.get(applied.size() - 1), applied, archived,
          Duration.between(started, s.clock().instant()));
    } catch (MigrationException | LeaseLostException e) {
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new MigrationException("migrating " + deployment + " to " + target + " failed: " + e.getMessage()
          + ". Fix the cause and migrate again: applied migrations are kept, a partly applied one continues where it stopped"
          + " (or was rolled back whole, on PostgreSQL)", e);
    } finally {
      if (this.fence == fence) this.fence = Fence.NONE;
    }
  }

  private long apply(Connection c, Dialect d, LoadedMigration m, String deployment) throws Exception {
    int rank = history.nextRank(c);
    log.info("applying V{} ({}) for {}", m.version(), m.info().script(), deployment);
    long t0 = System.nanoTime();
    storeFingerprints(c, m, rank);
    long[] archived = {0};
    int n = m.java() != null ? 1 : m.up().size();
    if (d.transactionalDdl()) {
      inTransaction(c, d, "V" + m.version(), () -> {
        archived[0] = 0;
        for (int i = 0; i < n; i++) archived[0] += runUp(c, d, m, rank, i, deployment);
        history.insert(c, rank, m, s.actor(), s.clock().instant(), millis(t0), deployment);
        return null;
      });
    } else {
      int done = progress(c, m.version(), rank, "up");
      for (int i = done; i < n; i++) {
        int stmt = i;
        archived[0] += inTransaction(c, d, "V" + m.version(), () -> {
          long a = runUp(c, d, m, rank, stmt, deployment);
          setProgress(c, m.version(), rank, "up", stmt + 1);
          return a;
        });
      }
      inTransaction(c, d, "V" + m.version(), () -> {
        history.insert(c, rank, m, s.actor(), s.clock().instant(), millis(t0), deployment);
        clearProgress(c, m.version(), rank);
        return null;
      });
    }
    return archived[0];
  }

  private long runUp(Connection c, Dialect d, LoadedMigration m, int rank, int i, String deployment) throws Exception {
    String origin = origin(m, i);
    List<Archive.Entry> entries = new ArrayList<>();
    long rows = 0;
    List<Effect> effects = m.effects().get(i);
    Archive.Entry kept = s.keepDroppedColumnsInPlace() ? keepInPlace(c, d, m, rank, i, deployment) : null;
    if (kept != null) return kept.rows();
    for (int j = 0; j < effects.size(); j++) {
      Archive.Entry e = archive.archive(c, effects.get(j), m, rank, i, j, deployment, origin, s.clock().instant());
      if (e == null) {
        recordNothingToArchive(c, effects.get(j), m, rank, i, j, deployment, origin);
      } else {
        entries.add(e);
        rows += e.rows();
      }
    }
    if (m.java() != null) {
      applyTimeouts(c, d);
      m.java().up().run(c);
    } else {
      exec(c, d, m.up().get(i).sql(), origin);
    }
    for (Archive.Entry e : entries) archive.captureAfter(c, e);
    return rows;
  }

  /**
   * With {@code withDroppedColumnsKeptInPlace}: runs statement {@code i} as a rename of the dropped
   * column to its hidden name (and DROP NOT NULL) when it is exactly one {@code DROP COLUMN} that
   * can be kept, and returns its index entry; null when it cannot (the INFO log says why) and the
   * statement is archived and run as written. On a resume (DDL that commits on its own) an entry
   * recorded already is finished, not recorded again.
   */
  private Archive.@Nullable Entry keepInPlace(Connection c, Dialect d, LoadedMigration m, int rank, int i, String deployment)
      throws Exception {
    List<Effect> effects = m.effects().get(i);
    if (m.java() != null || effects.size() != 1 || effects.get(0).kind() != Effect.Kind.DROP_COLUMNS) return null;
    String origin = origin(m, i);
    Effect e = effects.get(0);
    Archive.Entry existing = archive.find(c, m.version(), rank, i, 0);
    if (existing != null && !existing.isKeptInPlace()) return null; // archived before: finish that way
    Names.ResolvedTable t = Names.resolve(c, e.table());
    String why = InPlace.statementObstacle(m.up().get(i).sql());
    if (why == null && t == null) why = "table " + e.table() + " does not exist";
    if (why == null && existing == null) why = InPlace.tableObstacle(c, d, t, e.columns().get(0));
    if (why != null) {
      log.info("{}: {} is archived and dropped, not kept in place: {}", origin, e.describe(), why);
      return null;
    }
    Archive.Entry kept = existing != null ? existing
        : archive.keepInPlace(c, d, t, e.columns().get(0), m, rank, i, deployment, origin, s.clock().instant());
    String column = kept.columns().get(0);
    if (t.hasColumn(column) && !t.hasColumn(kept.archiveTable())) {
      exec(c, d, InPlace.renameSql(t, column, kept.archiveTable()), origin);
    }
    exec(c, d, InPlace.keepSql(t, column, kept.archiveTable()).get(1), origin);
    log.info("{}: kept {}.{} in place as {} ({} rows, nothing copied); SELECT * shows it until the rollback or the archive's expiry",
        origin, t.written(), column, kept.archiveTable(), kept.rows());
    return kept;
  }

  private void recordNothingToArchive(Connection c, Effect e, LoadedMigration m, int rank, int i, int j, String deployment,
      String origin) throws SQLException {
    archive.insertEntry(c, Archive.nextId(c, archive.index()), deployment, m.version(), rank, i, j, e.kind(), e.table(), "", "", "-", 0,
        s.clock().instant(), 0, origin, null);
  }

  // ------------------------------------------------------------------ rollback

  public RollbackSummary rollbackTo(String target, String deployment) {
    return rollbackTo(target, deployment, Fence.NONE);
  }

  /**
   * {@link #rollbackTo(String, String)} checking {@code fence} before every statement and in every
   * transaction (schema, history and each restore batch) before it commits. A rollback that lost
   * its lease writes nothing more, not even its audit row: the replica holding the lease resumes it.
   */
  public RollbackSummary rollbackTo(String target, String deployment, Fence fence) {
    Instant started = s.clock().instant();
    String t = Version.normalize(target);
    List<String> undone = new ArrayList<>();
    long[] restored = {0};
    String from = "?";
    List<String> verified = new ArrayList<>();
    List<RollbackSummary.Mismatch> mismatches = new ArrayList<>();
    List<String> mismatchLines = new ArrayList<>();
    Phases phases = new Phases();
    fence.check();
    try (MigrationLock lock = MigrationLock.acquire(s.dataSource(), archive, history.kind().table(), s.lockWait());
         Connection c = s.dataSource().getConnection()) {
      this.fence = fence;
      Dialect d = prepare(c);
      try {
        // an earlier rollback that stopped after reverting the schema: finish putting the data back first
        List<Archive.Entry> pending = archive.inPhase(c, Archive.REVERTED);
        Collections.reverse(pending);
        for (Archive.Entry e : pending) restored[0] += restore(c, d, e, phases);
        for (Archive.Entry e : pending) verify(c, e.version(), e.rank(), verified, mismatches, mismatchLines, phases);
        List<HistoryTable.Row> rows = history.applied(c);
        checkHistory(rows);
        from = current(rows);
        checkNoPartialMigration(c, t);
        List<HistoryTable.Row> toUndo = new ArrayList<>();
        for (HistoryTable.Row r : rows) if (r.success() && Version.compare(r.version(), t) > 0) toUndo.add(r);
        Collections.reverse(toUndo);
        validateUndo(c, t, toUndo);
        for (HistoryTable.Row r : toUndo) {
          LoadedMigration m = byVersion.get(r.version());
          restored[0] += undo(c, d, m, r.rank(), phases);
          undone.add(m.version());
          verify(c, m.version(), r.rank(), verified, mismatches, mismatchLines, phases);
        }
        // a mismatch does not undo the rollback: it is committed, and the summary (and the audit row) says what differs
        String verification = s.verifiedTables().isEmpty() ? "not requested"
            : mismatchLines.isEmpty() ? "passed: " + String.join(", ", verified)
            : "failed: " + String.join("; ", mismatchLines);
        RollbackSummary summary = new RollbackSummary(from, t, undone, restored[0], verification,
            Duration.between(started, s.clock().instant()), mismatches);
        fence.check();
        audit(c, deployment, summary, started, mismatches.isEmpty() ? "SUCCEEDED" : NOT_VERIFIED, String.join("; ", phases.notes));
        expire(c);
        if (mismatches.isEmpty()) {
          log.info("rolled back {} from {} to {}: undid {}, restored {} rows, verification {}; {}", deployment, from, t, undone,
              restored[0], verification, phases.summary(System.nanoTime() - phases.started));
        } else {
          log.warn("rolled back {} from {} to {} (committed): undid {}, restored {} rows, but verification {}; {}", deployment, from,
              t, undone, restored[0], verification, phases.summary(System.nanoTime() - phases.started));
        }
        return summary;
      } catch (Exception e) {
        String verification = mismatchLines.isEmpty() ? "not reached" : "failed: " + String.join("; ", mismatchLines);
        if (leaseLost(e) != null) {
          log.warn("rolling back {} to {} stopped: {}; nothing more was written", deployment, target, leaseLost(e).getMessage());
          throw leaseLost(e);
        }
        try {
          if (!c.isClosed() && c.isValid(2)) {
            if (!c.getAutoCommit()) c.rollback();
            c.setAutoCommit(true);
            audit(c, deployment, new RollbackSummary(from, t, undone, restored[0], verification,
                Duration.between(started, s.clock().instant())), started, "FAILED",
                e.getMessage() + (phases.notes.isEmpty() ? "" : "; " + String.join("; ", phases.notes)));
          }
        } catch (SQLException auditFailed) {
          e.addSuppressed(auditFailed);
        }
        throw e;
      }
    } catch (MigrationException | LeaseLostException e) {
      throw e;
    } catch (Exception e) {
      throw new MigrationException("rolling back " + deployment + " to " + target + " failed after undoing " + undone + ": "
          + e.getMessage() + ". Run the rollback again to resume: it continues where this one stopped", e);
    } finally {
      if (this.fence == fence) this.fence = Fence.NONE;
    }
  }

  private static @Nullable LeaseLostException leaseLost(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof LeaseLostException l) return l;
      if (t.getCause() == t) break;
    }
    return null;
  }

  /**
   * Where DDL is not transactional, a migration that failed halfway has no history row but some
   * statements committed. Its undo script assumes the whole migration ran, so rather than guess,
   * the rollback stops and says how to get to a state it can undo.
   */
  private void checkNoPartialMigration(Connection c, String target) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT \"version\", \"done\" FROM "
        + archive.table("progress") + " WHERE \"direction\" = 'up'")) {
      while (rs.next()) {
        String v = rs.getString(1);
        if (Version.compare(v, target) <= 0) continue;
        LoadedMigration m = byVersion.get(v);
        int total = m == null ? -1 : m.java() != null ? 1 : m.up().size();
        throw new MigrationException("cannot roll back to " + target + ": V" + v + (m == null ? "" : " (" + m.info().script() + ")")
            + " was partly applied on a database whose DDL commits at once (" + rs.getInt(2) + " of " + total
            + " statements ran). Fix the failing statement and migrate to " + v + " again (it continues at the next statement),"
            + " then roll back. Nothing was changed");
      }
    }
  }

  private void validateUndo(Connection c, String target, List<HistoryTable.Row> toUndo) throws SQLException {
    List<String> problems = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (HistoryTable.Row r : toUndo) {
      LoadedMigration m = byVersion.get(r.version());
      if (m == null) {
        problems.add("V" + r.version() + " (" + r.script() + ") is applied but no migration with that version is known here");
        continue;
      }
      if (!m.info().isReversible()) {
        problems.add("V" + r.version() + " (" + m.info().script() + ") is irreversible");
        continue;
      }
      for (int i = 0; i < m.effects().size(); i++) {
        for (int j = 0; j < m.effects().get(i).size(); j++) {
          Effect e = m.effects().get(i).get(j);
          Archive.Entry a = archive.find(c, m.version(), r.rank(), i, j);
          String why = null;
          if (a == null) why = "it was never archived (applied by another tool, or before archiving existed)";
          else if (a.phase().equals(Archive.EXPIRED)) why = "its archive expired by retention (taken " + a.createdAt() + ")";
          else if (a.isKeptInPlace()) {
            if (!archive.keptColumnExists(c, a)) why = "its kept column " + a.sourceTable() + "." + a.archiveTable() + " is gone";
          } else if (!a.archiveTable().equals("-") && !archive.tableExists(c, a.archiveTable())) {
            why = "its archive table " + archive.schema() + "." + a.archiveTable() + " is gone";
          }
          if (why != null) missing.add("V" + m.version() + " " + origin(m, i) + " " + e.describe() + ", and " + why);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new MigrationException("cannot roll back to " + target + ": " + String.join("; ", problems)
          + ". Nothing was changed");
    }
    if (!missing.isEmpty() && !s.acceptUnarchivedLoss()) {
      throw new MissingArchiveException("cannot roll back to " + target + " without losing data: " + String.join("; ", missing)
          + ". Nothing was changed. Restore the data another way, or build the runner with acceptingUnarchivedDataLoss()"
          + " to revert the schema anyway");
    }
  }

  private long undo(Connection c, Dialect d, LoadedMigration m, int rank, Phases phases) throws Exception {
    log.info("undoing V{} with {}", m.version(), m.info().undoScript());
    int n = m.java() != null ? 1 : m.down().size();
    long archived = 0;
    for (Archive.Entry e : archive.forMigration(c, m.version(), rank)) {
      // a kept column is swapped back in the undo script's transaction (no row written), or copied after it
      if (e.phase().equals(Archive.ARCHIVED) && !e.archiveTable().equals("-") && !(e.isKeptInPlace() && d.transactionalDdl())) {
        archived += e.rows();
      }
    }
    if (d.transactionalDdl() && archived <= s.batchSize()) {
      // small enough for one batch: schema, history and data in one transaction, all or nothing
      long t0 = System.nanoTime();
      List<String> notes = new ArrayList<>();
      long one = inTransaction(c, d, "U" + m.version(), () -> {
        notes.clear(); // a retried attempt records its own
        for (int i = 0; i < n; i++) runDown(c, d, m, i);
        history.delete(c, rank);
        archive.setPhase(c, m.version(), rank, Archive.REVERTED);
        long restored = swapKeptColumns(c, d, m, rank, notes);
        notes.addAll(recordRefillGuards(c, m, rank));
        List<Archive.Entry> entries = new ArrayList<>(archive.forMigration(c, m.version(), rank));
        Collections.reverse(entries);
        for (Archive.Entry e : entries) {
          if (!e.phase().equals(Archive.REVERTED) || e.isKeptInPlace()) continue; // a kept column to copy: after the commit
          archive.readdKeptColumns(c, e);
          if (e.rows() == 0 || e.archiveTable().equals("-")) {
            archive.markRestored(c, e);
          } else {
            String sql = archive.restoreSql(c, e);
            for (long[] r : archive.missingRanges(c, e, Integer.MAX_VALUE)) restored += restoreBatch(c, d, e, sql, r[0], r[1]);
            archive.finishRestore(c, e);
          }
        }
        return restored;
      });
      phases.notes.addAll(notes);
      phases.undoScripts += System.nanoTime() - t0; // schema and data in one transaction: counted as the undo script
      for (Archive.Entry e : archive.forMigration(c, m.version(), rank)) {
        if (e.phase().equals(Archive.REVERTED)) one += restore(c, d, e, phases); // kept columns that are copied back
      }
      return one;
    }
    long t0 = System.nanoTime();
    long[] swapped = {0};
    if (d.transactionalDdl()) {
      List<String> notes = new ArrayList<>();
      swapped[0] = inTransaction(c, d, "U" + m.version(), () -> {
        notes.clear();
        for (int i = 0; i < n; i++) runDown(c, d, m, i);
        history.delete(c, rank);
        archive.setPhase(c, m.version(), rank, Archive.REVERTED);
        long kept = swapKeptColumns(c, d, m, rank, notes);
        // in the undo script's transaction: nobody else can have written the re-created columns yet
        notes.addAll(recordRefillGuards(c, m, rank));
        return kept;
      });
      phases.notes.addAll(notes);
    } else {
      int done = progress(c, m.version(), rank, "down");
      for (int i = done; i < n; i++) {
        int stmt = i;
        inTransaction(c, d, "U" + m.version(), () -> {
          runDown(c, d, m, stmt);
          setProgress(c, m.version(), rank, "down", stmt + 1);
          return null;
        });
      }
      phases.notes.addAll(inTransaction(c, d, "U" + m.version(), () -> {
        history.delete(c, rank);
        archive.setPhase(c, m.version(), rank, Archive.REVERTED);
        clearProgress(c, m.version(), rank);
        List<String> notes = new ArrayList<>();
        swapKeptColumns(c, d, m, rank, notes); // here: only notes, kept columns are copied back
        // the undo script's DDL committed on its own: a value written since it ran cannot be told
        // from one it left, and turns the guard off for that column (with a note)
        notes.addAll(recordRefillGuards(c, m, rank));
        return notes;
      }));
    }
    phases.undoScripts += System.nanoTime() - t0;
    long restored = swapped[0];
    List<Archive.Entry> entries = new ArrayList<>(archive.forMigration(c, m.version(), rank));
    Collections.reverse(entries);
    for (Archive.Entry e : entries) if (e.phase().equals(Archive.REVERTED)) restored += restore(c, d, e, phases);
    return restored;
  }

  /**
   * Puts the archived values of a large re-created column back by rebuilding the table
   * ({@link Rebuild}); null when the table is not one to rebuild, or the rebuild failed (its
   * leftovers dropped, the old table untouched): then the batches in place do it.
   */
  private @Nullable Long rebuild(Connection c, Dialect d, Archive.Entry e) throws Exception {
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t == null) return null; // the batches name the missing table
    Rebuild rb = new Rebuild(archive, s, e, t);
    Rebuild.Transactions tx = (what, work) -> inTransaction(c, d, what, () -> {
      work.run();
      return null;
    });
    java.util.Optional<String> refusal = rb.refusal(c);
    if (refusal.isPresent()) {
      log.info("restoring {} archived rows of {} in place, not by rebuilding the table: {}", e.rows(), e.sourceTable(), refusal.get());
      return null;
    }
    try {
      return rb.run(c, tx);
    } catch (Exception failed) {
      log.warn("rebuilding {} to restore the values archived by {} failed, the table is as it was; restoring in place instead: {}",
          e.sourceTable(), e.origin(), failed.getMessage());
      rb.cleanup(c, tx);
      return null;
    }
  }

  /**
   * Right after the undo script, in its transaction: each column of the migration kept in place
   * takes the place of the column the script re-added, where {@link InPlace#swap} allows (no row is
   * written), and its entry is RESTORED; the others stay REVERTED and are copied back after the
   * commit. Returns the rows swapped back (the table's rows at the release); adds a note per column.
   */
  private long swapKeptColumns(Connection c, Dialect d, LoadedMigration m, int rank, List<String> notes) throws Exception {
    long rows = 0;
    for (Archive.Entry e : archive.forMigration(c, m.version(), rank)) {
      if (!e.isKeptInPlace() || !e.phase().equals(Archive.REVERTED)) continue;
      Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
      String column = e.columns().get(0);
      if (t == null || !t.hasColumn(column)) {
        throw new MigrationException("cannot put back " + e.sourceTable() + "." + column + ", kept in place by " + e.origin() + " as "
            + e.archiveTable() + ": the undo script did not re-create " + (t == null ? "table " + e.sourceTable() : "the column"));
      }
      if (!t.hasColumn(e.archiveTable())) {
        throw new MigrationException("cannot put back " + e.sourceTable() + "." + column + ", kept in place by " + e.origin()
            + ": its kept column " + e.archiveTable() + " is gone");
      }
      InPlace.Swap swap = InPlace.swap(c, d, t, column, e.kept());
      String note;
      if (swap.whyNot() == null) {
        for (String sql : swap.sql()) exec(c, d, sql, "swap back of " + e.origin());
        archive.finishKept(c, e, e.rows());
        rows += e.rows();
        note = e.origin() + ": " + e.sourceTable() + "." + column + " was kept in place as " + e.archiveTable()
            + " and swapped back (no row rewritten)";
      } else {
        note = e.origin() + ": " + e.sourceTable() + "." + column + " was kept in place as " + e.archiveTable()
            + "; its values are copied into the re-added column because " + swap.whyNot();
      }
      log.info("{}", note);
      notes.add(note);
    }
    return rows;
  }

  /**
   * Right after the undo script: for each archive of the migration that refills a column the
   * script re-created, records what the script left in it (see {@link Archive#recordRefillGuard}).
   * Returns the notes for columns that cannot be guarded, each also logged.
   */
  private List<String> recordRefillGuards(Connection c, LoadedMigration m, int rank) throws SQLException {
    List<String> notes = new ArrayList<>();
    boolean onlyAdds = m.java() == null && m.down().stream().allMatch(st -> Archive.onlyAdds(st.sql()));
    for (Archive.Entry e : archive.forMigration(c, m.version(), rank)) {
      if (!e.phase().equals(Archive.REVERTED)) continue;
      for (String note : archive.recordRefillGuard(c, e, onlyAdds)) {
        log.warn("{}", note);
        notes.add(note);
      }
    }
    return notes;
  }

  private void runDown(Connection c, Dialect d, LoadedMigration m, int i) throws Exception {
    if (m.java() != null) {
      applyTimeouts(c, d);
      m.java().down().orElseThrow().run(c);
    } else {
      SqlScript.Statement st = m.down().get(i);
      exec(c, d, st.sql(), m.info().undoScript() + ":" + st.line());
    }
  }

  private long restore(Connection c, Dialect d, Archive.Entry e, Phases phases) throws Exception {
    if (e.isKeptInPlace()) return copyKept(c, d, e, phases);
    long t0 = System.nanoTime();
    archive.readdKeptColumns(c, e); // whole rows going back into a re-created table: its kept columns first
    if (e.rows() == 0 || e.archiveTable().equals("-")) {
      inTransaction(c, d, "restore", () -> {
        archive.markRestored(c, e);
        return null;
      });
      return 0;
    }
    if (Archive.refillsRecreatedColumns(e) && e.refillGuard() == null) {
      String note = "the restore of " + e.origin() + " (archive " + archive.schema() + "." + e.archiveTable() + ") refills "
          + e.sourceTable() + "(" + String.join(", ", e.columns()) + ") in every archived row whose value differs: it was reverted"
          + " by a runner that did not record what the undo script left, so values written since cannot be told apart";
      log.warn("{}", note);
      phases.notes.add(note);
    }
    for (String note : Archive.refillNotes(e)) if (!phases.notes.contains(note)) phases.notes.add(note); // also on a resume
    if (d == Dialect.POSTGRES && e.kind().columnsMode() && e.afterTable() == null && !e.key().isEmpty()
        && e.rows() > s.rebuildAbove()) {
      Long rebuilt = rebuild(c, d, e);
      if (rebuilt != null) {
        phases.restores += System.nanoTime() - t0;
        return rebuilt;
      }
    }
    String sql = archive.restoreSql(c, e);
    List<long[]> ranges = archive.missingRanges(c, e, s.batchSize());
    int connections = Math.max(1, Math.min(restoreConnections(d), ranges.size()));
    long total = connections == 1 ? restoreOn(c, d, e, sql, new ConcurrentLinkedQueue<>(ranges), new AtomicBoolean())
        : restoreInParallel(c, d, e, sql, ranges, connections);
    inTransaction(c, d, "restore of " + e.origin(), () -> {
      archive.finishRestore(c, e);
      return null;
    });
    long took = System.nanoTime() - t0;
    phases.restores += took;
    phases.batches += ranges.size();
    log.info("restored {} rows archived by {} in {} ms: {} batches of up to {} rows on {} connection{}", total, e.origin(),
        took / 1_000_000, ranges.size(), s.batchSize(), connections, connections == 1 ? "" : "s");
    return total;
  }

  /**
   * Copies the values of a column kept in place into the column the undo script re-added, in
   * batches of {@code withBatchSize} rows by primary-key range, each one transaction holding row
   * locks only and committed with its progress (the last key done) in the archive index, so a
   * resume continues after the last committed batch. Only rows whose re-added column still holds
   * what the undo script left are written (the refill guard), and no NULL goes into a column the
   * undo script declared NOT NULL (those rows keep its default). Then the kept column is dropped.
   */
  private long copyKept(Connection c, Dialect d, Archive.Entry entry, Phases phases) throws Exception {
    long t0 = System.nanoTime();
    Archive.Entry e = archive.reload(c, entry);
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    String column = e.columns().get(0);
    if (t == null || !t.hasColumn(column) || !t.hasColumn(e.archiveTable())) {
      throw new MigrationException("cannot copy " + e.sourceTable() + "." + e.archiveTable() + " (kept in place by " + e.origin()
          + ") into " + e.sourceTable() + "." + column + ": " + (t == null ? "the table is gone" : !t.hasColumn(column)
          ? "the undo script did not re-create the column" : "the kept column is gone"));
    }
    for (String note : Archive.refillNotes(e)) if (!phases.notes.contains(note)) phases.notes.add(note);
    List<@Nullable String> guards = Archive.refillGuards(e);
    boolean notNull = InPlace.notNull(c, t, t.column(column));
    String sql = InPlace.copySql(t.qualified(), t.primaryKey().get(0), t.column(column), t.column(e.archiveTable()),
        guards == null ? null : guards.get(0), notNull);
    long total = 0;
    int batches = 0;
    long from = e.restoredUpto();
    boolean last = false;
    while (!last) {
      Long end = InPlace.batchEnd(c, t, from, s.batchSize());
      last = end == null;
      long lo = from;
      long hi = end == null ? Long.MAX_VALUE : end;
      total += inTransaction(c, d, "copy of " + e.sourceTable() + "." + e.archiveTable() + " (keys " + lo + ".." + hi + ")", () -> {
        long n = batchUpdate(c, d, sql, lo, hi, false);
        archive.recordCopied(c, e, hi, n);
        return n;
      });
      batches++;
      from = hi;
    }
    long copied = e.rowsRestored() + total;
    inTransaction(c, d, "drop of " + e.sourceTable() + "." + e.archiveTable(), () -> {
      exec(c, d, "ALTER TABLE " + t.qualified() + " DROP COLUMN " + Names.quote(t.column(e.archiveTable())), "copy back of " + e.origin());
      archive.finishKept(c, e, copied);
      return null;
    });
    long took = System.nanoTime() - t0;
    phases.restores += took;
    phases.batches += batches;
    log.info("copied {} values of {}.{} kept in place by {} into {} in {} ms: {} batches of up to {} rows, then dropped it", total,
        e.sourceTable(), e.archiveTable(), e.origin(), column, took / 1_000_000, batches, s.batchSize());
    return total;
  }

  private static final int WAITING = 0;
  private static final int WORKING = 1;
  private static final int LEFT = 2;

  /**
   * Restores {@code ranges} on {@code connections} connections at once: the runner's own and
   * {@code connections - 1} more from the data source, each taking the next range when it is
   * free. Batches commit in whatever order they finish; each records its own range. After a
   * failure no new batch starts, the batches in flight finish (commit or roll back), and the
   * first failure is thrown with the others suppressed: a resume redoes the ranges left. A data
   * source that has no connection to spare (a pool sized for the runner's two) does not stop or
   * hold the restore: the connections it has go on, and a helper still waiting for one when the
   * queue is done is left behind.
   */
  private long restoreInParallel(Connection c, Dialect d, Archive.Entry e, String sql, List<long[]> ranges, int connections)
      throws Exception {
    Queue<long[]> queue = new ConcurrentLinkedQueue<>(ranges);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(connections - 1, r -> {
      Thread t = new Thread(r, "rollback-restore-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    List<Future<Long>> helpers = new ArrayList<>();
    // per helper: WAITING for its connection, WORKING with it, or LEFT behind once the runner's own
    // connection finished the queue (a pool that has no connection to spare must not hold the restore)
    List<AtomicInteger> states = new ArrayList<>();
    try {
      for (int i = 1; i < connections; i++) {
        AtomicInteger state = new AtomicInteger(WAITING);
        states.add(state);
        helpers.add(pool.submit(() -> {
          Connection own;
          try {
            own = s.dataSource().getConnection();
          } catch (SQLException | RuntimeException none) {
            if (state.compareAndSet(WAITING, LEFT)) {
              log.warn("restore of {}: no extra connection from the data source ({}); going on with fewer", e.origin(), none.toString());
            }
            return 0L;
          }
          try (Connection mine = own) {
            if (!state.compareAndSet(WAITING, WORKING)) return 0L; // the restore went on without it
            mine.setAutoCommit(true);
            return restoreOn(mine, d, e, sql, queue, stop);
          } catch (Exception failed) {
            stop.set(true);
            throw failed;
          }
        }));
      }
      long total = 0;
      Exception first = null;
      try {
        total += restoreOn(c, d, e, sql, queue, stop);
      } catch (Exception failed) {
        stop.set(true);
        first = failed;
      }
      for (int i = 0; i < helpers.size(); i++) {
        Future<Long> f = helpers.get(i);
        if (states.get(i).compareAndSet(WAITING, LEFT)) {
          f.cancel(true); // still waiting for a connection: nothing in flight, leave it
          continue;
        }
        try {
          total += f.get();
        } catch (ExecutionException failed) {
          Exception cause = failed.getCause() instanceof Exception x ? x : failed;
          if (first == null) first = cause;
          else if (first != cause) first.addSuppressed(cause);
        }
      }
      if (first != null) throw first;
      return total;
    } finally {
      stop.set(true);
      pool.shutdown();
    }
  }

  /** Takes ranges from {@code queue} until it is empty or {@code stop} is set; each range is one transaction on {@code c}. */
  private long restoreOn(Connection c, Dialect d, Archive.Entry e, String sql, Queue<long[]> queue, AtomicBoolean stop)
      throws Exception {
    long total = 0;
    for (long[] r; !stop.get() && (r = queue.poll()) != null; ) {
      long from = r[0];
      long to = r[1];
      try {
        total += inTransaction(c, d, "restore of " + e.origin() + " (rb_seq " + from + ".." + to + ")",
            () -> restoreBatch(c, d, e, sql, from, to));
      } catch (Exception failed) {
        stop.set(true);
        throw failed;
      }
      log.debug("restored archived rows {}..{} of {} of {}", from, to, e.rows(), e.origin());
    }
    return total;
  }

  /** The connections a restore uses: the user's choice, or the database's default. */
  private int restoreConnections(Dialect d) {
    return s.restoreConnections() > 0 ? s.restoreConnections() : d.defaultRestoreConnections();
  }

  /** Restores archive rows {@code rb_seq} in ({@code from}, {@code to}] and records the batch, in the caller's transaction. */
  private long restoreBatch(Connection c, Dialect d, Archive.Entry e, String sql, long from, long to) throws SQLException {
    long n = batchUpdate(c, d, sql, from, to, archive.joinsByKeyOnly(e));
    archive.recordBatch(c, e, from, to, n);
    return n;
  }

  /**
   * Runs one batch statement whose two parameters are the range ({@code from}, {@code to}], in the
   * caller's transaction, with the runner's timeouts; returns the rows it wrote.
   */
  private long batchUpdate(Connection c, Dialect d, String sql, long from, long to, boolean joinByKey) throws SQLException {
    fence.check();
    applyTimeouts(c, d);
    if (d == Dialect.POSTGRES) {
      try (Statement st = c.createStatement()) {
        // a batch writes row by row: compiling its expressions (about 17 ms a batch) buys nothing
        st.execute("SET LOCAL jit = off");
        if (joinByKey) {
          // a batch is a small slice of a large table: look its rows up by key instead of hashing the whole table
          st.execute("SET LOCAL enable_hashjoin = off");
          st.execute("SET LOCAL enable_mergejoin = off");
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      timeout(ps, d);
      ps.setLong(1, from);
      ps.setLong(2, to);
      return ps.executeUpdate();
    }
  }

  /** Where a rollback spent its time, for the log line that ends it. */
  private static final class Phases {
    final long started = System.nanoTime();
    long undoScripts;
    long restores;
    long batches;
    long verification;
    /** Columns refilled without the guard, and why: logged, and kept in the audit row. */
    final List<String> notes = new ArrayList<>();

    String summary(long total) {
      long other = total - undoScripts - restores - verification;
      return String.format(java.util.Locale.ROOT, "took %d ms: undo scripts %d ms, restores %d ms (%d batches),"
          + " verification %d ms, other (lock, archive index, audit, retention) %d ms", total / 1_000_000, undoScripts / 1_000_000,
          restores / 1_000_000, batches, verification / 1_000_000, other / 1_000_000);
    }
  }

  // ------------------------------------------------------------------ verification

  private void storeFingerprints(Connection c, LoadedMigration m, int rank) throws SQLException {
    if (s.verifiedTables().isEmpty()) return;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + fingerprints()
        + " WHERE \"version\" = '" + m.version() + "' AND \"history_rank\" = " + rank)) {
      rs.next();
      if (rs.getLong(1) > 0) return; // a resumed migration keeps the fingerprint taken before it first started
    }
    int index = 0;
    for (Map.Entry<String, List<String>> e : s.verifiedTables().entrySet()) {
      Fingerprint fp = Fingerprints.take(c, e.getKey(), e.getValue());
      String snapshot = verification.snapshot(c, m.version(), rank, index++, e.getKey(), e.getValue());
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + fingerprints() + " (\"version\", \"history_rank\","
          + " \"table_name\", \"columns\", \"fingerprint\", \"snapshot_table\", \"created_at\") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, m.version());
        ps.setInt(2, rank);
        ps.setString(3, e.getKey());
        ps.setString(4, String.join(",", e.getValue()));
        ps.setString(5, fp.encode());
        ps.setString(6, snapshot);
        ps.setTimestamp(7, Timestamp.from(s.clock().instant()));
        ps.executeUpdate();
      }
    }
  }

  private void verify(Connection c, String version, int rank, List<String> verified, List<RollbackSummary.Mismatch> mismatches,
      List<String> lines, Phases phases) throws SQLException {
    long t0 = System.nanoTime();
    try {
      verify(c, version, rank, verified, mismatches, lines);
    } finally {
      phases.verification += System.nanoTime() - t0;
    }
  }

  /**
   * Compares each verified table after the rollback of V{@code version} with its snapshot from
   * before the change (see {@link Verification}); what differs goes to {@code mismatches} and
   * {@code lines}. The snapshots and fingerprints are dropped either way: the rollback is
   * committed, and the evidence is in the summary and the audit row.
   */
  private void verify(Connection c, String version, int rank, List<String> verified, List<RollbackSummary.Mismatch> mismatches,
      List<String> lines) throws SQLException {
    List<String[]> stored = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT \"table_name\", \"columns\", \"fingerprint\","
        + " \"snapshot_table\" FROM " + fingerprints() + " WHERE \"version\" = '" + version + "' AND \"history_rank\" = " + rank)) {
      while (rs.next()) stored.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
    }
    for (String[] row : stored) {
      List<String> cols = row[1].isEmpty() ? List.of() : List.of(row[1].split(","));
      Fingerprint before = Fingerprint.decode(row[0], cols, row[2]);
      int n = lines.size();
      List<String> own = new ArrayList<>();
      verification.compare(c, version, rank, row[0], before, row[3], mismatches, own);
      for (String l : own) lines.add("after undoing V" + version + ", " + l);
      if (lines.size() == n && !verified.contains(row[0])) verified.add(row[0]);
    }
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM " + fingerprints() + " WHERE \"version\" = '" + version + "' AND \"history_rank\" = " + rank);
    }
  }

  private String fingerprints() {
    return archive.table("fingerprints");
  }

  // ------------------------------------------------------------------ dry run

  public SqlPlan planMigrateTo(String target) {
    String t = Version.normalize(target);
    String from = currentVersion();
    List<PlannedStatement> out = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (LoadedMigration m : s.migrations()) {
      if (Version.compare(m.version(), from) <= 0 || Version.compare(m.version(), t) > 0) continue;
      if (m.java() != null) {
        out.add(new PlannedStatement(m.version(), m.info().script(), "-- Java migration " + m.info().description()));
        continue;
      }
      for (int i = 0; i < m.up().size(); i++) {
        for (Effect e : m.effects().get(i)) {
          out.add(new PlannedStatement(m.version(), origin(m, i), "-- archive into " + archive.schema() + " first: " + e.describe()));
        }
        out.add(new PlannedStatement(m.version(), origin(m, i), m.up().get(i).sql()));
      }
      out.add(new PlannedStatement(m.version(), history.kind().table(), "INSERT INTO " + history.qualified() + " … (V" + m.version() + ")"));
    }
    if (out.isEmpty()) notes.add("nothing to apply: the database is at " + from);
    return new SqlPlan("migrate from " + from + " to " + t, out, notes);
  }

  public SqlPlan planRollbackTo(String target) {
    String t = Version.normalize(target);
    try (Connection c = s.dataSource().getConnection()) {
      Dialect d = prepare(c);
      List<HistoryTable.Row> rows = history.applied(c);
      String from = current(rows);
      List<PlannedStatement> out = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      for (Archive.Entry e : archive.inPhase(c, Archive.REVERTED)) {
        notes.add("an earlier rollback stopped while restoring " + e.origin() + " (" + archive.coveredSoFar(c, e) + " of " + e.rows()
            + " archived rows done); it is finished first");
      }
      List<HistoryTable.Row> toUndo = new ArrayList<>();
      for (HistoryTable.Row r : rows) if (r.success() && Version.compare(r.version(), t) > 0) toUndo.add(r);
      Collections.reverse(toUndo);
      for (HistoryTable.Row r : toUndo) {
        LoadedMigration m = byVersion.get(r.version());
        if (m == null || !m.info().isReversible()) {
          notes.add("V" + r.version() + " cannot be undone: " + (m == null ? "unknown here" : "irreversible"));
          continue;
        }
        if (m.java() != null) {
          out.add(new PlannedStatement(m.version(), m.info().undoScript(), "-- Java down migration " + m.info().description()));
        } else {
          for (SqlScript.Statement st : m.down()) {
            out.add(new PlannedStatement(m.version(), m.info().undoScript() + ":" + st.line(), st.sql()));
          }
        }
        out.add(new PlannedStatement(m.version(), history.kind().table(), history.deleteSql(r.rank())));
        List<Archive.Entry> entries = new ArrayList<>(archive.forMigration(c, m.version(), r.rank()));
        Collections.reverse(entries);
        for (Archive.Entry e : entries) {
          if (e.isKeptInPlace()) {
            planKept(c, d, m, e, out);
            continue;
          }
          if (e.archiveTable().equals("-") || e.rows() == 0) continue;
          String sql;
          try {
            sql = archive.restoreSql(c, e);
          } catch (MigrationException notYet) {
            // the table or column is re-created by the undo script, which has not run: show the shape
            sql = "-- restore " + e.rows() + " rows from " + archive.schema() + "." + e.archiveTable() + " into " + e.sourceTable();
          }
          out.add(new PlannedStatement(m.version(), "restore of " + e.origin() + ", " + e.rows() + " rows in batches of "
              + s.batchSize() + " (rb_seq ranges) on " + restoreConnections(d) + " connection" + (restoreConnections(d) == 1 ? "" : "s"), sql));
        }
      }
      return new SqlPlan("roll back from " + from + " to " + t, out, notes);
    } catch (SQLException e) {
      throw new MigrationException("cannot plan the rollback to " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * The exact SQL that puts back a column kept in place: on PostgreSQL the swap (in the undo
   * script's transaction, with the default and NOT NULL the undo script declares), and the copy it
   * falls back to (and always runs on H2) where the swap is not possible.
   */
  private void planKept(Connection c, Dialect d, LoadedMigration m, Archive.Entry e, List<PlannedStatement> out) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    String table = t == null ? e.sourceTable() : t.qualified();
    String key = e.key().isEmpty() ? "id" : e.key().get(0);
    String column = e.columns().get(0);
    InPlace.Kept k = e.kept();
    InPlace.Declared declared = m.java() != null ? null : InPlace.declared(m.down(), column);
    String origin = "put back of " + e.origin() + ": " + e.sourceTable() + "." + column + " kept in place as " + k.hidden();
    if (d == Dialect.POSTGRES) {
      out.add(new PlannedStatement(m.version(), origin, "-- in the undo script's transaction, if it re-adds " + column + " as " + k.type()
          + " and nothing depends on the re-added column" + (declared != null && declared.notNull() ? " and no kept value is NULL" : "")
          + ": swap (no row is rewritten)"));
      if (declared != null) {
        for (String sql : InPlace.swapSql(table, column, k.hidden(), declared.def(), declared.notNull())) {
          out.add(new PlannedStatement(m.version(), origin, sql));
        }
      } else {
        for (String sql : InPlace.swapSql(table, column, k.hidden(), "<the default the undo script declares>", false)) {
          out.add(new PlannedStatement(m.version(), origin, sql));
        }
        out.add(new PlannedStatement(m.version(), origin, "-- and SET NOT NULL if the undo script declares it"));
      }
      out.add(new PlannedStatement(m.version(), origin, "-- otherwise, after the undo script commits: copy"));
    }
    String guard = declared == null ? null : declared.def() == null ? "NULL" : declared.def();
    out.add(new PlannedStatement(m.version(), origin + ", in batches of " + s.batchSize() + " rows by " + key + " range",
        InPlace.copySql(table, key, column, k.hidden(), guard, declared != null && declared.notNull())));
    out.add(new PlannedStatement(m.version(), origin, "ALTER TABLE " + table + " DROP COLUMN " + Names.quote(k.hidden())));
  }

  // ------------------------------------------------------------------ retention

  public int expireArchives() {
    try (Connection c = s.dataSource().getConnection()) {
      prepare(c);
      return expire(c);
    } catch (SQLException e) {
      throw new MigrationException("cannot clean the archive " + archive.schema() + ": " + e.getMessage(), e);
    }
  }

  private int expire(Connection c) throws SQLException {
    if (s.retention() == null) return 0;
    fence.check();
    c.setAutoCommit(true);
    int n = archive.expire(c, s.clock().instant().minus(s.retention()));
    int snapshots = verification.expire(c, fingerprints(), s.clock().instant().minus(s.retention()));
    if (snapshots > 0) log.info("archive retention {}: dropped {} verification snapshots", s.retention(), snapshots);
    if (n > 0) log.info("archive retention {}: dropped {} archive tables", s.retention(), n);
    return n;
  }

  // ------------------------------------------------------------------ audit

  private void audit(Connection c, String deployment, RollbackSummary r, Instant started, String outcome, String detail)
      throws SQLException {
    c.setAutoCommit(true);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + archive.table("audit") + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setLong(1, Archive.nextId(c, archive.table("audit")));
      ps.setString(2, deployment);
      ps.setString(3, s.actor());
      ps.setString(4, "rollback");
      ps.setString(5, r.fromVersion());
      ps.setString(6, r.toVersion());
      ps.setString(7, String.join(",", r.undone()));
      ps.setTimestamp(8, Timestamp.from(started));
      ps.setTimestamp(9, Timestamp.from(s.clock().instant()));
      ps.setLong(10, r.rowsRestored());
      ps.setString(11, cut(r.verification()));
      ps.setString(12, outcome);
      ps.setString(13, cut(detail));
      ps.executeUpdate();
    }
  }

  /**
   * The last rollback recorded in the audit table: {outcome, from version, to version,
   * verification, finished at}; null when none is.
   */
  public String @Nullable [] lastRollback() {
    try (Connection c = s.dataSource().getConnection()) {
      // a check reads; it creates nothing: no audit table, no rollback yet
      if (Names.resolve(c, Names.quote(archive.schema()) + ".\"audit\"") == null) return null;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT \"outcome\", \"from_version\","
          + " \"to_version\", \"verification\", \"finished_at\" FROM " + archive.table("audit") + " WHERE \"action\" = 'rollback'"
          + " ORDER BY \"id\" DESC")) {
        if (!rs.next()) return null;
        return new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getTimestamp(5).toInstant().toString()};
      }
    } catch (SQLException e) {
      throw new MigrationException("cannot read the audit table of " + archive.schema() + ": " + e.getMessage(), e);
    }
  }

  private static String cut(String v) {
    return v.length() > 3900 ? v.substring(0, 3900) + "…" : v;
  }

  // ------------------------------------------------------------------ plumbing

  private Dialect prepare(Connection c) throws SQLException {
    c.setAutoCommit(true);
    archive.create(c);
    if (history.kind() == HistoryTable.Kind.OWN) history.create(c);
    else if (!HistoryTable.exists(c, HistoryTable.Kind.FLYWAY)) {
      throw new MigrationException("the runner reads Flyway's history, but flyway_schema_history does not exist in "
          + shown(c.getMetaData().getURL()));
    }
    return Dialect.of(c);
  }

  /** A connection's URL as messages show it: a password or token in it is hidden. */
  private static String shown(@Nullable String url) {
    return url == null ? "(unknown URL)" : Redactor.ofUrlSecrets(url).redact(url);
  }

  private void checkHistory(List<HistoryTable.Row> rows) {
    for (HistoryTable.Row r : rows) {
      if (!r.success()) {
        throw new MigrationException("V" + r.version() + " (" + r.script() + ") failed in an earlier run (success = false in "
            + history.kind().table() + ", rank " + r.rank() + "); repair the history before migrating or rolling back");
      }
      LoadedMigration m = byVersion.get(r.version());
      if (m == null || m.java() != null || r.checksum() == null) continue;
      if (r.checksum() != m.info().checksum() && !s.allowChecksumMismatch()) {
        throw new ChecksumMismatchException("V" + r.version() + " (" + m.info().script() + ") changed since it was applied: checksum "
            + r.checksum() + " in " + history.kind().table() + ", " + m.info().checksum() + " now. Restore the applied script, or"
            + " build the runner with allowingChecksumMismatch() if the edit is intended");
      }
    }
  }

  private interface Work<T> {
    T run() throws Exception;
  }

  /** Runs {@code work} in one transaction, retrying lock and statement timeouts with an exponential backoff. */
  private <T> T inTransaction(Connection c, Dialect d, String what, Work<T> work) throws Exception {
    long backoff = s.backoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      c.setAutoCommit(false);
      try {
        T result = work.run();
        fence.beforeCommit(c); // the lease row, locked in this transaction: a replica that lost it commits nothing
        c.commit();
        c.setAutoCommit(true);
        return result;
      } catch (SQLException e) {
        rollbackQuietly(c);
        if (!Dialect.retryable(e) || attempt > s.retries()) {
          if (Dialect.retryable(e)) {
            throw new MigrationException(what + ": gave up after " + attempt + " attempts (" + s.retries() + " retries): "
                + e.getMessage(), e);
          }
          throw e;
        }
        log.warn("{}: {} (attempt {}); retrying in {} ms", what, e.getMessage(), attempt, backoff);
        Waits.pause(s.clock(), Duration.ofMillis(backoff));
        backoff = Math.min(backoff * 2, 30_000);
      } catch (Exception e) {
        rollbackQuietly(c);
        throw e;
      }
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.isClosed()) {
        c.rollback();
        c.setAutoCommit(true);
      }
    } catch (SQLException ignored) {
      // the connection is gone; the server rolled the transaction back
    }
  }

  private void exec(Connection c, Dialect d, String sql, String origin) throws SQLException {
    fence.check();
    applyTimeouts(c, d);
    try (Statement st = c.createStatement()) {
      timeout(st, d);
      st.execute(sql);
    } catch (SQLException e) {
      throw new SQLException(origin + ": " + e.getMessage(), e.getSQLState(), e.getErrorCode(), e);
    }
  }

  private void applyTimeouts(Connection c, Dialect d) throws SQLException {
    try (Statement st = c.createStatement()) {
      if (d == Dialect.POSTGRES) {
        st.execute("SET LOCAL lock_timeout = '" + s.lockTimeout().toMillis() + "ms'");
        st.execute("SET LOCAL statement_timeout = '" + s.statementTimeout().toMillis() + "ms'");
      } else {
        st.execute("SET LOCK_TIMEOUT " + s.lockTimeout().toMillis());
      }
    }
  }

  private void timeout(Statement st, Dialect d) throws SQLException {
    if (d != Dialect.POSTGRES) st.setQueryTimeout((int) Math.max(1, (s.statementTimeout().toMillis() + 999) / 1000));
  }

  private int progress(Connection c, String version, int rank, String direction) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT \"done\" FROM " + archive.table("progress")
        + " WHERE \"version\" = '" + version + "' AND \"history_rank\" = " + rank + " AND \"direction\" = '" + direction + "'")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  private void setProgress(Connection c, String version, int rank, String direction, int done) throws SQLException {
    try (Statement st = c.createStatement()) {
      int n = st.executeUpdate("UPDATE " + archive.table("progress") + " SET \"done\" = " + done + " WHERE \"version\" = '" + version
          + "' AND \"history_rank\" = " + rank + " AND \"direction\" = '" + direction + "'");
      if (n == 0) {
        st.executeUpdate("INSERT INTO " + archive.table("progress") + " VALUES ('" + version + "', " + rank + ", '" + direction + "', "
            + done + ")");
      }
    }
  }

  private void clearProgress(Connection c, String version, int rank) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM " + archive.table("progress") + " WHERE \"version\" = '" + version + "' AND \"history_rank\" = " + rank);
    }
  }

  private static String origin(LoadedMigration m, int i) {
    if (m.java() != null) return m.info().script();
    return m.info().script() + ":" + m.up().get(i).line();
  }

  private static int millis(long t0) {
    return (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - t0) / 1_000_000);
  }
}
