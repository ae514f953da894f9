package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.jdbc.internal.Effect;
import dev.rollback.jdbc.internal.LoadedMigration;
import dev.rollback.jdbc.internal.SqlScript;
import dev.rollback.jdbc.internal.StatementClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Script lexing, classification with the parser, directives, and the errors a user sees for bad input. */
class ScriptValidationTest {

  private static List<Effect> classify(String sql, String... directives) {
    return StatementClassifier.classify("V9__x.sql", new SqlScript.Statement(sql, 3, List.of(directives)));
  }

  @Test
  void splitsAtTopLevelSemicolonsKeepingLinesAndDirectives() {
    List<SqlScript.Statement> s = SqlScript.split("V1__a.sql", """
        -- a comment; with a semicolon
        CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) DEFAULT 'a;b');
        /* block; comment */
        -- rollback:archive t(v)
        UPDATE t
           SET v = 'x' WHERE id = 1;
        DO $body$ BEGIN PERFORM 1; END $body$;
        """);
    assertThat(s).extracting(SqlScript.Statement::line).containsExactly(2, 5, 7);
    assertThat(s.get(0).sql()).endsWith("DEFAULT 'a;b')");
    assertThat(s.get(1).directives()).containsExactly("archive t(v)");
    assertThat(s.get(2).sql()).isEqualTo("DO $body$ BEGIN PERFORM 1; END $body$");
  }

  @Test
  void anUnterminatedStringNamesTheFileAndTheLineItStartsOn() {
    assertThatThrownBy(() -> SqlScript.split("V2__bad.sql", "CREATE TABLE t (id INT);\n\nINSERT INTO t VALUES ('oops);\n"))
        .isInstanceOf(MigrationException.class)
        .hasMessageStartingWith("V2__bad.sql:3: unterminated string literal");
  }

  @Test
  void classifiesDestructiveStatementsWithTheParser() {
    assertThat(classify("ALTER TABLE orders DROP COLUMN discount, DROP COLUMN note"))
        .containsExactly(new Effect(Effect.Kind.DROP_COLUMNS, "orders", List.of("discount", "note"), null));
    assertThat(classify("ALTER TABLE shop.orders ALTER COLUMN amount TYPE NUMERIC(10, 0)"))
        .containsExactly(new Effect(Effect.Kind.TYPE_CHANGE, "shop.orders", List.of("amount"), null));
    assertThat(classify("UPDATE orders SET note = NULL, amount = amount * 2 WHERE id > 3"))
        .containsExactly(new Effect(Effect.Kind.UPDATE, "orders", List.of("note", "amount"), "id > 3"));
    assertThat(classify("DELETE FROM orders")).containsExactly(new Effect(Effect.Kind.DELETE, "orders", List.of(), null));
    assertThat(classify("DROP TABLE IF EXISTS orders")).containsExactly(new Effect(Effect.Kind.DROP_TABLE, "orders", List.of(), null));
    assertThat(classify("TRUNCATE TABLE orders")).containsExactly(new Effect(Effect.Kind.TRUNCATE, "orders", List.of(), null));
  }

  @Test
  void additiveStatementsDestroyNothing() {
    assertThat(classify("CREATE TABLE t (id INT PRIMARY KEY)")).isEmpty();
    assertThat(classify("ALTER TABLE t ADD COLUMN v INT")).isEmpty();
    assertThat(classify("ALTER TABLE t RENAME COLUMN a TO b")).isEmpty();
    assertThat(classify("INSERT INTO t VALUES (1)")).isEmpty();
    assertThat(classify("CREATE INDEX t_v ON t (v)")).isEmpty();
    assertThat(classify("ALTER TABLE t ALTER COLUMN v SET DEFAULT 3")).isEmpty();
  }

