package dev.rollback.jdbc.pitr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateRequest;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole live cluster replaced by a recovered copy, on its own real PostgreSQL 15 per test. */
class WholeClusterRestoreIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  @Test
  void theLiveClusterIsReplacedBehindAGateWhoseQuestionCountsTheWritesItLosesPerTable() throws Exception {
    try (ArchivingPostgres pg = ArchivingPostgres.start(true)) {
      String db = pg.newShop("shop");
      PointInTimeRecovery pitr = pg.pitr(db).takingBaseBackups().build();
      pitr.requireReady();
      pg.sql(db, "INSERT INTO orders SELECT g, 1, 1.00, 'after the backup' FROM generate_series(201, 300) g");
      List<String> ordersAtRestorePoint = pg.rows(db, "SELECT * FROM orders ORDER BY id");
      List<String> customersAtRestorePoint = pg.rows(db, "SELECT * FROM customers ORDER BY id");
      RestorePoint rp = pitr.createRestorePoint("before-release", "orders", "customers");
      pg.sql(db, "INSERT INTO orders VALUES (1001, 1, 5.00, 'lost insert'), (1002, 2, 6.00, 'lost insert')",
          "UPDATE orders SET note = 'lost update' WHERE id = 7",
          "DELETE FROM customers WHERE id = 20");
      WholeClusterRestore restore = pitr.wholeCluster(RecoveryTarget.restorePoint(rp.name()), pg.data).build();

      LostWrites lost = restore.prepare();

      assertThat(lost.tables()).containsEntry("shop.public.orders", new LostWrites.Counts(2, 1, 0))
          .containsEntry("shop.public.customers", new LostWrites.Counts(0, 0, 1));
      assertThat(lost.total()).isEqualTo(4);
      assertThat(Files.readAllLines(lost.export().orElseThrow())).hasSize(4)
          .anySatisfy(l -> assertThat(l).contains("\"table\":\"shop.public.orders\",\"change\":\"updated\"")
              .contains("\"note\":\"lost update\""))
          .anySatisfy(l -> assertThat(l).contains("\"change\":\"deleted\"").contains("\"name\":\"customer 20\""));

      // a write after the question was asked: the replacement refuses before stopping anything
      pg.sql(db, "INSERT INTO orders VALUES (1003, 3, 7.00, 'written after the question')");
      long livePid = pg.running().get(pg.data);
      assertThatThrownBy(() -> restore.replace(lost)).isInstanceOf(PitrException.class)
          .hasMessageContaining("the live cluster took writes after the question was asked: it would now lose 5 rows")
          .hasMessageContaining("Nothing was stopped or moved");
      assertThat(pg.running()).containsEntry(pg.data, livePid);

      LostWrites asked = restore.prepare();
      try (RollbackEngine engine = RollbackEngine.builder().build()) {
        RollbackRun run = engine.start(RollbackPlan.builder("restore the shop cluster")
            .sequential("database", s -> s.step(restore.step(Gate.named("dba")))).build(), Deployment.of("shop", "2.0"));
        GateRequest gate = run.awaitGate(Duration.ofSeconds(60));
        assertThat(gate.question())
            .contains("with the copy recovered to restore point 'before-release'")
            .contains("This loses 5 rows written since the target: ")
            .contains("shop.public.customers: 0 inserted, 0 updated, 1 deleted")
            .contains("shop.public.orders: 3 inserted, 1 updated, 0 deleted")
            .contains("(exported to " + asked.export().orElseThrow() + ")")
            .contains("The live data directory is moved to " + restore.asideDirectory() + ", not deleted");
        assertThat(pg.running()).containsEntry(pg.data, livePid);

        run.answer(gate.id(), Decision.PROCEED, "dba@example.com");
        RollbackResult result = run.await(Duration.ofSeconds(120));

        assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      }
      assertThat(pg.rows(db, "SELECT * FROM orders ORDER BY id")).isEqualTo(ordersAtRestorePoint);
      assertThat(pg.rows(db, "SELECT * FROM customers ORDER BY id")).isEqualTo(customersAtRestorePoint);
      assertThat(pg.rows(db, "SELECT timeline_id FROM pg_control_checkpoint()")).containsExactly("2");
      assertThat(restore.asideDirectory().resolve("PG_VERSION")).exists();
      assertThat(pg.running()).containsOnlyKeys(pg.data);
      assertThat(Files.readString(pg.data.resolve("postgresql.auto.conf"))).doesNotContain("recovery_target_name");
    }
  }

  @Test
  void aLiveServerThatDoesNotStopInTimeKeepsItsDataDirectoryWhereItIs() throws Exception {
    try (ArchivingPostgres pg = ArchivingPostgres.start(true)) {
      String db = pg.newShop("shop");
      PointInTimeRecovery pitr = pg.pitr(db).takingBaseBackups().build();
      pitr.requireReady();
      RestorePoint rp = pitr.createRestorePoint("before-stuck");
      WholeClusterRestore restore = pitr.wholeCluster(RecoveryTarget.restorePoint(rp.name()), pg.data)
          .withStopTimeout(Duration.ofSeconds(1)).build();
      LostWrites lost = restore.prepare();
      // a checkpointer that does not run: the fast shutdown waits for its shutdown checkpoint
      String checkpointer = pg.rows(db, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").get(0);
      ArchivingPostgres.run(List.of("kill", "-STOP", checkpointer), false);
      assertThatThrownBy(() -> restore.replace(lost)).isInstanceOf(PitrException.class)
          .hasMessageContaining("the live server on " + pg.data + " did not stop within PT1S")
          .hasMessageContaining("nothing was moved, its data directory is as it was");
      assertThat(pg.data.resolve("PG_VERSION")).exists();
      assertThat(restore.asideDirectory()).doesNotExist();
      ArchivingPostgres.run(List.of("kill", "-CONT", checkpointer), false);
      await().atMost(HANG_GUARD).until(() -> !pg.running().containsKey(pg.data));
      assertThat(pg.data.resolve("PG_VERSION")).exists();
    }
  }
}
