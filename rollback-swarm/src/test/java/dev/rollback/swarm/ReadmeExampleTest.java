package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.spi.StateSteps;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's DSL example, compiled; the parts that need no daemon are built and checked. */
class ReadmeExampleTest {

  @Test
  void theReadmeExampleBuildsAValidReleasePlanAndSteps() throws Exception {
    try (DockerSwarm swarm = DockerSwarm.connect(Path.of("/run/docker.sock"))) {  // nothing is sent yet
      SwarmService web = swarm.service("shop_web");

      // a release: new image; if its tasks fail or the trigger fires, back to the spec of release start
      Release release = Release.builder("shop 2.4.0")
          .change(Swarm.setImage(web, "registry.example/shop/web:2.4.0"))
          .trigger(Trigger.consecutiveFailures(Swarm.taskSignal(web, Duration.ofSeconds(1)), 3))
          .bakeFor(Duration.ofMinutes(5)).checkingEvery(Duration.ofSeconds(1))
          .build();

      // a plan: the whole stack back to the capture, db first, then api, then web
      RollbackPlan plan = RollbackPlan.builder("shop back")
          .sequential("swarm", s -> s.step(Swarm.restoreStack(swarm.stack("shop").inOrder("db", "api", "web"))))
          .verifiedBy(Swarm.taskHealth(web, TaskHealth.noFailures()))
          .build();

      Step back = Swarm.restoreKnownGood(web);                   // one service, known-good
      Step previous = Swarm.rollbackToPrevious(web);             // docker service rollback
      Step image = Swarm.restoreImage(web, "registry.example/shop/web:2.3.1");  // a chosen image, the rest as found
      Step fast = Swarm.restoreKnownGood(web.withRollout(Rollout.parallelism(0).withMonitor(Duration.ofSeconds(2))));

      assertThat(release.changes()).hasSize(1);
      assertThat(plan.stages()).hasSize(1);
      assertThat(back.isIdempotent()).isTrue();
      assertThat(back.knownGoodCapture()).isPresent();
      assertThat(previous.describe()).contains("docker service rollback");
      assertThat(image.describe()).isEqualTo("roll service shop_web back to image registry.example/shop/web:2.3.1");
      assertThat(image.isIdempotent()).isTrue();
      assertThat(fast.reconciler()).isPresent();
    }
  }

  /** The direct calls of the README (they need a daemon, so they are compiled, not run here). */
  static void directCalls(SwarmService web) {
    RestoreResult r = web.restore(web.capture());              // direct calls, without an engine
    Convergence c = web.awaitConverged(web.capture());         // which tasks run the spec, which do not and why

    // steps of your own from the same adapter: a service is a StateAdapter<SwarmServiceState>
    Step pin = StateSteps.on(web.adapter()).awaitingSettled(Duration.ofMinutes(5), Duration.ofMillis(100))
        .restore("pin web", web.capture());                    // the spec read now is the step's fixed target
    assertThat(r.service()).isEqualTo(c.service());
    assertThat(pin.isIdempotent()).isTrue();
  }
}
