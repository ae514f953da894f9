package dev.rollback.jdbc;

import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalException;
import dev.rollback.journal.JournalLines;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A journal in two tables, shared by every replica that reaches the database: each record is the
 * same checksummed JSON line the {@link dev.rollback.journal.FileJournal} writes, committed before
 * {@link #append} returns. The fencing check is atomic across replicas: an append locks the run's
 * row ({@code SELECT … FOR UPDATE}), refuses a token lower than the highest accepted, and inserts
 * the record in the same transaction. A transaction cannot tear a record, so there is nothing to
 * repair; a line that fails its checksum is damage, reported with the run and position.
 *
 * <pre>{@code
 * RollbackEngine.builder().withJournal(JdbcJournal.of(dataSource)).build();
 * }</pre>
 */
public final class JdbcJournal implements Journal {
  private final DataSource dataSource;
  private final String runs;
  private final String records;
  private volatile boolean created;

  private JdbcJournal(DataSource dataSource, String prefix) {
    this.dataSource = dataSource;
    this.runs = "\"" + prefix + "_runs\"";
    this.records = "\"" + prefix + "_records\"";
  }

  /** A journal in tables {@code rollback_journal_runs} and {@code rollback_journal_records}, created if missing. */
  public static JdbcJournal of(DataSource dataSource) {
    return of(dataSource, "rollback_journal");
  }

  /** A journal in tables {@code <prefix>_runs} and {@code <prefix>_records}. */
  public static JdbcJournal of(DataSource dataSource, String prefix) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(prefix, "prefix");
    if (!prefix.matches("[a-z_][a-z0-9_]{0,40}")) throw new IllegalArgumentException("table prefix must be a lower-case identifier: '" + prefix + "'");
    return new JdbcJournal(dataSource, prefix);
  }

  private void ensureTables(Connection c) throws SQLException {
    if (created) return;
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + runs + " (\"run_id\" VARCHAR(200) NOT NULL PRIMARY KEY, \"created_order\" BIGINT NOT NULL,"
          + " \"highest_fence\" BIGINT NOT NULL, \"last_pos\" BIGINT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS " + records + " (\"run_id\" VARCHAR(200) NOT NULL, \"pos\" BIGINT NOT NULL,"
          + " \"seq\" BIGINT NOT NULL, \"type\" VARCHAR(100) NOT NULL, \"fence\" BIGINT NOT NULL, \"line\" VARCHAR(1000000) NOT NULL,"
          + " PRIMARY KEY (\"run_id\", \"pos\"))");
    } catch (SQLException e) {
      // VARCHAR(1000000) is H2's and PostgreSQL's; anything else gets TEXT
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS " + records + " (\"run_id\" VARCHAR(200) NOT NULL, \"pos\" BIGINT NOT NULL,"
            + " \"seq\" BIGINT NOT NULL, \"type\" VARCHAR(100) NOT NULL, \"fence\" BIGINT NOT NULL, \"line\" TEXT NOT NULL,"
            + " PRIMARY KEY (\"run_id\", \"pos\"))");
      }
    }
    created = true;
  }

  @Override
  public void append(JournalRecord record) {
    String line = JournalLines.encode(record);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      ensureTables(c);
      for (int attempt = 1; ; attempt++) {
        c.setAutoCommit(false);
        try {
          long[] run = lockRun(c, record.runId());
          if (record.fence() < run[0]) {
            c.rollback();
            throw new FencedOffException(record.runId(), record.fence(), run[0]);
          }
          long pos = run[1] + 1;
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + records + " VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, record.runId());
            ps.setLong(2, pos);
            ps.setLong(3, record.seq());
            ps.setString(4, record.type());
            ps.setLong(5, record.fence());
            ps.setString(6, line);
            ps.executeUpdate();
          }
          try (PreparedStatement ps = c.prepareStatement("UPDATE " + runs + " SET \"highest_fence\" = ?, \"last_pos\" = ? WHERE \"run_id\" = ?")) {
            ps.setLong(1, Math.max(run[0], record.fence()));
            ps.setLong(2, pos);
            ps.setString(3, record.runId());
            ps.executeUpdate();
          }
          c.commit();
          return;
        } catch (SQLException e) {
          c.rollback();
          // two replicas creating the same run row at once: the loser retries and locks the winner's row
          if (attempt >= 3) throw e;
        } finally {
          c.setAutoCommit(true);
        }
      }
    } catch (SQLException e) {
      throw new JournalException("cannot append " + record.type() + " of run " + record.runId() + " to " + records + ": " + e.getMessage(), e);
    }
  }

  /** Locks the run's row (creating it), returns {highest fence, last position}. */
  private long[] lockRun(Connection c, String runId) throws SQLException {
    for (int i = 0; i < 2; i++) {
      try (PreparedStatement ps = c.prepareStatement("SELECT \"highest_fence\", \"last_pos\" FROM " + runs + " WHERE \"run_id\" = ? FOR UPDATE")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) return new long[] {rs.getLong(1), rs.getLong(2)};
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + runs + " SELECT ?, COALESCE(MAX(\"created_order\"), 0) + 1, 0, 0 FROM " + runs)) {
        ps.setString(1, runId);
        ps.executeUpdate();
      }
    }
    throw new SQLException("run row for " + runId + " vanished");
  }

  @Override
  public JournalRead read(String runId) {
    List<JournalRecord> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      ensureTables(c);
      try (PreparedStatement ps = c.prepareStatement("SELECT \"pos\", \"line\" FROM " + records + " WHERE \"run_id\" = ? ORDER BY \"pos\"")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(JournalLines.decode(rs.getString(2), records + " run " + runId + " position " + rs.getLong(1)));
          }
        }
      }
    } catch (SQLException e) {
      throw new JournalException("cannot read run " + runId + " from " + records + ": " + e.getMessage(), e);
    }
    return new JournalRead(runId, out, List.of());
  }

  @Override
  public List<String> runIds() {
    List<String> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      ensureTables(c);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT \"run_id\" FROM " + runs + " ORDER BY \"created_order\", \"run_id\"")) {
        while (rs.next()) out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new JournalException("cannot list runs in " + runs + ": " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "JdbcJournal[" + records + "]";
  }
}
