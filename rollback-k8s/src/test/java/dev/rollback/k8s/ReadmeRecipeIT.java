package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's config recipe, run on the real API server; a second test keeps the README's copy identical. */
class ReadmeRecipeIT {
  static KubernetesClient client;
  static String namespace;

  @BeforeAll
  static void createCheckout() {
    RealCluster cluster = RealCluster.get();
    client = cluster.client;
    namespace = cluster.namespace("readme");
    client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName("checkout-config")
        .endMetadata().withData(Map.of("PAYMENT_TIMEOUT", "5s")).build()).create();
    client.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder().withNewMetadata().withName("checkout")
        .endMetadata().withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "checkout")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "checkout")).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("registry.example/checkout:2.3.9")
        .addNewEnvFrom().withNewConfigMapRef().withName("checkout-config").endConfigMapRef().endEnvFrom()
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    assertThat(Kubernetes.using(client).deployment(namespace, "checkout").awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(namespace).delete();
  }

  static Change editConfigMap(String name, String key, String value) {
    return Change.of("set " + key + "=" + value, ctx -> client.configMaps().inNamespace(namespace).withName(name)
        .edit(c -> new ConfigMapBuilder(c).addToData(key, value).build()), ctx -> { });
  }

  @Test
  void theReadmeRecipeRevertsTheImageAndTheConfigMapTogether() {
    HealthCheck smokeTest = HealthCheck.constant("checkout smoke test", HealthStatus.DOWN);
    // README:begin
    Kubernetes k8s = Kubernetes.using(client);
    DeploymentRollout checkout = k8s.deployment(namespace, "checkout")
        .withRolloutTimeout(Duration.ofMinutes(2));

    // the revision captured when the release starts holds the template and checkout-config's content
    Release release = Release.builder("checkout 2.4.0")
        .change(editConfigMap("checkout-config", "PAYMENT_TIMEOUT", "2s"))   // e.g. your pipeline's step
        .change(checkout.setImage("app", "registry.example/checkout:2.4.0"))
        .healthGate(smokeTest).within(Duration.ofSeconds(1))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      RollbackResult result = engine.run(release);
      // RECOVERED: checkout-config is back to PAYMENT_TIMEOUT=5s, then the template to 2.3.9
      // README:end
      assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(client.configMaps().inNamespace(namespace).withName("checkout-config").get().getData())
        .containsEntry("PAYMENT_TIMEOUT", "5s");
    assertThat(client.apps().deployments().inNamespace(namespace).withName("checkout").get().getSpec().getTemplate()
        .getSpec().getContainers().get(0).getImage()).isEqualTo("registry.example/checkout:2.3.9");
  }

  @Test
  void theReadmeShowsExactlyTheCodeThatThisTestRuns() throws Exception {
    String source = Files.readString(Path.of("src/test/java/dev/rollback/k8s/ReadmeRecipeIT.java"));
    String snippet = source.substring(source.indexOf("// README:" + "begin") + "// README:begin".length(),
        source.indexOf("// README:" + "end"));
    String code = snippet.lines().map(l -> l.length() >= 4 ? l.substring(4) : l.strip()).collect(Collectors.joining("\n")).strip()
        + "\n}";
    String readme = Files.readString(Path.of("README.md"));

    assertThat(readme).contains(code);
  }
}
