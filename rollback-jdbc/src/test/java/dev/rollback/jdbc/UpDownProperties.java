package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.sql.DataSource;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * For random sequences of schema and data changes from a small grammar (add, drop and rename a
 * column, narrow a type, insert, update and delete rows), migrating up then rolling back to the
 * start restores the table's fingerprint exactly, and every intermediate rollback verifies.
 */
class UpDownProperties {

  @Property(tries = 15)
  void upThenDownRestoresTheFingerprintOnH2(@ForAll @Size(min = 1, max = 7) List<@IntRange(min = 0, max = 6) Integer> ops,
      @ForAll long seed) throws Exception {
    check(TestDatabases.h2(), ops, seed);
  }

  @Property(tries = 3)
  void upThenDownRestoresTheFingerprintOnPostgres(@ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 6) Integer> ops,
      @ForAll long seed) throws Exception {
    check(PostgresServer.newDatabase(), ops, seed);
  }

  @Property(tries = 10)
  void upThenDownRestoresTheFingerprintOnH2WithDroppedColumnsKeptInPlace(
      @ForAll @Size(min = 1, max = 7) List<@IntRange(min = 0, max = 6) Integer> ops, @ForAll long seed) throws Exception {
    check(TestDatabases.h2(), ops, seed, true);
  }

  @Property(tries = 3)
  void upThenDownRestoresTheFingerprintOnPostgresWithDroppedColumnsKeptInPlace(
      @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 6) Integer> ops, @ForAll long seed) throws Exception {
    check(PostgresServer.newDatabase(), ops, seed, true);
  }

  private static void check(DataSource ds, List<Integer> ops, long seed) throws Exception {
    check(ds, ops, seed, false);
  }

  private static void check(DataSource ds, List<Integer> ops, long seed, boolean keptInPlace) throws Exception {
    Path dir = Files.createTempDirectory("updown");
    try {
      Generator g = new Generator(new Random(seed));
      g.write(dir, 1, "create t", g.create(), "DROP TABLE t;");
      int version = 1;
      for (int op : ops) {
        String[] pair = g.next(op);
        g.write(dir, ++version, "op " + op, pair[0], pair[1]);
      }
      Migrations.Builder b = Migrations.builder(ds).fromFolder(dir).withBatchSize(3).verifying("t");
      if (keptInPlace) b.withDroppedColumnsKeptInPlace();
      Migrations m = b.build();
      m.migrateTo("1");
      Fingerprint before;
      try (Connection c = ds.getConnection()) {
        before = Fingerprint.of(c, "t");
      }

      m.migrateTo(String.valueOf(version));
      RollbackSummary back = m.rollbackTo("1");

      assertThat(back.undone()).hasSize(version - 1);
      try (Connection c = ds.getConnection()) {
        Fingerprint after = Fingerprint.of(c, "t");
        assertThat(after.matches(before)).as("fingerprint after %s: %s, before: %s; scripts %s", ops, after, before, g.log).isTrue();
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  /** Produces valid up/down pairs for the current shape of table t. */
  private static final class Generator {
    final Random rnd;
    final Map<String, String> columns = new LinkedHashMap<>(); // name -> type, without id
    final List<String> log = new ArrayList<>();
    int nextId = 1;
    int names = 0;

    Generator(Random rnd) {
      this.rnd = rnd;
      columns.put("a", "VARCHAR(40)");
      columns.put("b", "NUMERIC(10, 2)");
    }

    String create() {
      StringBuilder sb = new StringBuilder("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(40), b NUMERIC(10, 2));\n");
      sb.append(insert(8));
      return sb.toString();
    }

    String insert(int n) {
      List<String> cols = new ArrayList<>(columns.keySet());
      StringBuilder sb = new StringBuilder("INSERT INTO t (id");
      for (String c : cols) sb.append(", ").append(c);
      sb.append(") VALUES ");
      for (int i = 0; i < n; i++) {
        if (i > 0) sb.append(", ");
        sb.append('(').append(nextId++);
        for (String c : cols) sb.append(", ").append(value(columns.get(c)));
        sb.append(')');
      }
      return sb.append(";\n").toString();
    }

    String value(String type) {
      if (rnd.nextInt(5) == 0) return "NULL";
      if (type.startsWith("VARCHAR")) return "'v" + rnd.nextInt(1000) + "'";
      if (type.startsWith("NUMERIC(10, 2)")) return rnd.nextInt(10000) / 100 + "." + String.format("%02d", rnd.nextInt(100));
      return String.valueOf(rnd.nextInt(1000));
    }

    String[] next(int op) {
      List<String> cols = new ArrayList<>(columns.keySet());
      String col = cols.isEmpty() ? null : cols.get(rnd.nextInt(cols.size()));
      String[] pair = switch (op) {
        case 0 -> {
          String name = "c" + (++names);
          String type = List.of("INT", "VARCHAR(40)", "NUMERIC(10, 2)").get(rnd.nextInt(3));
          columns.put(name, type);
          yield new String[] {"ALTER TABLE t ADD COLUMN " + name + " " + type + ";", "ALTER TABLE t DROP COLUMN " + name + ";"};
        }
        case 1 -> {
          if (col == null) yield next(0);
          String type = columns.remove(col);
          yield new String[] {"ALTER TABLE t DROP COLUMN " + col + ";", "ALTER TABLE t ADD COLUMN " + col + " " + type + ";"};
        }
        case 2 -> {
          if (col == null) yield next(0);
          String name = "r" + (++names);
          Map<String, String> renamed = new LinkedHashMap<>();
          columns.forEach((k, v) -> renamed.put(k.equals(col) ? name : k, v));
          columns.clear();
          columns.putAll(renamed);
          yield new String[] {"ALTER TABLE t RENAME COLUMN " + col + " TO " + name + ";", "ALTER TABLE t RENAME COLUMN " + name + " TO " + col + ";"};
        }
        case 3 -> {
          String wide = cols.stream().filter(c -> columns.get(c).equals("NUMERIC(10, 2)")).findFirst().orElse(null);
          if (wide == null) yield next(4);
          columns.put(wide, "NUMERIC(10, 0)");
          yield new String[] {"ALTER TABLE t ALTER COLUMN " + wide + " TYPE NUMERIC(10, 0);",
              "ALTER TABLE t ALTER COLUMN " + wide + " TYPE NUMERIC(10, 2);"};
        }
        case 4 -> {
          int first = nextId;
          String ins = insert(1 + rnd.nextInt(4));
          yield new String[] {ins, "DELETE FROM t WHERE id >= " + first + " AND id < " + nextId + ";"};
        }
        case 5 -> {
          if (col == null) yield next(4);
          yield new String[] {"UPDATE t SET " + col + " = " + value(columns.get(col)) + " WHERE MOD(id, " + (2 + rnd.nextInt(3)) + ") = "
              + rnd.nextInt(2) + ";", "-- the archive restores the old values\n"};
        }
        default -> new String[] {"DELETE FROM t WHERE MOD(id, " + (2 + rnd.nextInt(4)) + ") = " + rnd.nextInt(2) + ";",
            "-- the archive restores the deleted rows\n"};
      };
      return pair;
    }

    void write(Path dir, int version, String description, String up, String down) throws Exception {
      String name = description.replace(' ', '_');
      Files.writeString(dir.resolve("V" + version + "__" + name + ".sql"), up);
      Files.writeString(dir.resolve("U" + version + "__" + name + ".sql"), down);
      log.add("V" + version + ": " + up.trim() + " / U: " + down.trim());
    }
  }
}
