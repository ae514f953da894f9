package dev.rollback.jdbc.pitr;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Gate;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's point-in-time recovery example, compiled; the parts that need no server are built and checked. */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleBuildsTheChangeAndTheSideBySideStep() {
    PointInTimeRecovery pitr = PointInTimeRecovery.builder(
            new PgLogin("127.0.0.1", 5432, "shop", "rollback", System.getenv().getOrDefault("PGPASSWORD", "secret")))
        .withWalArchive(Path.of("/var/lib/postgresql/wal-archive"))     // where archive_command copies segments
        .withBaseBackups(Path.of("/var/lib/postgresql/base-backups"))   // pg_basebackup -Fp directories + restore points
        .withWorkDirectory(Path.of("/var/lib/postgresql/restores"))     // recovered copies, one directory each
        .runningServersAs("postgres")                                   // when this JVM runs as root
        .withMaxBackupAge(Duration.ofHours(24)).takingBaseBackups()     // take one before a release when older
        .build();

    Release release = Release.builder("shop-2.4.0")
        .change(pitr.restorePointChange("orders"))   // refuses the release unless recoverable; restore point + fingerprint
        .change(Change.of("backfill", ctx -> { }, ctx -> { }))
        .build();

    SideBySideRestore orders = pitr.sideBySide(RecoveryTarget.restorePoint("rb-<run id of the release>"))
        .copyingTable("orders")                              // or .copyingRowsWhere("orders", "id BETWEEN 1 AND 5000")
        .build();
    RollbackPlan plan = RollbackPlan.builder("shop data back")
        .sequential("database", s -> s.step(orders.step()))
        .build();

    assertThat(release.changes()).hasSize(2);
    assertThat(release.changes().get(0).knownGoodCapture()).isPresent();
    assertThat(plan.stages()).hasSize(1);
    assertThat(orders.step().isIdempotent()).isTrue();
    assertThat(orders.step().describe()).contains("copy back orders, keeping rows inserted since");
    assertThat(orders.directory()).isEqualTo(Path.of("/var/lib/postgresql/restores/to-rb-<run id of the release>"));
  }

  /** The README's calls that need a server (compiled, not run here). */
  static void withAServer(PointInTimeRecovery pitr, Path liveDataDirectory) {
    WholeClusterRestore cluster = pitr.wholeCluster(RecoveryTarget.restorePoint("rb-shop-1"), liveDataDirectory).build();
    LostWrites lost = cluster.prepare();                      // recover side by side, count and export what would be lost
    Step replace = cluster.step(Gate.named("dba").withTimeout(Duration.ofMinutes(30)));  // the question names `lost`
    BackupDrill.Report drill = pitr.drill("orders", "customers").run();  // latest backup + WAL vs the live tables
    assertThat(drill.passed() && lost.total() >= 0 && replace.approval().isPresent()).isTrue();
  }
}
