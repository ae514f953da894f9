package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.FailurePolicy;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The merge-patch change and the pause/resume steps against the real API server. */
class DeploymentChangesIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static RealCluster cluster;
  static KubernetesClient client;
  static Kubernetes k8s;
  static String ns;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    client = cluster.client;
    k8s = Kubernetes.using(client);
    ns = cluster.namespace("changes");
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  static DeploymentRollout create(String name) {
    Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("app:1").endContainer().endSpec()
        .endTemplate().endSpec().build();
    client.apps().deployments().inNamespace(ns).resource(d).create();
    DeploymentRollout rollout = k8s.deployment(ns, name).withRolloutTimeout(Duration.ofSeconds(60));
    assertThat(rollout.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout of " + name).isTrue();
    return rollout;
  }

  static Deployment get(String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  /** The API server leaves {@code paused: false} out of the object, so absent means not paused. */
  static boolean paused(String name) {
    return Boolean.TRUE.equals(get(name).getSpec().getPaused());
  }

  @Test
  void aMergePatchChangeIsRevertedToTheRevisionCapturedAtReleaseStart() {
    DeploymentRollout d = create("patched");
    Change patch = d.patch("annotate and move to app:2",
        "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"release\":\"2\"}},"
            + "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:2\"}]}}}}");
    Change broken = Change.of("smoke test", ctx -> { throw new IllegalStateException("smoke test failed"); }, ctx -> { });

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(Release.builder("patch release").change(patch).change(broken).build());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.step("annotate and move to app:2/apply").isDone()).isTrue();
    Deployment after = get("patched");
    assertThat(after.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("app:1");
    assertThat(after.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey("release");
  }

  @Test
  void pauseAndResumeStepsSetTheDeploymentsPausedFlagAndUndoEachOther() {
    DeploymentRollout d = create("pausable");
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      assertThat(engine.run(RollbackPlan.builder("pause").step(d.pause()).build(), dev.rollback.Deployment.of("p", "1"))
          .outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(paused("pausable")).isTrue();

      assertThat(engine.run(RollbackPlan.builder("resume").step(d.resume()).build(), dev.rollback.Deployment.of("p", "1"))
          .outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(paused("pausable")).isFalse();

      // abandoning a rollback undoes its pause step: the Deployment is resumed again
      Step failing = Step.builder("fails").execute(ctx -> { throw new IllegalStateException("boom"); }).undo(ctx -> { }).build();
      RollbackRun run = engine.start(RollbackPlan.builder("abandon").step(d.pause()).step(failing)
          .withFailurePolicy(FailurePolicy.ABANDON).build(), dev.rollback.Deployment.of("p", "1"));
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.kind()).isEqualTo(GateKind.ABANDON);
      assertThat(paused("pausable")).isTrue();
      run.answer(gate.id(), Decision.PROCEED, "tester");

      assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.ABANDONED);
      assertThat(paused("pausable")).isFalse();
    }
  }
}
