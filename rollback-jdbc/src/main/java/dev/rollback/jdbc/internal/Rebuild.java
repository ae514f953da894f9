package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a dropped column's archived values back by rebuilding its table, as pg_repack does, instead
 * of updating the rows in place (PostgreSQL only):
 *
 * <ol>
 *   <li>a trigger logs the key of every row written from now on (and refuses TRUNCATE);</li>
 *   <li>a new table like the old one (defaults, constraints, storage, comments, statistics) is
 *       created and filled by {@code COPY … FREEZE} in one transaction on a second connection, from a
 *       {@code COPY} out of one REPEATABLE READ snapshot of the table merge-joined with the archive
 *       (an {@code INSERT … SELECT} without pgjdbc or a second connection): each archived value goes
 *       where the row's re-added column still holds what the undo script left (the same guard as the
 *       batches in place); its indexes are built and it is analyzed;</li>
 *   <li>the logged rows are copied again from the live table, a few rounds, each in a REPEATABLE
 *       READ transaction;</li>
 *   <li>under a brief ACCESS EXCLUSIVE lock (the runner's lock timeout and retries): the last logged
 *       rows, the trigger dropped, owner, grants, options, comment and owned sequences carried over,
 *       the old table dropped, the new one renamed into its place with its indexes and constraints
 *       under their old names, and the archive entry marked restored — one transaction.</li>
 * </ol>
 *
 * Nothing of the old table changes before that last transaction commits; a crash before it leaves
 * the old table as it was and a log, trigger and new table that the next attempt drops first.
 */
final class Rebuild {
  private static final Logger log = LoggerFactory.getLogger(Rebuild.class);
  private static final Pattern INDEX_DEF = Pattern.compile("^CREATE (UNIQUE )?INDEX (.+?) ON (?:ONLY )?(.+?) USING (.+)$");

  /** Runs its argument in one transaction, with the runner's timeouts and retries. */
  interface Transactions {
    void inTransaction(String what, SqlWork work) throws Exception;
  }

  interface SqlWork {
    void run() throws Exception;
  }

  private record Index(String name, String definition, @Nullable String constraint, @Nullable String constraintType) {}

  private final Archive archive;
  private final Settings s;
  private final Archive.Entry e;
  private final Names.ResolvedTable t;
  private final String newTable;
  private final String logTable;
  private final String logFn;
  private final String truncFn;
  private final String trigger;
  private final String truncTrigger;

  Rebuild(Archive archive, Settings s, Archive.Entry e, Names.ResolvedTable t) {
    this.archive = archive;
    this.s = s;
    this.e = e;
    this.t = t;
    this.newTable = archive.table("rb_new_" + e.id());
    this.logTable = archive.table("rb_log_" + e.id());
    this.logFn = archive.table("rb_logfn_" + e.id());
    this.truncFn = archive.table("rb_truncfn_" + e.id());
    this.trigger = Names.quote("rb_log_" + e.id());
    this.truncTrigger = Names.quote("rb_trunc_" + e.id());
  }

  /** Why this table is restored in place rather than rebuilt; empty when it can be rebuilt. */
  Optional<String> refusal(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.relkind, c.relpersistence, c.reltablespace <> 0, c.relrowsecurity,"
        + " c.relreplident <> 'd', c.relhassubclass OR c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid),"
        + " EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = c.oid),"
        + " EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = c.oid AND (contype IN ('f', 'x', 't') OR condeferrable)),"
        + " EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal),"
        + " EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class = c.oid)"
        + "   OR EXISTS (SELECT 1 FROM pg_depend WHERE refclassid = 'pg_class'::regclass AND refobjid = c.oid"
        + "     AND classid IN ('pg_rewrite'::regclass, 'pg_proc'::regclass)),"
        + " EXISTS (SELECT 1 FROM pg_depend WHERE refclassid = 'pg_type'::regclass AND refobjid = c.reltype AND deptype = 'n'),"
        + " EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = c.oid),"
        + " EXISTS (SELECT 1 FROM pg_publication_rel WHERE prrelid = c.oid) OR EXISTS (SELECT 1 FROM pg_publication WHERE puballtables),"
        + " EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped"
        + "   AND (attidentity <> '' OR attgenerated <> '' OR attacl IS NOT NULL)),"
        + " EXISTS (SELECT 1 FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = c.oid"
        + "   AND (NOT i.indisvalid OR NOT i.indisready OR x.reltablespace <> 0)),"
        + " c.reltuples FROM pg_class c WHERE c.oid = to_regclass(?)")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) return Optional.of("the table is not found in the catalog");
        if (!rs.getString(1).equals("r")) return Optional.of("it is not an ordinary table");
        if (!rs.getString(2).equals("p")) return Optional.of("it is unlogged or temporary");
        String[] reasons = {null, null, "it is in another tablespace", "it has row-level security", "its replica identity is not the default",
            "it takes part in inheritance or partitioning", "a foreign key refers to it", "it has a foreign key, exclusion or deferrable"
            + " constraint, or a constraint trigger", "it has triggers", "views, rules or functions depend on it",
            "its row type is used elsewhere", "it has policies", "it is published for logical replication",
            "it has identity or generated columns, or column grants", "it has an index that is invalid or in another tablespace"};
        for (int i = 3; i <= 15; i++) if (rs.getBoolean(i)) return Optional.of(reasons[i - 1]);
        double tuples = rs.getDouble(16);
        if (tuples > 0 && e.rows() * 4.0 < tuples) {
          return Optional.of("its archive holds " + e.rows() + " rows, less than a quarter of the table's " + (long) tuples);
        }
      }
    }
    for (Index ix : indexes(c)) {
      if (!INDEX_DEF.matcher(ix.definition()).matches()) return Optional.of("index " + ix.name() + " cannot be re-created here");
    }
    return Optional.empty();
  }

  /** Rebuilds; returns the archived rows it put back. */
  long run(Connection c, Transactions tx) throws Exception {
    long t0 = System.nanoTime();
    cleanup(c, tx);
    List<String> cols = columns(c);
    List<Index> indexes = indexes(c);
    List<String> keyCols = new ArrayList<>();
    for (String k : e.key()) keyCols.add(t.column(k));
    String quotedCols = String.join(", ", cols.stream().map(Names::quote).toList());
    String keyList = String.join(", ", keyCols.stream().map(Names::quote).toList());
    // 1. log the keys of every row written from now on
    tx.inTransaction("rebuild of " + t.written() + ": log trigger", () -> {
      timeouts(c, true);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE " + logTable + " AS SELECT " + keyList + " FROM " + t.qualified() + " WITH NO DATA");
        List<String> oldKeys = new ArrayList<>();
        List<String> newKeys = new ArrayList<>();
        for (String k : keyCols) {
          oldKeys.add("OLD." + Names.quote(k));
          newKeys.add("NEW." + Names.quote(k));
        }
        st.execute("CREATE FUNCTION " + logFn + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $rb$"
            + " BEGIN IF TG_OP <> 'INSERT' THEN INSERT INTO " + logTable + " VALUES (" + String.join(", ", oldKeys) + "); END IF;"
            + " IF TG_OP <> 'DELETE' THEN INSERT INTO " + logTable + " VALUES (" + String.join(", ", newKeys) + "); END IF;"
            + " RETURN NULL; END $rb$");
        st.execute("CREATE FUNCTION " + truncFn + "() RETURNS trigger LANGUAGE plpgsql AS $rb$ BEGIN RAISE EXCEPTION"
            + " 'rollback: %.% is being rebuilt to restore archived values (archive " + e.id() + "); TRUNCATE waits until it is done',"
            + " TG_TABLE_SCHEMA, TG_TABLE_NAME; END $rb$");
        st.execute("CREATE TRIGGER " + trigger + " AFTER INSERT OR UPDATE OR DELETE ON " + t.qualified()
            + " FOR EACH ROW EXECUTE FUNCTION " + logFn + "()");
        st.execute("CREATE TRIGGER " + truncTrigger + " BEFORE TRUNCATE ON " + t.qualified()
            + " FOR EACH STATEMENT EXECUTE FUNCTION " + truncFn + "()");
      }
    });
    long t1 = System.nanoTime();
    // 2. the new table, filled from one snapshot with the archived values joined in, indexed and analyzed
    long[] restored = {0};
    String create = "CREATE TABLE " + newTable + " (LIKE " + t.qualified() + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
        + " INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION INCLUDING STATISTICS)";
    String fill = "SELECT " + select(cols, types(c)) + " FROM " + t.qualified() + " x LEFT JOIN " + archiveRows()
        + " a ON " + Archive.keyJoin("x", "a", e.key(), t);
    long tCopy = System.nanoTime();
    boolean copied = copyThroughClient(c, create, quotedCols, fill);
    if (!copied) {
      tx.inTransaction("rebuild of " + t.written() + ": new table", () -> {
        timeouts(c, false);
        try (Statement st = c.createStatement()) {
          st.execute(create);
        }
      });
      tx.inTransaction("rebuild of " + t.written() + ": copy", () -> {
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
          timeouts(c, false);
          fillSettings(st);
          st.executeUpdate("INSERT INTO " + newTable + " (" + quotedCols + ") " + fill);
        }
      });
    }
    long tIndexes = System.nanoTime();
    tx.inTransaction("rebuild of " + t.written() + ": indexes", () -> {
      timeouts(c, false);
      try (Statement st = c.createStatement()) {
        st.execute("SET LOCAL maintenance_work_mem = '256MB'");
        List<String> any = new ArrayList<>();
        for (String col : e.columns()) any.add("a." + Names.quote(col) + " IS NOT NULL");
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + archive.table(e.archiveTable()) + " a WHERE "
            + String.join(" OR ", any))) {
          rs.next();
          restored[0] = rs.getLong(1);
        }
        int n = 0;
        for (Index ix : indexes) {
          Matcher m = INDEX_DEF.matcher(ix.definition());
          if (!m.matches()) throw new SQLException("index " + ix.name() + " cannot be re-created: " + ix.definition());
          String tmp = "rb_ix_" + e.id() + "_" + (++n);
          st.execute("CREATE " + (m.group(1) == null ? "" : m.group(1)) + "INDEX " + Names.quote(tmp) + " ON " + newTable + " USING "
              + m.group(4));
          if (ix.constraint() != null) {
            st.execute("ALTER TABLE " + newTable + " ADD CONSTRAINT " + Names.quote("rb_c_" + e.id() + "_" + n) + " "
                + (ix.constraintType().equals("p") ? "PRIMARY KEY" : "UNIQUE") + " USING INDEX " + Names.quote(tmp));
          }
        }
        st.execute("ANALYZE " + newTable);
      }
    });
    long t2 = System.nanoTime();
    // 3. what the application wrote meanwhile, a few rounds, without a strong lock
    long caught = 0;
    for (int round = 0; round < 5; round++) {
      long[] n = {0};
      tx.inTransaction("rebuild of " + t.written() + ": catch-up", () -> {
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
          timeouts(c, false);
          n[0] = catchUp(st, cols, keyCols);
        }
      });
      caught += n[0];
      if (n[0] < 1_000) break;
    }
    long t3 = System.nanoTime();
    // 4. the swap, under a brief ACCESS EXCLUSIVE lock
    long[] last = {0};
    tx.inTransaction("rebuild of " + t.written() + ": swap", () -> {
      timeouts(c, true);
      try (Statement st = c.createStatement()) {
        st.execute("LOCK TABLE " + t.qualified() + " IN ACCESS EXCLUSIVE MODE");
        last[0] = catchUp(st, cols, keyCols);
        st.execute("DROP TRIGGER " + trigger + " ON " + t.qualified());
        st.execute("DROP TRIGGER " + truncTrigger + " ON " + t.qualified());
        st.execute("DROP FUNCTION " + logFn + "(), " + truncFn + "()");
        st.execute("DROP TABLE " + logTable);
        List<String[]> sequences = carryOver(c, st);
        String schema = t.schema() == null ? currentSchema(st) : t.schema();
        String old = Names.quote("rb_old_" + e.id());
        String moved = Names.quote(schema) + "." + Names.quote("rb_new_" + e.id());
        st.execute("ALTER TABLE " + t.qualified() + " RENAME TO " + old);
        st.execute("ALTER TABLE " + newTable + " SET SCHEMA " + Names.quote(schema));
        // an owned sequence must be in the table's schema, and would go with the old table
        for (String[] q : sequences) st.execute("ALTER SEQUENCE " + q[0] + " OWNED BY " + moved + "." + Names.quote(q[1]));
        st.execute("DROP TABLE " + Names.quote(schema) + "." + old);
        st.execute("ALTER TABLE " + moved + " RENAME TO " + Names.quote(t.name()));
        int n = 0;
        for (Index ix : indexes) {
          n++;
          if (ix.constraint() != null) {
            st.execute("ALTER TABLE " + t.qualified() + " RENAME CONSTRAINT " + Names.quote("rb_c_" + e.id() + "_" + n) + " TO "
                + Names.quote(ix.constraint()));
            if (!ix.constraint().equals(ix.name())) {
              st.execute("ALTER INDEX " + Names.quote(schema) + "." + Names.quote(ix.constraint()) + " RENAME TO " + Names.quote(ix.name()));
            }
          } else {
            st.execute("ALTER INDEX " + Names.quote(schema) + "." + Names.quote("rb_ix_" + e.id() + "_" + n) + " RENAME TO "
                + Names.quote(ix.name()));
          }
        }
      }
      archive.finishRebuild(c, e, restored[0]);
    });
    long t4 = System.nanoTime();
    log.info("rebuilt {} with the values archived by {} in {} ms: log trigger {} ms, new table and copy ({}) {} ms, indexes and"
            + " ANALYZE {} ms, catch-up of {} rows {} ms, swap under ACCESS EXCLUSIVE {} ms ({} rows caught up there)", t.written(),
        e.origin(), (t4 - t0) / 1_000_000, (t1 - t0) / 1_000_000,
        copied ? "COPY FREEZE through the client" : "INSERT … SELECT", (tIndexes - tCopy) / 1_000_000, (t2 - tIndexes) / 1_000_000, caught,
        (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000, last[0]);
    return restored[0];
  }

  /** Drops what an earlier, interrupted rebuild of this entry left (never the table itself). */
  void cleanup(Connection c, Transactions tx) throws Exception {
    boolean triggers;
    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(?)"
        + " AND tgname IN (?, ?))")) {
      ps.setString(1, t.qualified());
      ps.setString(2, "rb_log_" + e.id());
      ps.setString(3, "rb_trunc_" + e.id());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        triggers = rs.getBoolean(1);
      }
    }
    tx.inTransaction("rebuild of " + t.written() + ": clean-up", () -> {
      timeouts(c, true);
      try (Statement st = c.createStatement()) {
        if (triggers) {
          st.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + t.qualified());
          st.execute("DROP TRIGGER IF EXISTS " + truncTrigger + " ON " + t.qualified());
        }
        st.execute("DROP FUNCTION IF EXISTS " + logFn + "(), " + truncFn + "()");
        st.execute("DROP TABLE IF EXISTS " + logTable + ", " + newTable);
      }
    });
  }

  /** Copies the logged rows again from the live table into the new one; returns how many keys. */
  private long catchUp(Statement st, List<String> cols, List<String> keyCols) throws SQLException {
    String keyList = String.join(", ", keyCols.stream().map(Names::quote).toList());
    st.execute("CREATE TEMP TABLE rb_keys ON COMMIT DROP AS SELECT " + keyList + " FROM " + logTable + " WITH NO DATA");
    long n = st.executeUpdate("WITH moved AS (DELETE FROM " + logTable + " RETURNING " + keyList + ") INSERT INTO rb_keys SELECT DISTINCT "
        + keyList + " FROM moved");
    if (n == 0) {
      st.execute("DROP TABLE rb_keys");
      return 0;
    }
    List<String> on = new ArrayList<>();
    List<String> onX = new ArrayList<>();
    for (String k : keyCols) {
      on.add("n." + Names.quote(k) + " = k." + Names.quote(k));
      onX.add("x." + Names.quote(k) + " = k." + Names.quote(k));
    }
    st.executeUpdate("DELETE FROM " + newTable + " n USING rb_keys k WHERE " + String.join(" AND ", on));
    st.executeUpdate("INSERT INTO " + newTable + " (" + String.join(", ", cols.stream().map(Names::quote).toList()) + ") SELECT "
        + select(cols) + " FROM " + t.qualified() + " x JOIN rb_keys k ON " + String.join(" AND ", onX) + " LEFT JOIN "
        + archive.table(e.archiveTable()) + " a ON " + Archive.keyJoin("x", "a", e.key(), t));
    st.execute("DROP TABLE rb_keys");
    return n;
  }

  /**
   * The archive as the fill joins it: every column refilled only where it is still NULL, an archived
   * row of NULLs can change nothing, so only the rows holding a value are joined (and sorted for the
   * merge join); in a sparse column, most of the archive is left out.
   */
  private String archiveRows() {
    String arch = archive.table(e.archiveTable());
    List<@Nullable String> guards = Archive.refillGuards(e);
    if (guards == null || guards.contains(null) || !guards.stream().allMatch("NULL"::equals)) return arch;
    List<String> any = new ArrayList<>();
    for (String col : e.columns()) any.add(Names.quote(col) + " IS NOT NULL");
    return "(SELECT * FROM " + arch + " WHERE " + String.join(" OR ", any) + ")";
  }

  /** The select list: every column of the table, the archived ones refilled where the row still holds what the undo script left. */
  private String select(List<String> cols) {
    return select(cols, java.util.Map.of());
  }

  /** The same, each refilled column cast to the table's type (so a binary COPY of it fits the new table). */
  private String select(List<String> cols, java.util.Map<String, String> types) {
    List<@Nullable String> guards = Archive.refillGuards(e);
    List<String> out = new ArrayList<>();
    for (String col : cols) {
      int i = -1;
      for (int j = 0; j < e.columns().size(); j++) if (t.column(e.columns().get(j)).equals(col)) i = j;
      String target = "x." + Names.quote(col);
      if (i < 0) {
        out.add(target);
        continue;
      }
      String guard = guards == null ? null : guards.get(i);
      String present = "a." + Names.quote(e.key().get(0)) + " IS NOT NULL";
      String when = guard == null ? present : present + " AND " + Archive.holds(target, guard);
      String type = types.get(col);
      out.add("CASE WHEN " + when + " THEN a." + Names.quote(e.columns().get(i)) + " ELSE " + target + " END"
          + (type == null ? "" : "::" + type));
    }
    return String.join(", ", out);
  }

  /**
   * The planner settings of the fill: a merge join on the key (the table read through its primary
   * key, the archive sorted), never a hash join. The hash join the planner prefers for a table and an
   * archive of about the same size builds its hash table from the wide table and took about twice as
   * long as the merge join when its rows were streamed out; the merge join also writes the new table
   * in key order, which makes the primary key's build cheaper.
   */
  private static void fillSettings(Statement st) throws SQLException {
    st.execute("SET LOCAL work_mem = '256MB'");
    st.execute("SET LOCAL enable_hashjoin = off");
  }

  /**
   * Creates the new table and streams the rows into it with {@code COPY … TO STDOUT} on this
   * connection (one REPEATABLE READ snapshot) and {@code COPY … FROM STDIN (FREEZE)} on a second one,
   * in the transaction that created the table: the server inserts them in bulk, which an
   * {@code INSERT … SELECT} does not, and writes them frozen and all-visible, so the index build,
   * {@code ANALYZE}, the verification and the application's first reads do not write every page
   * again to set hint bits. False (nothing done) when the driver is not pgjdbc or no second
   * connection can be had.
   */
  private boolean copyThroughClient(Connection c, String create, String quotedCols, String fill) throws Exception {
    try {
      if (!c.isWrapperFor(org.postgresql.PGConnection.class)) return false;
    } catch (LinkageError noDriverApi) {
      return false;
    }
    Connection b;
    try {
      b = s.dataSource().getConnection();
    } catch (SQLException none) {
      log.info("rebuild of {}: no second connection ({}), filling the new table with INSERT … SELECT", t.written(), none.getMessage());
      return false;
    }
    try (b) {
      if (!b.isWrapperFor(org.postgresql.PGConnection.class)) return false;
      c.setAutoCommit(false);
      b.setAutoCommit(false);
      try {
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
          timeouts(c, false);
          fillSettings(st);
        }
        timeouts(b, false);
        try (Statement st = b.createStatement()) {
          st.execute(create);
        }
        org.postgresql.copy.CopyOut out = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
            .copyOut("COPY (" + fill + ") TO STDOUT (FORMAT binary)");
        org.postgresql.copy.CopyIn in = b.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
            .copyIn("COPY " + newTable + " (" + quotedCols + ") FROM STDIN (FORMAT binary, FREEZE)");
        try {
          byte[] buf;
          while ((buf = out.readFromCopy()) != null) in.writeToCopy(buf, 0, buf.length);
          in.endCopy();
        } finally {
          if (in.isActive()) in.cancelCopy();
          if (out.isActive()) out.cancelCopy();
        }
        b.commit();
        c.commit();
        return true;
      } catch (SQLException | RuntimeException failed) {
        try {
          b.rollback();
        } finally {
          c.rollback();
        }
        throw failed;
      } finally {
        b.setAutoCommit(true);
        c.setAutoCommit(true);
      }
    }
  }

  private java.util.Map<String, String> types(Connection c) throws SQLException {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        + " WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  private List<String> columns(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0"
        + " AND NOT attisdropped ORDER BY attnum")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
    }
    return out;
  }

  private List<Index> indexes(Connection c) throws SQLException {
    List<Index> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT x.relname, pg_get_indexdef(i.indexrelid), con.conname, con.contype"
        + " FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid"
        + " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u') WHERE i.indrelid = to_regclass(?) ORDER BY i.indexrelid")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(new Index(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    return out;
  }

  /** Owner, grants, storage options and the table's comment go to the new table; returns the owned sequences (name, column). */
  private List<String[]> carryOver(Connection c, Statement st) throws SQLException {
    String owner;
    String options;
    String comment;
    List<String> grants = new ArrayList<>();
    List<String[]> sequences = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT quote_ident(pg_get_userbyid(c.relowner)),"
        + " array_to_string(c.reloptions, ', '), obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.oid = to_regclass(?)")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        owner = rs.getString(1);
        options = rs.getString(2);
        comment = rs.getString(3);
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE"
        + " quote_ident(pg_get_userbyid(a.grantee)) END, a.privilege_type, a.is_grantable"
        + " FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = to_regclass(?)")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          grants.add("GRANT " + rs.getString(2) + " ON " + newTable + " TO " + rs.getString(1) + (rs.getBoolean(3) ? " WITH GRANT OPTION" : ""));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT d.objid::regclass::text, a.attname FROM pg_depend d"
        + " JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S' JOIN pg_attribute a ON a.attrelid = d.refobjid"
        + " AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.refobjid = to_regclass(?) AND d.deptype = 'a'")) {
      ps.setString(1, t.qualified());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) sequences.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    st.execute("ALTER TABLE " + newTable + " OWNER TO " + owner);
    for (String g : grants) st.execute(g);
    if (options != null && !options.isEmpty()) st.execute("ALTER TABLE " + newTable + " SET (" + options + ")");
    if (comment != null) {
      try (PreparedStatement ps = c.prepareStatement("SELECT quote_literal(?)")) {
        ps.setString(1, comment);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          st.execute("COMMENT ON TABLE " + newTable + " IS " + rs.getString(1));
        }
      }
    }
    return sequences;
  }

  private static String currentSchema(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT current_schema()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private void timeouts(Connection c, boolean strongLock) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET LOCAL lock_timeout = '" + s.lockTimeout().toMillis() + "ms'");
      st.execute("SET LOCAL statement_timeout = '" + s.statementTimeout().toMillis() + "ms'");
      if (!strongLock) st.execute("SET LOCAL jit = off");
    }
  }
}
