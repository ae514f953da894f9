package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.guard.LeaseGrant;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The lease is free the moment a guard's rollback has ended: a JVM that halts right after
 * {@code run().await()} (no close, no shutdown hook) leaves no lease held for its TTL.
 */
@ExtendWith(PostgresServer.class)
class GuardLeaseReleaseIT {
  @TempDir Path dir;

  @Test
  void aJvmThatExitsRightAfterItsRollbackLeavesTheLeaseFree() throws Exception {
    PGSimpleDataSource ds = PostgresServer.newDatabase();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ExitRightAfter.class.getName(),
        ds.getURL(), ds.getUser()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile());
    pb.environment().put("PGPASSWORD", ds.getPassword());
    Process child = pb.start();
    assertThat(child.waitFor(90, TimeUnit.SECONDS)).as("the child finished").isTrue();
    String log = Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8);
    assertThat(child.exitValue()).as(log).isZero();
    assertThat(log).contains("OUTCOME RECOVERED");

    // right away, with a 60 s TTL that has not run out: the lease is free for the next replica
    assertThat(MigrationsIT.rows(ds, "SELECT \"holder\" FROM \"rollback_lease\"")).containsExactly("");
    LeaseGrant next = JdbcLease.of(ds).tryAcquire("rollback-guard-checkout@2.4.0", "pod-2", Duration.ofSeconds(60)).orElseThrow();
    assertThat(next.fencingToken()).isEqualTo(2);
  }
}
