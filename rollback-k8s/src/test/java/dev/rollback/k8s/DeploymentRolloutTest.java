package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.RollbackAssertions;
import dev.rollback.test.ScriptedCheck;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fast unit-level tests on the fabric8 mock server in CRUD mode (no controllers, no validation). */
@EnableKubernetesMockClient(crud = true)
class DeploymentRolloutTest {
  static KubernetesClient client;

  static PodTemplateSpec template(String image, String hash) {
    return new PodTemplateSpecBuilder().withNewMetadata().withLabels(
            hash == null ? Map.of("app", "web") : Map.of("app", "web", "pod-template-hash", hash)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec().build();
  }

  static void replicaSet(String name, long revision, String ownerUid, String image, String hash, Map<String, String> annotations) {
    var a = new java.util.HashMap<>(annotations);
    a.put("deployment.kubernetes.io/revision", Long.toString(revision));
    client.apps().replicaSets().inNamespace("shop").resource(new ReplicaSetBuilder().withNewMetadata().withName(name)
        .withLabels(Map.of("app", "web", "pod-template-hash", hash)).withAnnotations(a)
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName("web").withUid(ownerUid)
        .withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
        .withTemplate(template(image, hash)).endSpec().build()).create();
  }

  @Test
  void findsReplicaSetsByControllerOwnerReferenceNotByLabelsAlone() {
    client.apps().deployments().inNamespace("shop").resource(new DeploymentBuilder().withNewMetadata().withName("web")
        .withUid("uid-web").withAnnotations(Map.of("deployment.kubernetes.io/revision", "2",
            "kubectl.kubernetes.io/last-applied-configuration", "{}")).endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
        .withTemplate(template("web:2", null)).endSpec().build()).create();
    String uid = client.apps().deployments().inNamespace("shop").withName("web").get().getMetadata().getUid();
    replicaSet("web-1", 1, uid, "web:1", "h1", Map.of("change-cause", "release 1"));
    replicaSet("web-2", 2, uid, "web:2", "h2", Map.of("change-cause", "release 2"));
    // same labels, higher revision, but controlled by another Deployment (a label collision)
    replicaSet("other-9", 9, "uid-other", "other:9", "h9", Map.of());

    UndoResult r = Kubernetes.using(client).deployment("shop", "web").undo(Revision.previous());

    assertThat(r.restoredRevision()).isEqualTo(1);
    var d = client.apps().deployments().inNamespace("shop").withName("web").get();
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("web:1");
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("pod-template-hash");
    assertThat(d.getMetadata().getAnnotations())
        .containsEntry("change-cause", "release 1")
        .containsEntry("kubectl.kubernetes.io/last-applied-configuration", "{}")
        .containsEntry("deployment.kubernetes.io/revision", "2");
  }

  @Test
  void anApiServerThatIsDownIsAFailureNamingTheCall() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:" + port)
        .withTrustCerts(true).withRequestRetryBackoffLimit(0).withConnectionTimeout(2000).build();
    try (KubernetesClient down = new KubernetesClientBuilder().withConfig(config).build()) {
      assertThatThrownBy(() -> Kubernetes.using(down).deployment("shop", "web").undo(Revision.previous()))
          .isInstanceOf(K8sApiException.class)
          .hasMessageContaining("GET apps/v1 namespaces/shop/deployments/web")
          .hasMessageContaining("API server unreachable")
          .satisfies(e -> assertThat(((K8sApiException) e).code()).isZero());
    }
  }

  @Test
  void aBlueGreenSwitchIsRevertedToTheCapturedSelectorWhenTheHealthGateFails() {
    client.services().inNamespace("shop").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
        .withNewMetadata().withName("front").endMetadata()
        .withNewSpec().withSelector(Map.of("app", "front", "color", "blue")).addNewPort().withPort(80).endPort().endSpec()
        .build()).create();
    ServiceSwitch svc = Kubernetes.using(client).service("shop", "front");
    ScriptedCheck smoke = ScriptedCheck.answering("green smoke test", HealthStatus.DOWN);

