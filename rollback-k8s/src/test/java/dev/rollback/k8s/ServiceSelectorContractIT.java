package dev.rollback.k8s;

import dev.rollback.spi.StateAdapter;
import dev.rollback.test.StateAdapterContract;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The {@link StateAdapterContract} for a Service's selector on the real API server: blue, then green. */
class ServiceSelectorContractIT extends StateAdapterContract<Map<String, String>> {
  static KubernetesClient client;
  static String ns;

  @BeforeAll
  static void createTheService() {
    RealCluster cluster = RealCluster.get();
    client = cluster.client;
    ns = cluster.namespace("contract-svc");
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("front").endMetadata()
        .withNewSpec().withSelector(Map.of("app", "front", "color", "blue")).addNewPort().withPort(80).endPort().endSpec()
        .build()).create();
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  @Override
  protected StateAdapter<Map<String, String>> adapter() {
    return Kubernetes.using(client).service(ns, "front").selectorAdapter();
  }

  @Override
  protected Map<String, String> knownGoodState() {
    return Map.of("app", "front", "color", "blue");
  }

  @Override
  protected Map<String, String> changedState() {
    return Map.of("app", "front", "color", "green");
  }

  /** Any write to the Service gives it a new resourceVersion. */
  @Override
  protected Object fingerprint(StateAdapter<Map<String, String>> adapter) {
    return client.services().inNamespace(ns).withName("front").get().getMetadata().getResourceVersion();
  }
}
