package dev.rollback.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;

/**
 * The entry point: rollback steps, changes and health checks for the workloads of one cluster,
 * on a fabric8 {@link KubernetesClient} the caller owns (and closes).
 *
 * <pre>{@code
 * Kubernetes k8s = Kubernetes.using(client);
 * Release release = Release.builder("checkout 2.4.0")
 *     .change(k8s.deployment("shop", "checkout").setImage("app", "registry/checkout:2.4.0"))
 *     .healthGate(k8s.deployment("shop", "checkout").restarts(2)).within(Duration.ofMinutes(2))
 *     .build();
 * }</pre>
 */
public final class Kubernetes {
  private final KubernetesClient client;

  private Kubernetes(KubernetesClient client) {
    this.client = client;
  }

  public static Kubernetes using(KubernetesClient client) {
    return new Kubernetes(Objects.requireNonNull(client, "client"));
  }

  public KubernetesClient client() { return client; }

  /** The Deployment {@code namespace/name} (not read until used). */
  public DeploymentRollout deployment(String namespace, String name) {
    return new DeploymentRollout(client, requireName("namespace", namespace), requireName("name", name));
  }

  /** The StatefulSet {@code namespace/name}, rolled back through its ControllerRevisions. */
  public RevisionedRollout statefulSet(String namespace, String name) {
    return new RevisionedRollout(client, Workload.Kind.STATEFUL_SET, requireName("namespace", namespace),
        requireName("name", name));
  }

  /** The DaemonSet {@code namespace/name}, rolled back through its ControllerRevisions. */
  public RevisionedRollout daemonSet(String namespace, String name) {
    return new RevisionedRollout(client, Workload.Kind.DAEMON_SET, requireName("namespace", namespace),
        requireName("name", name));
  }

  /** The Service {@code namespace/name}, for blue/green switches of its selector. */
  public ServiceSwitch service(String namespace, String name) {
    return new ServiceSwitch(client, requireName("namespace", namespace), requireName("name", name));
  }

  /** Leases in {@code namespace} (coordination.k8s.io/v1), for guards running in several replicas. */
  public KubernetesLease leases(String namespace) {
    return KubernetesLease.in(client, namespace);
  }

  static String requireName(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
    return value;
  }

  @Override
  public String toString() {
    return "Kubernetes[" + client.getMasterUrl() + "]";
  }
}
