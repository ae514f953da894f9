package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.FailurePolicy;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deployment undo against a real kube-apiserver + kube-controller-manager, pods run by the node simulator. */
class DeploymentUndoIT {
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
    ns = cluster.namespace("undo");
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  static Deployment deployment(String name, String image, int progressDeadlineSeconds) {
    return new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(ns)
        .withAnnotations(Map.of("team.example/release-note", "first")).endMetadata()
        .withNewSpec().withReplicas(2).withProgressDeadlineSeconds(progressDeadlineSeconds)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec()
        .endTemplate().endSpec().build();
  }

  static DeploymentRollout create(String name, String image) {
    client.apps().deployments().inNamespace(ns).resource(deployment(name, image, 600)).create();
    DeploymentRollout d = k8s.deployment(ns, name).withRolloutTimeout(Duration.ofSeconds(60));
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout of " + name).isTrue();
    return d;
  }

  static void release(DeploymentRollout d, String image, String note) {
    client.apps().deployments().inNamespace(ns).withName(d.name()).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"metadata\":{\"annotations\":{\"team.example/release-note\":\"" + note + "\"}},"
            + "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"" + image + "\"}]}}}}");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("rollout of " + image).isTrue();
  }

  static String image(String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage();
  }

  static Deployment get(String name) {
    return client.apps().deployments().inNamespace(ns).withName(name).get();
  }

  @Test
  void undoesToThePreviousRevisionAndRestoresTheOldReplicaSetsAnnotations() {
    DeploymentRollout d = create("prev", "app:1");
    release(d, "app:2", "second");

    UndoResult r = d.undo(Revision.previous());

    assertThat(r.skipped()).isFalse();
    assertThat(r.fromRevision()).isEqualTo(2);
    assertThat(r.restoredRevision()).isEqualTo(1);
    assertThat(image("prev")).isEqualTo("app:1");
    Deployment after = get("prev");
    assertThat(after.getMetadata().getAnnotations()).containsEntry("team.example/release-note", "first");
    assertThat(after.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("pod-template-hash");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    assertThat(get("prev").getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "3");
  }

  @Test
  void undoesToAChosenRevision() {
    DeploymentRollout d = create("chosen", "app:1");
    release(d, "app:2", "second");
    release(d, "app:3", "third");

    UndoResult r = d.undo(Revision.number(1));

    assertThat(r.restoredRevision()).isEqualTo(1);
    assertThat(image("chosen")).isEqualTo("app:1");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
  }

  @Test
  void ourUndoLeavesTheDeploymentExactlyAsKubectlRolloutUndoDoes() throws Exception {
    DeploymentRollout ours = create("ours", "app:1");
    DeploymentRollout theirs = create("theirs", "app:1");
    release(ours, "app:2", "second");
    release(theirs, "app:2", "second");

    ours.undo(Revision.previous());
    Process p = new ProcessBuilder("kubectl", "--kubeconfig", cluster.env.get("KUBECONFIG"), "-n", ns,
        "rollout", "undo", "deployment/theirs").redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

    ours.awaitRollout(Duration.ofSeconds(60));
    theirs.awaitRollout(Duration.ofSeconds(60));
    Deployment a = get("ours");
    Deployment b = get("theirs");
    assertThat(a.getMetadata().getAnnotations()).isEqualTo(b.getMetadata().getAnnotations());
    var ta = a.getSpec().getTemplate();
    var tb = b.getSpec().getTemplate();
    ta.getMetadata().getLabels().remove("app");
    tb.getMetadata().getLabels().remove("app");
    assertThat(ta).isEqualTo(tb);
  }

  @Test
  void refusesAPausedDeploymentUnlessAskedToResumeIt() {
    DeploymentRollout d = create("paused", "app:1");
    release(d, "app:2", "second");
    d.setPaused(true);

    assertThatThrownBy(() -> d.undo(Revision.previous()))
        .isInstanceOf(K8sRollbackException.class)
        .hasMessageContaining("deployment " + ns + "/paused")
        .hasMessageContaining("paused")
        .hasMessageContaining("kubectl rollout resume deployment/paused");
    assertThat(image("paused")).isEqualTo("app:2");

    UndoResult r = d.resumingIfPaused().undo(Revision.previous());

    assertThat(r.message()).contains("resumed");
    assertThat(get("paused").getSpec().getPaused()).isNotEqualTo(Boolean.TRUE);
    assertThat(image("paused")).isEqualTo("app:1");
  }

  @Test
  void explainsThatThereIsNoPreviousRevisionInsteadOfCrashing() {
    DeploymentRollout d = create("single", "app:1");

    assertThatThrownBy(() -> d.undo(Revision.previous()))
        .isInstanceOf(K8sRollbackException.class)
        .hasMessageContaining("deployment " + ns + "/single")
        .hasMessageContaining("no previous revision")
        .hasMessageContaining("only revision 1");
  }

  @Test
  void doesNothingWhenTheTemplateAlreadyMatches() {
    DeploymentRollout d = create("same", "app:1");
    release(d, "app:2", "second");
    String rv = get("same").getMetadata().getResourceVersion();

    UndoResult r = d.undo(Revision.number(2));

    assertThat(r.skipped()).isTrue();
    assertThat(r.message()).contains("already matches revision 2");
    assertThat(get("same").getMetadata().getResourceVersion()).isEqualTo(rv);
  }

  @Test
  void aConflictDuringUndoIsRetriedFromAFreshRead() {
    DeploymentRollout d = create("conflict", "app:1");
    release(d, "app:2", "second");
    List<Integer> attempts = new ArrayList<>();

    UndoResult r = d.withBeforeWrite(attempt -> {
      attempts.add(attempt);
      if (attempt == 1) {
        // another writer changes the Deployment between our read and our patch
        client.apps().deployments().inNamespace(ns).withName("conflict").patch(PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"labels\":{\"touched\":\"by-someone-else\"}}}");
      }
    }).undo(Revision.previous());

    assertThat(attempts).containsExactly(1, 2);
    assertThat(r.attempts()).isEqualTo(2);
    assertThat(image("conflict")).isEqualTo("app:1");
    assertThat(get("conflict").getMetadata().getLabels()).containsEntry("touched", "by-someone-else");
  }

  @Test
  void aRevisionThatDoesNotExistIsExplainedWithTheRevisionsKept() {
    DeploymentRollout d = create("norev", "app:1");
    release(d, "app:2", "second");

    assertThatThrownBy(() -> d.undo(Revision.number(7)))
        .isInstanceOf(K8sRollbackException.class)
        .hasMessageContaining("revision 7")
        .hasMessageContaining("not in the history")
        .hasMessageContaining("[1, 2]");
    assertThat(image("norev")).isEqualTo("app:2");
  }

  @Test
  void reportsProgressDeadlineExceededAsAFailureWithTheConditionsMessage() {
    client.apps().deployments().inNamespace(ns).resource(deployment("stuck", "app:broken", 2)).create();
    DeploymentRollout d = k8s.deployment(ns, "stuck");

    RolloutStatus s = d.awaitRollout(Duration.ofSeconds(60));

    assertThat(s.state()).isEqualTo(RolloutStatus.State.FAILED);
    assertThat(s.message()).contains("exceeded its progress deadline").contains("has timed out progressing");
    assertThat(d.rolloutHealth().check().status()).isEqualTo(HealthStatus.DOWN);
  }

  @Test
  void detectsACrashLoopByRestartCountsBeforeAnyProgressDeadline() {
    DeploymentRollout d = create("crashy", "app:1");
    client.apps().deployments().inNamespace(ns).withName("crashy").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:crash\"}]}}}}");

    Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(200))
        .until(() -> d.restarts(2).check().status() == HealthStatus.DOWN);

    assertThat(d.restarts(2).check().detail()).contains("CrashLoopBackOff").contains("container app");
    assertThat(d.rolloutStatus().isFailed()).as("the 600 s deadline has not passed").isFalse();
    assertThat(d.readyPods(1.0).check().status()).as("the old pods still serve").isEqualTo(HealthStatus.UP);
  }

  @Test
  void aReleaseWhoseRolloutFailsIsRevertedToTheKnownGoodRevision() {
    DeploymentRollout d = create("release", "app:1");
    release(d, "app:2", "second");
    client.apps().deployments().inNamespace(ns).withName("release").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"progressDeadlineSeconds\":2}}");

    Release rel = Release.builder("release 3")
        .change(d.setImage("app", "app:broken"))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(rel);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.summary()).contains("progress deadline");
    assertThat(image("release")).isEqualTo("app:2");
    assertThat(d.rolloutStatus().isComplete()).isTrue();
  }

  @Test
  void undoesToTheKnownGoodRevisionEvenAfterItWasRenumbered() {
    DeploymentRollout d = create("known", "app:1");
    var known = d.captureRevision();
    release(d, "app:2", "second");
    d.undo(Revision.previous());                 // app:1 comes back as revision 3
    release(d, "app:3", "third");

    UndoResult r = d.undo(Revision.captured(known));

    assertThat(known.require(Snapshots.REVISION)).isEqualTo("1");
    assertThat(r.restoredRevision()).isEqualTo(3);
    assertThat(image("known")).isEqualTo("app:1");
  }

  @Test
  void anUndoStepToARevisionThatDoesNotExistFailsTheRunNamingTheDeploymentAndWritesNothing() {
    DeploymentRollout d = create("plan", "app:1");
    release(d, "app:2", "second");
    String rv = get("plan").getMetadata().getResourceVersion();
    dev.rollback.RollbackPlan plan = dev.rollback.RollbackPlan.builder("back to 42")
        .sequential("k8s", s -> s.step(d.undoStep(Revision.number(42))))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(plan, dev.rollback.Deployment.of("plan", "2"));
    }

    assertThat(result.outcome().isSuccess()).as(result.summary()).isFalse();
    var step = result.step("k8s/undo deployment plan in " + ns);
    assertThat(step).isInstanceOf(dev.rollback.StepOutcome.Failed.class);
    assertThat(((dev.rollback.StepOutcome.Failed) step).error())
        .contains("deployment " + ns + "/plan").contains("revision 42").contains("not in the history");
    assertThat(get("plan").getMetadata().getResourceVersion()).isEqualTo(rv);
  }

  @Test
  void restoresTheKnownGoodTemplateFromTheSnapshotAfterItsReplicaSetWasPruned() {
    DeploymentRollout d = create("pruned", "app:1");
    client.apps().deployments().inNamespace(ns).withName("pruned").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"spec\":{\"revisionHistoryLimit\":1}}");
    var known = d.captureRevision();
    release(d, "app:2", "second");
    release(d, "app:3", "third");
    Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(200))
        .until(() -> client.apps().replicaSets().inNamespace(ns).list().getItems().stream()
            .noneMatch(rs -> rs.getMetadata().getName().startsWith("pruned-")
                && "app:1".equals(rs.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())));

    UndoResult r = d.undo(Revision.captured(known));

    assertThat(r.skipped()).isFalse();
    assertThat(image("pruned")).isEqualTo("app:1");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
  }

  @Test
  void badInputNamesTheObjectAndTheApiCall() {
    assertThatThrownBy(() -> k8s.deployment("no-such-ns", "x").undo(Revision.previous()))
        .isInstanceOf(K8sApiException.class)
        .hasMessageContaining("GET apps/v1 namespaces/no-such-ns/deployments/x")
        .hasMessageContaining("namespace 'no-such-ns' does not exist");
    assertThatThrownBy(() -> k8s.deployment(ns, "missing").undo(Revision.previous()))
        .isInstanceOf(K8sApiException.class)
        .hasMessageContaining("deployment " + ns + "/missing does not exist");
    try (KubernetesClient nobody = cluster.client(cluster.env.get("KUBE_NOACCESS_TOKEN"))) {
      assertThatThrownBy(() -> Kubernetes.using(nobody).deployment(ns, "missing").undo(Revision.previous()))
          .isInstanceOf(K8sApiException.class)
          .hasMessageContaining("GET apps/v1 namespaces/" + ns + "/deployments/missing")
          .hasMessageContaining("403 Forbidden")
          .satisfies(e -> assertThat(((K8sApiException) e).code()).isEqualTo(403));
    }
  }

  @Test
  void awaitingTheRolloutWithoutPermissionToWatchPollsInstead() {
    String own = cluster.namespace("no-watch"); // its own: the RBAC below must not leak into the other tests
    try {
      client.apps().deployments().inNamespace(own).resource(new DeploymentBuilder(deployment("web", "app:1", 600))
          .editMetadata().withNamespace(own).endMetadata().build()).create();
      assertThat(Kubernetes.using(client).deployment(own, "web").awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
      // user "nobody" may get Deployments in this namespace, not watch them
      client.rbac().roles().inNamespace(own).resource(new RoleBuilder().withNewMetadata().withName("get-only").endMetadata()
          .addNewRule().withApiGroups("apps").withResources("deployments").withVerbs("get").endRule().build()).create();
      client.rbac().roleBindings().inNamespace(own).resource(new RoleBindingBuilder().withNewMetadata().withName("get-only")
          .endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("get-only").endRoleRef()
          .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName("nobody").endSubject().build()).create();
      try (KubernetesClient nobody = cluster.client(cluster.env.get("KUBE_NOACCESS_TOKEN"))) {
        DeploymentRollout getOnly = Kubernetes.using(nobody).deployment(own, "web").withPollInterval(Duration.ofMillis(50));
        Awaitility.await("the binding in effect").atMost(30, TimeUnit.SECONDS).ignoreExceptions()
            .until(() -> getOnly.rolloutStatus().isComplete());
        assertThatThrownBy(() -> nobody.apps().deployments().inNamespace(own).withName("web").watch(new Watcher<>() {
          @Override public void eventReceived(Action action, Deployment resource) { }
          @Override public void onClose(WatcherException cause) { }
        })).as("the watch itself is refused").isInstanceOf(KubernetesClientException.class);
        client.apps().deployments().inNamespace(own).withName("web").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:2\"}]}}}}");

        RolloutStatus s = getOnly.awaitRollout(Duration.ofSeconds(60));

        assertThat(s.isComplete()).as(s.message()).isTrue();
        assertThat(client.apps().deployments().inNamespace(own).withName("web").get().getStatus().getUpdatedReplicas())
            .as("the rollout of app:2 is over").isEqualTo(2);
      }
    } finally {
      client.namespaces().withName(own).delete();
    }
  }
}
