package dev.rollback.jdbc.pitr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.jdbc.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** A release on a server that does not archive its WAL is refused before anything changes. */
@ExtendWith(PostgresServer.class)
class PitrRefusalIT {

  @Test
  void aReleaseOnAServerWithoutWalArchivingIsRefusedBeforeItsFirstChange(@TempDir Path tmp) throws Exception {
    PGSimpleDataSource ds = PostgresServer.newDatabase();
    PostgresServer.Server server = PostgresServer.start();
    PointInTimeRecovery pitr = PointInTimeRecovery.builder(
            new PgLogin("127.0.0.1", server.port(), ds.getDatabaseName(), "rollback", server.password()))
        .withWalArchive(tmp.resolve("archive"))
        .withBaseBackups(tmp.resolve("backups"))
        .withWorkDirectory(tmp.resolve("work"))
        .takingBaseBackups()
        .build();
    AtomicBoolean migrated = new AtomicBoolean();

    assertThat(pitr.problems()).singleElement().asString()
        .startsWith("archive_mode is off on the server at 127.0.0.1:" + server.port() + ": set archive_mode = on")
        .contains("test ! -f " + tmp.resolve("archive") + "/%f && cp %p " + tmp.resolve("archive") + "/%f");
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      Release release = Release.builder("shop-2.0")
          .forDeployment(Deployment.of("shop", "2.0"))
          .change(pitr.restorePointChange())
          .change(Change.of("migrate", ctx -> migrated.set(true), ctx -> { }))
          .build();
      RollbackResult result = engine.run(release);

      assertThat(result.outcome()).isEqualTo(RunOutcome.HALTED);
      assertThat(String.join("\n", result.problems()))
          .contains("cannot capture the known-good state of 'point-in-time recovery': point-in-time recovery is not possible")
          .contains("archive_mode is off");
    }
    assertThat(migrated).isFalse();
    assertThat(tmp.resolve("backups")).doesNotExist();
    assertThatThrownBy(pitr::requireReady).isInstanceOf(PitrException.class)
        .hasMessageContaining("point-in-time recovery is not possible for PgLogin[rollback@127.0.0.1:" + server.port())
        .hasMessageNotContaining(server.password());
    assertThat(Files.exists(tmp.resolve("work"))).isFalse();
  }
}