    Release release = Release.builder("green")
        .change(svc.switchTo(Map.of("app", "front", "color", "green")))
        .healthGate(smoke).within(java.time.Duration.ofMillis(300))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(release);
    }

    RollbackAssertions.assertThat(result).isRecovered()
        .hasRevertedInReverseOrder("switch service front in shop to {app=front, color=green}");
    assertThat(smoke.calls()).isPositive();
    assertThat(svc.selector()).isEqualTo(Map.of("app", "front", "color", "blue"));
  }

  @Test
  void theSelectorAdapterWritesNothingWhenTheServiceAlreadyHasTheSelector() throws Exception {
    client.services().inNamespace("shop").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
        .withNewMetadata().withName("same").endMetadata()
        .withNewSpec().withSelector(Map.of("app", "same")).addNewPort().withPort(80).endPort().endSpec()
        .build()).create();
    var adapter = Kubernetes.using(client).service("shop", "same").selectorAdapter();
    String rv = client.services().inNamespace("shop").withName("same").get().getMetadata().getResourceVersion();

    adapter.apply(Map.of("app", "same"), FakeStepContext.create());

    assertThat(client.services().inNamespace("shop").withName("same").get().getMetadata().getResourceVersion()).isEqualTo(rv);
    assertThat(adapter.codec().decode(adapter.codec().encode(Map.of("app", "same", "color", "x"))))
        .isEqualTo(Map.of("app", "same", "color", "x"));
  }

  @Test
  void aPatchChangeThatTouchesMoreThanThePodTemplateIsRefusedAtTheCall() {
    DeploymentRollout d = Kubernetes.using(client).deployment("shop", "web");

    assertThatThrownBy(() -> d.patch("scale up", "{\"spec\":{\"replicas\":5}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deployment shop/web")
        .hasMessageContaining("spec.template only")
        .hasMessageContaining("scale()");
    assertThatThrownBy(() -> d.patch("broken", "{not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a JSON object");
    assertThat(d.patch("annotate", "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}}}").name())
        .isEqualTo("annotate");
  }

  @Test
  void undoingTheWorkloadThisProcessRunsInIsAMayTerminateHostStep() {
    DeploymentRollout d = Kubernetes.using(client).deployment("shop", "guarded");
    assertThat(d.undoStep(Revision.previous()).mayTerminateHost()).isFalse();

    DeploymentRollout self = d.hostingThisProcess();

    assertThat(self.undoStep(Revision.previous()).mayTerminateHost()).isTrue();
    assertThat(self.undoToKnownGood().mayTerminateHost()).isTrue();
    assertThat(self.setImage("app", "app:2").revert().mayTerminateHost()).isTrue();
    assertThat(self.undoStep(Revision.previous()).name()).doesNotContain("/");
  }

  @Test
  void aScaleChangeIsRevertedToTheCapturedReplicaCount() {
    client.apps().deployments().inNamespace("shop").resource(new DeploymentBuilder().withNewMetadata().withName("scaled")
        .endMetadata().withNewSpec().withReplicas(3).withNewSelector().withMatchLabels(Map.of("app", "scaled")).endSelector()
        .withTemplate(template("scaled:1", null)).endSpec().build()).create();
    DeploymentRollout d = Kubernetes.using(client).deployment("shop", "scaled").withRolloutTimeout(java.time.Duration.ZERO);

    Release release = Release.builder("scale down")
        .change(d.scale(1))
        .healthGate(ScriptedCheck.answering("capacity", HealthStatus.DOWN)).within(java.time.Duration.ofMillis(300))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(release);
    }

    RollbackAssertions.assertThat(result).isRecovered().hasStepSucceeded("scale deployment scaled in shop to 1/revert");
    assertThat(client.apps().deployments().inNamespace("shop").withName("scaled").get().getSpec().getReplicas()).isEqualTo(3);
  }

  @Test
  void anImageFromARegistryPathGivesAChangeNameWithoutSlashesAndKeepsTheImageInItsDescription() {
    var change = Kubernetes.using(client).deployment("shop", "web").setImage("app", "registry.example/shop/web:2.4.0");

    assertThat(change.name()).isEqualTo("set image app=registry.example-shop-web:2.4.0 on deployment web in shop");
    assertThat(change.apply().describe()).isEqualTo("set image app=registry.example/shop/web:2.4.0 on deployment web in shop");
    RollbackAssertions.assertThat(Release.builder("web 2.4.0").change(change).build()).everyChangeCapturesItsKnownGoodState();
  }

  @Test
  void revisionNumbersMustBePositive() {
    assertThatThrownBy(() -> Revision.number(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
  }
}
