package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL's transactional DDL: one migration's rollback is one transaction, all or nothing. */
@ExtendWith(PostgresServer.class)
class PostgresTransactionIT {

  @Test
  void aRollbackWhoseRestoreFailsLeavesSchemaHistoryAndDataAsTheyWere(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, keep INT, gone INT);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop.sql"), "ALTER TABLE t DROP COLUMN gone;\n");
    // a wrong undo script: it re-creates the column under another name, so the data has nowhere to go
    Files.writeString(dir.resolve("U2__drop.sql"), "ALTER TABLE t ADD COLUMN gone_by_mistake INT;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO t VALUES (1, 10, 100), (2, 20, 200)");
    m.migrateTo("2");

    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("the undo script did not re-create column t.gone");

    assertThat(m.currentVersion()).isEqualTo("2");
    assertThat(MigrationsIT.columnExists(ds, "t", "gone_by_mistake")).isFalse();
    assertThat(MigrationsIT.rows(ds, "SELECT \"phase\" FROM \"rollback_archive\".\"archive_index\"")).containsExactly("ARCHIVED");

    Files.writeString(dir.resolve("U2__drop.sql"), "ALTER TABLE t ADD COLUMN gone INT;\n");
    RollbackSummary fixed = Migrations.builder(ds).fromFolder(dir).build().rollbackTo("1");
    assertThat(fixed.rowsRestored()).isEqualTo(2);
    assertThat(MigrationsIT.rows(ds, "SELECT id, keep, gone FROM t ORDER BY id")).containsExactly("1|10|100", "2|20|200");
  }
}
