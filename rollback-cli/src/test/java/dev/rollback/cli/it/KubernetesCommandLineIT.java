package dev.rollback.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.RealCluster;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code rollback} command, as a process, rolls a Deployment back on the real Kubernetes API server. */
class KubernetesCommandLineIT {
  @TempDir Path dir;

  @Test
  void undoesADeploymentNamedInAPlanFile() throws Exception {
    RealCluster cluster = RealCluster.get();
    KubernetesClient client = cluster.client;
    String ns = cluster.namespace("cli");
    client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName("checkout")
        .endMetadata().withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "checkout")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "checkout")).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("registry.example/checkout:2.3.1").endContainer().endSpec()
        .endTemplate().endSpec().build()).create();
    var rollout = Kubernetes.using(client).deployment(ns, "checkout");
    assertThat(rollout.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    client.apps().deployments().inNamespace(ns).withName("checkout").edit(d -> new DeploymentBuilder(d).editSpec().editTemplate()
        .editSpec().editFirstContainer().withImage("registry.example/checkout:2.4.0").endContainer().endSpec().endTemplate()
        .endSpec().build());
    assertThat(rollout.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    Files.writeString(dir.resolve("k8s.yaml"), """
        apiVersion: rollback.dev/v1alpha1
        kind: RollbackPlan
        metadata: {name: checkout-k8s}
        spec:
          deployment: {service: checkout, version: 2.4.0}
          budget: 3m
          targets:
            cluster: {type: kubernetes, server: "%s", token: {secretRef: {env: KUBE_TOKEN}}, insecureSkipTlsVerify: true}
          stages:
            - name: workloads
              steps:
                - {type: k8s.undo, params: {target: cluster, namespace: %s, name: checkout, rolloutTimeout: 1m}}
        """.formatted(cluster.env.get("KUBE_SERVER"), ns));
    Cli cli = new Cli(dir, Map.of("KUBE_TOKEN", cluster.env.get("KUBE_TOKEN")));

    Cli.Result r = cli.run("run", "k8s.yaml", "--run-id", "k8s-1");

    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    assertThat(client.apps().deployments().inNamespace(ns).withName("checkout").get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage()).isEqualTo("registry.example/checkout:2.3.1");
    client.namespaces().withName(ns).delete();
  }
}
