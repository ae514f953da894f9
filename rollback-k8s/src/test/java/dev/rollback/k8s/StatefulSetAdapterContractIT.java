package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.StateAdapterContract;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link StateAdapterContract} for a StatefulSet's revision adapter (the same adapter as a
 * Deployment's, on ControllerRevisions) on the real API server: one replica, the image and a
 * ConfigMap mounted as a volume differ between the two states.
 */
class StatefulSetAdapterContractIT extends StateAdapterContract<WorkloadRevision> {
  static KubernetesClient client;
  static String ns;
  static RevisionedRollout statefulSet;
  static WorkloadRevision good;
  static WorkloadRevision changed;

  @BeforeAll
  static void createTheStatefulSet() throws Exception {
    RealCluster cluster = RealCluster.get();
    client = cluster.client;
    ns = cluster.namespace("contract-sts");
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("db-config").endMetadata()
        .withData(Map.of("db.conf", "max_connections=10")).build()).create();
    StatefulSet s = new StatefulSetBuilder().withNewMetadata().withName("db").endMetadata()
        .withNewSpec().withReplicas(1).withServiceName("db")
        .withNewSelector().withMatchLabels(Map.of("app", "db")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "db")).endMetadata()
        .withNewSpec().addNewContainer().withName("db").withImage("db:1")
        .addNewVolumeMount().withName("config").withMountPath("/etc/db").endVolumeMount().endContainer()
        .addNewVolume().withName("config").withNewConfigMap().withName("db-config").endConfigMap().endVolume()
        .endSpec().endTemplate().endSpec().build();
    client.apps().statefulSets().inNamespace(ns).resource(s).create();
    statefulSet = Kubernetes.using(client).statefulSet(ns, "db");
    assertThat(statefulSet.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout").isTrue();

    good = statefulSet.revisionAdapter().read(FakeStepContext.create());
    var json = client.getKubernetesSerialization();
    PodTemplateSpec t = json.unmarshal(good.template(), PodTemplateSpec.class);
    t.getSpec().getContainers().get(0).setImage("db:2");
    changed = new WorkloadRevision(0, null, json.asJson(t),
        List.of(ReferencedConfig.configMap("db-config", "0", Map.of("db.conf", "max_connections=20"), Map.of())));
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  @Override
  protected StateAdapter<WorkloadRevision> adapter() {
    return statefulSet.revisionAdapter();
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

  /** The StatefulSet's generation (bumped by any spec write) and the ConfigMap's resourceVersion. */
  @Override
  protected Object fingerprint(StateAdapter<WorkloadRevision> adapter) {
    StatefulSet s = client.apps().statefulSets().inNamespace(ns).withName("db").get();
    return List.of(s.getMetadata().getGeneration(),
        client.configMaps().inNamespace(ns).withName("db-config").get().getMetadata().getResourceVersion());
  }
}
