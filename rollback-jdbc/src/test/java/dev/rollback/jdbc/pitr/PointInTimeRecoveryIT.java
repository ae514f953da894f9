package dev.rollback.jdbc.pitr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time recovery on a real PostgreSQL 15 that archives its WAL to a local directory: a
 * base backup, writes, the release's restore point, a bad backfill and later writes, then
 * side-by-side restores, a recovery killed midway, a drill, and the errors for bad input.
 */
class PointInTimeRecoveryIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static ArchivingPostgres pg;

  @BeforeAll
  static void startArchivingServerAndTakeABaseBackup() throws Exception {
    pg = ArchivingPostgres.start(true);
    pg.sql("postgres", "CREATE TABLE IF NOT EXISTS warmup (id int)");
    BaseBackup backup = pg.pitr("postgres").takingBaseBackups().build().requireReady();
    assertThat(backup.directory()).startsWith(pg.backups);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  @Test
  void aReleaseCreatesItsRestorePointAndASideBySideRestoreCopiesOneTableBackExportingTheNewerRows() throws Exception {
    String db = pg.newShop("shop_release");
    PointInTimeRecovery pitr = pg.pitr(db).build();
    List<String> ordersAtRestorePoint = pg.rows(db, "SELECT * FROM orders ORDER BY id");
    InMemoryJournal journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult release = engine.run(Release.builder("shop-2.0")
          .forDeployment(Deployment.of("shop", "2.0"))
          .change(pitr.restorePointChange("orders"))
          .change(Change.of("backfill order amounts", ctx -> pg.sql(db,
              "UPDATE orders SET amount = 0, note = 'bad backfill' WHERE id <= 50"), ctx -> { }))
          .build());
      assertThat(release.outcome()).isEqualTo(RunOutcome.RELEASED);
      String restorePoint = PointInTimeRecovery.restorePointNameFor(release.runId());
      assertThat(notes(journal, release.runId())).anySatisfy(n -> assertThat(n)
          .contains("restore point '" + restorePoint + "' at LSN ").contains("on timeline 1").contains("fingerprints of [orders]"));
      assertThat(pitr.restorePoint(restorePoint)).hasValueSatisfying(rp -> assertThat(rp.fingerprints()).containsKey("orders"));

      // the application goes on writing after the release
      pg.sql(db, "INSERT INTO orders VALUES (201, 3, 9.99, 'written after the release')",
          "UPDATE orders SET note = 'changed by the application' WHERE id = 150",
          "DELETE FROM orders WHERE id = 10",
          "INSERT INTO customers VALUES (21, 'new customer')");

      SideBySideRestore restore = pitr.sideBySide(RecoveryTarget.restorePoint(restorePoint)).copyingTable("orders").build();
      RollbackResult result = engine.run(RollbackPlan.builder("restore orders")
          .sequential("database", s -> s.step(restore.step())).build(), Deployment.of("shop", "2.0"));

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(notes(journal, result.runId())).anySatisfy(n -> assertThat(n)
          .startsWith("fingerprints match at restore point '" + restorePoint + "': orders (200 rows)"));
      assertThat(pg.rows(db, "SELECT * FROM orders WHERE id <= 200 ORDER BY id")).isEqualTo(ordersAtRestorePoint);
      assertThat(pg.rows(db, "SELECT note FROM orders WHERE id = 201")).containsExactly("written after the release");
      assertThat(pg.rows(db, "SELECT count(*) FROM customers")).containsExactly("21");
      List<String> exported = exportLines(restore.directory());
      // 49 backfilled rows and the one the application changed are overwritten; the deleted row 10 comes back
      assertThat(exported).hasSize(51);
      assertThat(exported.stream().filter(l -> l.contains("\"change\":\"overwritten\"") && l.contains("bad backfill")))
          .hasSize(49);
      assertThat(exported).anySatisfy(l -> assertThat(l).contains("\"change\":\"overwritten\"")
          .contains("\"note\":\"changed by the application\""));
      assertThat(exported).anySatisfy(l -> assertThat(l).contains("\"change\":\"reinserted\"").contains("\"id\":10,"));
      assertThat(pg.postmasters()).hasSize(1); // the recovered copy is stopped afterwards
    }
  }

  @Test
  void copyingRowsByKeyFromACopyRecoveredToAnLsnKeepsTheLaterWritesToEveryOtherRow() throws Exception {
    String db = pg.newShop("shop_rows");
    PointInTimeRecovery pitr = pg.pitr(db).build();
    List<String> first50 = pg.rows(db, "SELECT * FROM orders WHERE id <= 50 ORDER BY id");
    RestorePoint rp = pitr.createRestorePoint("before-backfill-rows", "orders");
    pg.sql(db, "UPDATE orders SET amount = 0, note = 'bad backfill' WHERE id <= 50",
        "UPDATE orders SET note = 'changed by the application' WHERE id = 150",
        "INSERT INTO orders VALUES (30000, 1, 1.00, 'inserted after the restore point')");

    SideBySideRestore.Result result = pitr.sideBySide(RecoveryTarget.lsn(rp.lsn()))
        .copyingRowsWhere("orders", "id <= 50").build().run();

    assertThat(result.tables()).singleElement().satisfies(t -> {
      assertThat(t.rowsRecovered()).isEqualTo(50);
      assertThat(t.overwritten()).isEqualTo(50);
      assertThat(t.reinserted()).isZero();
      assertThat(t.removed()).isZero();
      assertThat(t.export()).isPresent();
    });
    assertThat(pg.rows(db, "SELECT * FROM orders WHERE id <= 50 ORDER BY id")).isEqualTo(first50);
    assertThat(pg.rows(db, "SELECT note FROM orders WHERE id IN (150, 30000) ORDER BY id"))
        .containsExactly("changed by the application", "inserted after the restore point");
    assertThat(Files.readAllLines(result.tables().get(0).export().orElseThrow())).hasSize(50)
        .allSatisfy(l -> assertThat(l).contains("\"note\":\"bad backfill\""));
  }

  @Test
  void aRecoveryKilledMidwayContinuesWhenTheRestoreRunsAgain() throws Exception {
    String db = pg.newShop("shop_killed");
    PointInTimeRecovery plain = pg.pitr(db).build();
    List<String> atRestorePoint = pg.rows(db, "SELECT * FROM orders ORDER BY id");
    RestorePoint rp = plain.createRestorePoint("before-kill", "orders");
    pg.sql(db, "UPDATE orders SET amount = 0 WHERE id <= 50");
    Path gate = pg.dir.resolve("archive-open");
    PointInTimeRecovery blocked = pg.pitr(db).withRestoreCommand("while [ ! -f " + gate + " ]; do sleep 0.05; done; cp "
        + pg.archive + "/%f %p").build();
    SideBySideRestore restore = blocked.sideBySide(RecoveryTarget.restorePoint(rp.name())).copyingTable("orders").build();
    Path recoveredData = restore.directory().resolve("data");

    CompletableFuture<SideBySideRestore.Result> first = CompletableFuture.supplyAsync(restore::run);
    await().atMost(HANG_GUARD).until(() -> pg.running().containsKey(recoveredData));
    long postmaster = pg.running().get(recoveredData);
    ProcessHandle.of(postmaster).ifPresent(p -> {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    });
    assertThatThrownBy(first::join).isInstanceOf(CompletionException.class).cause()
        .isInstanceOf(PitrException.class).hasMessageContaining("the server on " + recoveredData + " exited");
    await().atMost(HANG_GUARD).until(() -> !pg.running().containsKey(recoveredData));
    // killed while it started, a server leaves its lock files empty, which PostgreSQL refuses to start over
    String port = java.util.Arrays.stream(Files.readString(restore.directory().resolve("state")).split("\n"))
        .filter(l -> l.startsWith("port=")).findFirst().orElseThrow().substring("port=".length()).trim();
    Files.writeString(restore.directory().resolve("sock/.s.PGSQL." + port + ".lock"), "");
    Files.writeString(recoveredData.resolve("postmaster.pid"), "");

    Files.writeString(gate, "");
    SideBySideRestore.Result second = restore.run();

    assertThat(second.tables()).singleElement().satisfies(t -> assertThat(t.overwritten()).isEqualTo(50));
    assertThat(pg.rows(db, "SELECT * FROM orders ORDER BY id")).isEqualTo(atRestorePoint);
    assertThat(Files.readString(restore.directory().resolve("state"))).contains("phase=recovered");
    Files.delete(gate);
  }

  @Test
  void aRestoreRunAgainWhileItsRecoveryStillRunsWaitsForItInsteadOfStartingASecondServer() throws Exception {
    String db = pg.newShop("shop_twice");
    RestorePoint rp = pg.pitr(db).build().createRestorePoint("before-twice", "orders");
    Path gate = pg.dir.resolve("archive-open-twice");
    String blockingCommand = "while [ ! -f " + gate + " ]; do sleep 0.05; done; cp " + pg.archive + "/%f %p";
    SideBySideRestore impatient = pg.pitr(db).withRestoreCommand(blockingCommand).withServerTimeout(Duration.ofSeconds(2))
        .build().sideBySide(RecoveryTarget.restorePoint(rp.name())).copyingTable("orders").build();
    Path recoveredData = impatient.directory().resolve("data");

    assertThatThrownBy(impatient::run).isInstanceOf(PitrException.class)
        .hasMessageContaining("was not ready within PT2S (it is left running");
    long firstServer = pg.running().get(recoveredData);

    SideBySideRestore patient = pg.pitr(db).withRestoreCommand(blockingCommand).build()
        .sideBySide(RecoveryTarget.restorePoint(rp.name())).copyingTable("orders").build();
    CompletableFuture<SideBySideRestore.Result> second = CompletableFuture.supplyAsync(patient::run);
    await().during(Duration.ofMillis(500)).atMost(HANG_GUARD)
        .until(() -> pg.running().get(recoveredData), pid -> pid != null && pid == firstServer);
    Files.writeString(gate, "");

    assertThat(second.join().tables()).singleElement().satisfies(t -> assertThat(t.rowsRecovered()).isEqualTo(200));
    assertThat(ServerDirectory.log(impatient.directory().resolve("log"))).doesNotContain("pre-existing shared memory block");
    Files.delete(gate);
  }

  @Test
  void anUnknownRestorePointIsRefusedNamingTheTimelineAndTheRestorePointsThatExist() throws Exception {
    String db = pg.newShop("shop_unknown");
    PointInTimeRecovery pitr = pg.pitr(db).build();
    pitr.createRestorePoint("known-one");

    assertThatThrownBy(() -> pitr.sideBySide(RecoveryTarget.restorePoint("never-created")).copyingTable("orders").build().run())
        .isInstanceOf(PitrException.class)
        .hasMessageContaining("restore point 'never-created' is unknown: the live cluster is on timeline 1")
        .hasMessageContaining("restore point 'known-one' at LSN ");
    assertThat(pitr.instance("to-never-created").dir).doesNotExist();
  }

  @Test
  void aRestoreDirectoryHoldingSomethingElseIsRefusedAndLeftAsItWas() throws Exception {
    String db = pg.newShop("shop_busy_dir");
    PointInTimeRecovery pitr = pg.pitr(db).build();
    RestorePoint rp = pitr.createRestorePoint("busy-dir");
    Path dir = pg.work.resolve("somebody-elses");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("notes.txt"), "mine");

    assertThatThrownBy(() -> pitr.sideBySide(RecoveryTarget.restorePoint(rp.name())).named("somebody-elses")
        .copyingTable("orders").build().run())
        .isInstanceOf(PitrException.class)
        .hasMessageContaining("the restore directory " + dir + " is not empty and was not made by rollback-pitr");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(dir.resolve("notes.txt"));
    }
  }

  @Test
  void aBackupDrillRecoversTheLatestBackupAndMatchesTheLiveTablesAtItsRestorePoint() throws Exception {
    String db = pg.newShop("shop_drill");
    pg.sql(db, "UPDATE orders SET note = 'after the backup' WHERE id % 7 = 0");

    BackupDrill.Report report = pg.pitr(db).build().drill("orders", "customers").run();

    assertThat(report.passed()).isTrue();
    assertThat(report.matched()).containsExactly("orders (200 rows)", "customers (20 rows)");
    assertThat(report.recovery()).isPositive().isLessThan(report.total());
    assertThat(report.summary()).startsWith("backup drill: base backup " + report.backup().name() + " + WAL recovered to drill-");
    assertThat(pg.work.resolve(report.restorePoint().name())).doesNotExist();
  }

  static List<String> notes(InMemoryJournal journal, String runId) {
    return journal.read(runId).records().stream().map(JournalRecord::event)
        .filter(e -> e instanceof JournalEvent.NoteAdded).map(e -> ((JournalEvent.NoteAdded) e).message()).toList();
  }

  static List<String> exportLines(Path restoreDirectory) throws Exception {
    try (Stream<Path> files = Files.list(restoreDirectory.resolve("exports"))) {
      List<Path> all = files.toList();
      assertThat(all).hasSize(1);
      return Files.readAllLines(all.get(0), StandardCharsets.UTF_8);
    }
  }
}
