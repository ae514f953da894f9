package dev.rollback.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import java.util.ServiceLoader;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcTypesTest {
  @TempDir Path dir;

  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name()))
        .contains("jdbc.rollbackTo", "jdbc.rollbackBy", "jdbc.rollbackToKnownGood", "jdbc.migrate");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name())).contains("jdbc");
  }

  @Test
  void aJdbcTargetConnectsOnlyWhenAskedAndThenWithItsUserAndPassword() throws Exception {
    DataSource ds = (DataSource) new JdbcTypes.Jdbc().open(Arguments.of("test", Map.of("url", "jdbc:h2:mem:types",
        "user", "sa", "password", "pw")));
    assertThat(ds.toString()).contains("jdbc:h2:mem:types").doesNotContain("pw");
    try (Connection c = ds.getConnection()) {
      assertThat(c.getMetaData().getUserName()).isEqualToIgnoringCase("sa");
    }
    assertThatThrownBy(() -> new JdbcTypes.Jdbc().open(Arguments.of("test", Map.of("url", "postgresql://x"))))
        .hasMessageContaining("must start with jdbc:");
  }

  @Test
  void theStepsAreTheModulesMigrationStepsBoundedByATimeout() throws Exception {
    Path m = Files.createDirectories(dir.resolve("m"));
    Files.writeString(m.resolve("V1__a.sql"), "CREATE TABLE a (id INT);\n");
    Files.writeString(m.resolve("U1__a.sql"), "DROP TABLE a;\n");
    DataSource ds = (DataSource) new JdbcTypes.Jdbc().open(Arguments.of("test", Map.of("url", "jdbc:h2:mem:types2")));
    Step s = new JdbcTypes.RollbackTo().step(Arguments.of("test", Map.of("target", ds, "migrations", m, "version", "1",
        "flywayHistory", false)));
    assertThat(s.describe()).isEqualTo("roll the database back to 1, restoring archived data and verifying fingerprints");
    assertThat(s.timeout()).isPresent();
    Change c = new JdbcTypes.Migrate().change(Arguments.of("test", Map.of("target", ds, "migrations", m, "version", "1",
        "flywayHistory", false)));
    assertThat(c.knownGoodCapture()).isPresent();
  }
}
