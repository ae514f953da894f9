package dev.rollback.examples.docs;

import dev.rollback.Change;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Lease;
import dev.rollback.k8s.DeploymentRollout;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.Revision;
import dev.rollback.k8s.UndoResult;
import dev.rollback.k8s.WorkloadRevision;
import dev.rollback.spi.StateAdapter;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;

/** What the examples of rollback-k8s/README.md take as given. */
abstract class K8sReadme {
  KubernetesClient client;            // a fabric8 client the application owns
  RollbackEngine engine;
  String namespace;
  HealthCheck smokeTest;

  /** A pipeline's own change to a ConfigMap (the README's recipe runs with a real one in ReadmeRecipeIT). */
  Change editConfigMap(String name, String key, String value) {
    return Change.of("set " + key + "=" + value, ctx -> { }, ctx -> { });
  }
}
