package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Task-state health checks and signals against a real single-node Swarm. */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT) // each test on services of its own
class SwarmHealthIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static RealSwarm docker;
  static String v1;

  @BeforeAll
  static void startSwarm() {
    docker = RealSwarm.get();
    v1 = docker.image("1");
  }

  static void crash(ObjectNode spec) {
    ((ObjectNode) spec.path("TaskTemplate").path("ContainerSpec")).putArray("Args").add("sh").add("-c").add("exit 3");
  }

  @Test
  void aCrashLoopingServiceIsDownWithItsFailedTasksAndAHealthyOneIsUp() {
    String ok = RealSwarm.unique("ok");
    docker.create(docker.serviceSpec(ok, v1, 2));
    docker.awaitConverged(ok, Duration.ofSeconds(60));
    String bad = RealSwarm.unique("crash");
    ObjectNode spec = docker.serviceSpec(bad, v1, 1);
    crash(spec);
    docker.create(spec);
    HealthCheck check = Swarm.taskHealth(docker.swarm.service(bad), TaskHealth.maxFailedTasks(1));

    Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(200))
        .until(() -> check.check().status() == HealthStatus.DOWN);

    Health down = check.check();
    assertThat(down.detail()).contains("failed").contains("non-zero exit (3)");
    Health up = Swarm.taskHealth(docker.swarm.service(ok), TaskHealth.noFailures()).check();
    assertThat(up.status()).as(up.detail()).isEqualTo(HealthStatus.UP);
    assertThat(up.detail()).contains("2/2 tasks running image " + v1);
    assertThat(Swarm.taskHealth(docker.swarm.service("nope"), TaskHealth.noFailures()).check().status())
        .isEqualTo(HealthStatus.UNKNOWN);
  }

  @Test
  void theTaskSignalFiresAReleasesTriggerWhenTheNewTasksCrashAndTheReleaseIsReverted() {
    String name = RealSwarm.unique("sig");
    docker.create(docker.serviceSpec(name, v1, 1));
    docker.awaitConverged(name, Duration.ofSeconds(60));
    SwarmService s = docker.swarm.service(name).withConvergeTimeout(Duration.ofSeconds(30));
    // the release runs a command that exits after a second: its tasks start (the change settles),
    // then each one exits and Swarm starts another; the signal sees the exits during the bake
    ObjectNode crashing = (ObjectNode) docker.inspect(name).path("Spec").deepCopy();
    ((ObjectNode) crashing.path("TaskTemplate").path("ContainerSpec")).putArray("Args").add("sh").add("-c")
        .add("sleep 1; exit 3");
    Release rel = Release.builder("crashing release")
        .change(Swarm.change(s, "run a command that exits", SwarmServiceState.of(name, crashing.toString())))
        .trigger(Trigger.consecutiveFailures(Swarm.taskSignal(s, Duration.ofMillis(200)), 2))
        .bakeFor(Duration.ofSeconds(30)).checkingEvery(Duration.ofMillis(200))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(rel);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(s.capture().image()).isEqualTo(v1);
    assertThat(docker.inspect(name).path("Spec").path("TaskTemplate").path("ContainerSpec").path("Args").toString())
        .contains("sleep");
  }
}
