package dev.rollback.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./demo.sh --real}: the same drill against a real HAProxy and PostgreSQL 15, which
 * {@code scripts/setup/20-postgres.sh} and {@code 30-lb.sh} install and the drill starts and stops.
 */
class DrillRealIT {
  @TempDir Path out;

  @Test
  void theDrillRollsBackThroughHaproxyAndPostgresAndStopsBoth() throws Exception {
    assertThat(RealServers.missing()).as("what ./test.sh installs for the real drill").isEmpty();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Drill.Outcome o;
    try (PrintStream print = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      o = Drill.run(out, Drill.Mode.REAL, print);
    }

    DrillTest.assertTheDrillRecovered(o, out);
    assertThat(o.story()).first().asString().isEqualTo("Rollback drill (real): checkout 2.3.1 -> 2.4.0 and back");
    assertThat(o.story()).anyMatch(l -> l.startsWith("  load balancer  haproxy unix:"))
        .anyMatch(l -> l.startsWith("  database       PostgreSQL 15 on 127.0.0.1:"))
        .anyMatch(l -> l.contains("traffic/restore traffic checkout") && l.contains("succeeded"));
    // HAProxy's and PostgreSQL's temporary directories are gone: both were stopped and cleaned up
    String haproxyDir = o.story().stream().filter(l -> l.startsWith("  load balancer  haproxy unix:")).findFirst().orElseThrow()
        .replaceAll("^.*unix:(/[^,]*)/run/admin\\.sock.*$", "$1");
    assertThat(Path.of(haproxyDir)).doesNotExist();
    try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(tmp.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("rollback-drill-pg")
          && Files.exists(Path.of(System.getProperty("java.io.tmpdir"), n, "data", "postmaster.pid")));
    }
  }
}
