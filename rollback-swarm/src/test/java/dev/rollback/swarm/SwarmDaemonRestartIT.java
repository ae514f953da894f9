package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.FileJournal;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service restore with the daemon stopped in the middle, against a real single-node Swarm: a
 * daemon of its own ({@link RealSwarm#startPrivate}), since the test stops and restarts it while the
 * other test classes run concurrently on the shared one; on its own daemon the restart also restarts
 * no task but this test's.
 */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class SwarmDaemonRestartIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static RealSwarm docker;
  static String v1;
  static String v2;

  @BeforeAll
  static void startSwarm() {
    docker = RealSwarm.startPrivate();
    v1 = docker.image("1");
    v2 = docker.image("2");
  }

  @AfterAll
  static void stopTheDaemon() {
    if (docker != null) docker.close();
  }

  @Test
  void theDaemonGoneMidRollbackFailsTheStepNamingTheServiceAndAResumeFinishes(@TempDir Path dir) throws Exception {
    String name = RealSwarm.unique("sock");
    ObjectNode spec = docker.serviceSpec(name, v1, 2);
    ObjectNode slow = RealSwarm.rollout(1, "pause");
    slow.put("Delay", 3_000_000_000L);       // the rollback takes a few seconds: time to stop the daemon
    spec.set("RollbackConfig", slow);
    docker.create(spec);
    docker.awaitConverged(name, Duration.ofSeconds(60));
    RollbackPlan plan = plan(docker.swarm, name);

    RollbackResult halted;
    String runId;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
      KnownGood known = engine.captureKnownGood(plan, Deployment.of("swarm-it", "2"));
      docker.update(name, sp -> RealSwarm.setImage(sp, v2));
      docker.awaitConverged(name, Duration.ofSeconds(60));
      var run = engine.start(plan, Deployment.of("swarm-it", "2"), RunOptions.defaults().withKnownGood(known));
      runId = run.runId();
      Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
          .until(() -> docker.inspect(name).path("UpdateStatus").path("State").asText().equals("rollback_started"));
      docker.stopDaemon();                     // its socket goes with it, mid-rollback
      try {
        run.answer(run.awaitGate(Duration.ofSeconds(60)).id(), Decision.HALT, "it");
        halted = run.await(HANG_GUARD);
      } finally {
        docker.startDaemon();
      }
    }
    assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
    String error = ((StepOutcome.Failed) halted.step("swarm/restore service " + name)).error();
    // a daemon shutting down first closes its connection to the swarm's raft (a request then fails
    // with 500 "the client connection is closing"), then stops being a swarm manager (503), then its
    // socket is gone: the step fails at whichever it meets
    assertThat(error).contains("service " + name).containsAnyOf(
        "cannot reach the Docker daemon at unix://" + docker.socket, "503 This node is not a swarm manager",
        "500 rpc error: code = Canceled desc = grpc: the client connection is closing");

    try (DockerSwarm again = DockerSwarm.connect(docker.socket);
         RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
      var run = engine.resume(runId, plan(again, name));
      run.answer(run.awaitGate(HANG_GUARD).id(), Decision.RETRY, "it");
      RollbackResult result = run.await(Duration.ofSeconds(120));
      assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
      SwarmService s = again.service(name);
      assertThat(s.capture().image()).isEqualTo(v1);
      assertThat(s.awaitConverged(s.capture()).running()).isEqualTo(2);
    }
  }

  static RollbackPlan plan(DockerSwarm swarm, String name) {
    return RollbackPlan.builder("back with the daemon gone")
        .sequential("swarm", st -> st.step(Swarm.restoreKnownGood(swarm.service(name).withConvergeTimeout(Duration.ofSeconds(60)))))
        .build();
  }

}
