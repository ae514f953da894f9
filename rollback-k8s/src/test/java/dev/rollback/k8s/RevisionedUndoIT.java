package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.detect.HealthStatus;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** StatefulSet and DaemonSet undo through ControllerRevisions on a real API server and controller manager. */
class RevisionedUndoIT {
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
    ns = cluster.namespace("revs");
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  static PodTemplateSpec template(String name, String image) {
    return new PodTemplateSpecBuilder().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec().build();
  }

  static void setImage(String plural, String name, String image) {
    String patch = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"" + image + "\"}]}}}}";
    if (plural.equals("statefulsets")) {
      client.apps().statefulSets().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
    } else {
      client.apps().daemonSets().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
    }
  }

  static RevisionedRollout statefulSet(String name, String image) {
    client.apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(2).withServiceName(name)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withTemplate(template(name, image)).endSpec().build()).create();
    RevisionedRollout s = k8s.statefulSet(ns, name);
    assertThat(s.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout of " + name).isTrue();
    return s;
  }

  static String stsImage(String name) {
    return client.apps().statefulSets().inNamespace(ns).withName(name).get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage();
  }

  @Test
  void undoesAStatefulSetToThePreviousRevision() {
    RevisionedRollout s = statefulSet("db", "db:1");
    setImage("statefulsets", "db", "db:2");
    assertThat(s.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();

    UndoResult r = s.undo(Revision.previous());

    assertThat(r.fromRevision()).isEqualTo(2);
    assertThat(r.restoredRevision()).isEqualTo(1);
    assertThat(stsImage("db")).isEqualTo("db:1");
    assertThat(s.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    assertThat(s.undo(Revision.number(3)).skipped()).as("revision 1 came back as 3 and is current").isTrue();
  }

  @Test
  void aForcedRollbackDeletesTheStatefulSetPodsStuckOnTheBadRevision() {
    RevisionedRollout s = statefulSet("queue", "queue:1");
    var known = s.captureRevision();
    setImage("statefulsets", "queue", "queue:crash");
    org.awaitility.Awaitility.await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(200))
        .until(() -> s.restarts(1).check().status() == dev.rollback.detect.HealthStatus.DOWN);

    s.undo(Revision.captured(known));
    assertThat(stsImage("queue")).isEqualTo("queue:1");
    assertThat(s.awaitRollout(Duration.ofSeconds(3)).isComplete())
        .as("OrderedReady waits forever on the pod stuck on the bad revision").isFalse();

    UndoResult forced = s.withForcedRollback().undo(Revision.captured(known));

    assertThat(forced.skipped()).isTrue();
    assertThat(forced.message()).contains("deleted 1 stuck pod(s)");
    assertThat(s.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
  }

  @Test
  void undoesADaemonSetToAChosenRevision() {
    client.apps().daemonSets().inNamespace(ns).resource(new DaemonSetBuilder().withNewMetadata().withName("agent").endMetadata()
        .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", "agent")).endSelector()
        .withTemplate(template("agent", "agent:1")).endSpec().build()).create();
    RevisionedRollout d = k8s.daemonSet(ns, "agent");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    setImage("daemonsets", "agent", "agent:2");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    setImage("daemonsets", "agent", "agent:3");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();

    UndoResult r = d.undo(Revision.number(1));

    assertThat(r.fromRevision()).isEqualTo(3);
    assertThat(client.apps().daemonSets().inNamespace(ns).withName("agent").get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage()).isEqualTo("agent:1");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    assertThatThrownBy(() -> d.undo(Revision.number(9)))
        .isInstanceOf(K8sRollbackException.class)
        .hasMessageContaining("daemonset " + ns + "/agent")
        .hasMessageContaining("not in the history");
    assertThatThrownBy(() -> k8s.daemonSet(ns, "agent").withForcedRollback()).isInstanceOf(IllegalStateException.class);
  }
}