  @Test
  void aStatementTheParserCannotReadCountsAsDestructiveUnlessADirectiveSaysWhatItTouches() {
    assertThatThrownBy(() -> classify("DO $$ BEGIN UPDATE t SET v = 1; END $$"))
        .isInstanceOf(MigrationException.class)
        .hasMessageStartingWith("V9__x.sql:3: cannot parse the statement, so what it destroys is unknown")
        .hasMessageContaining("-- rollback:archive table(col, …)");
    assertThat(classify("DO $$ BEGIN UPDATE t SET v = 1; END $$", "archive t(v)"))
        .containsExactly(new Effect(Effect.Kind.DECLARED_COLUMNS, "t", List.of("v"), null));
    assertThat(classify("DO $$ BEGIN PERFORM 1; END $$", "safe")).isEmpty();
    assertThatThrownBy(() -> classify("GRANT SELECT ON t TO bob", "archive t(")).hasMessageContaining("malformed directive");
    assertThatThrownBy(() -> classify("SELECT 1", "keep")).hasMessageContaining("unknown directive '-- rollback:keep'");
  }

  @Test
  void aMigrationWithoutAnUndoScriptMustBeDeclaredIrreversible() {
    assertThatThrownBy(() -> LoadedMigration.sql("3", "seed", "V3__seed.sql", "INSERT INTO t VALUES (1);", null, null))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("V3__seed.sql has no undo script U3__….sql")
        .hasMessageContaining("-- rollback:irreversible");
    assertThat(LoadedMigration.sql("3", "seed", "V3__seed.sql", "-- rollback:irreversible\nINSERT INTO t VALUES (1);", null, null)
        .info().isReversible()).isFalse();
  }

  @Test
  void buildingTheRunnerReportsBadFilesByNameAndLine(@TempDir Path dir) throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:unused");
    Files.writeString(dir.resolve("V1__ok.sql"), "CREATE TABLE t (id INT PRIMARY KEY);\n");
    Files.writeString(dir.resolve("U1__ok.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__typo.sql"), "ALTER TABLE t ADD COLUMN v INT;\n\nUPDTE t SET v = 1;\n");
    Files.writeString(dir.resolve("U2__typo.sql"), "ALTER TABLE t DROP COLUMN v;\n");
    assertThatThrownBy(() -> Migrations.builder(ds).fromFolder(dir).build())
        .isInstanceOf(MigrationException.class)
        .hasMessageStartingWith("V2__typo.sql:3: cannot parse the statement");

    Files.writeString(dir.resolve("V2__typo.sql"), "ALTER TABLE t ADD COLUMN v INT;\n");
    Files.writeString(dir.resolve("U2__typo.sql"), "ALTER TABLE t DROP COLUMN v;\nSELEC 1;\n");
    assertThatThrownBy(() -> Migrations.builder(ds).fromFolder(dir).build())
        .hasMessageStartingWith("U2__typo.sql:2: cannot parse the statement");

    Files.writeString(dir.resolve("U2__typo.sql"), "ALTER TABLE t DROP COLUMN v;\n");
    Files.writeString(dir.resolve("U7__orphan.sql"), "SELECT 1;\n");
    assertThatThrownBy(() -> Migrations.builder(ds).fromFolder(dir).build())
        .hasMessageContaining("U7__orphan.sql undoes version 7, but there is no V7__….sql");

    Files.delete(dir.resolve("U7__orphan.sql"));
    Files.writeString(dir.resolve("V3-wrong.sql"), "SELECT 1;\n");
    assertThatThrownBy(() -> Migrations.builder(ds).fromFolder(dir).build())
        .hasMessageContaining("V3-wrong.sql: the name does not follow V<version>__<description>.sql");

    Files.delete(dir.resolve("V3-wrong.sql"));
    assertThat(Migrations.builder(ds).fromFolder(dir).build().migrations()).extracting(Migration::version).containsExactly("1", "2");
  }

  @Test
  void theChecksumIsFlywaysCrc32OverLines() {
    // independent of line endings, as Flyway's line-by-line CRC32 is
    assertThat(LoadedMigration.checksum("CREATE TABLE t (id INT);\nDROP TABLE t;\n"))
        .isEqualTo(LoadedMigration.checksum("CREATE TABLE t (id INT);\r\nDROP TABLE t;"))
        .isNotEqualTo(LoadedMigration.checksum("CREATE TABLE t (id BIGINT);\nDROP TABLE t;\n"));
  }
}
