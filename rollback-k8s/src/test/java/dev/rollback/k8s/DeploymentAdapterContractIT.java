package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.StateAdapterContract;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link StateAdapterContract} for a Deployment's revision adapter on the real API server and
 * controller manager: the two states differ in the image and in the content of the ConfigMap the
 * template references, so every restore also restores the config.
 */
class DeploymentAdapterContractIT extends StateAdapterContract<WorkloadRevision> {
  static KubernetesClient client;
  static String ns;
  static DeploymentRollout deployment;
  static WorkloadRevision good;
  static WorkloadRevision changed;

  @BeforeAll
  static void createTheDeployment() throws Exception {
    RealCluster cluster = RealCluster.get();
    client = cluster.client;
    ns = cluster.namespace("contract-deploy");
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("web-config").endMetadata()
        .withData(Map.of("mode", "v1")).build()).create();
    Deployment d = new DeploymentBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("web:1")
        .addNewEnvFrom().withNewConfigMapRef().withName("web-config").endConfigMapRef().endEnvFrom()
        .endContainer().endSpec().endTemplate().endSpec().build();
    client.apps().deployments().inNamespace(ns).resource(d).create();
    deployment = Kubernetes.using(client).deployment(ns, "web");
    assertThat(deployment.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout").isTrue();

    good = deployment.revisionAdapter().read(FakeStepContext.create());
    var json = client.getKubernetesSerialization();
    PodTemplateSpec t = json.unmarshal(good.template(), PodTemplateSpec.class);
    t.getSpec().getContainers().get(0).setImage("web:2");
    changed = new WorkloadRevision(0, null, json.asJson(t),
        List.of(ReferencedConfig.configMap("web-config", "0", Map.of("mode", "v2"), Map.of())));
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  @Override
  protected StateAdapter<WorkloadRevision> adapter() {
    return deployment.revisionAdapter();
  }

  @Override
  protected WorkloadRevision knownGoodState() {
    return good;
  }

  @Override
  protected WorkloadRevision changedState() {
    return changed;
  }

  @Override
  protected StateSteps<WorkloadRevision> steps(StateAdapter<WorkloadRevision> adapter) {
    return StateSteps.on(adapter).awaitingSettled(Duration.ofSeconds(60), Duration.ofMillis(100));
  }

  /** What a write leaves: the Deployment's generation (bumped by any spec write), annotations, and the ConfigMap's resourceVersion. */
  @Override
  protected Object fingerprint(StateAdapter<WorkloadRevision> adapter) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName("web").get();
    return List.of(d.getMetadata().getGeneration(), d.getMetadata().getAnnotations(),
        client.configMaps().inNamespace(ns).withName("web-config").get().getMetadata().getResourceVersion());
  }
}
