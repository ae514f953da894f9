package dev.rollback.k8s;

/** Keys of the snapshots this module captures (journaled as strings). */
public final class Snapshots {
  private Snapshots() {}

  /** {@code Deployment}, {@code StatefulSet}, {@code DaemonSet}, {@code Service}. */
  public static final String KIND = "kind";
  public static final String NAMESPACE = "namespace";
  public static final String NAME = "name";
  /** The workload's revision number when captured. */
  public static final String REVISION = "revision";
  /** The pod-template-hash (Deployment) or controller-revision-hash (StatefulSet/DaemonSet) of that revision. */
  public static final String HASH = "hash";
  /** The pod template as JSON: restores the revision even after its ReplicaSet was pruned. */
  public static final String TEMPLATE = "template";
  /** The replica count (scale changes). */
  public static final String REPLICAS = "replicas";
  /**
   * The ConfigMaps and Secrets the template references, as a JSON array: a ConfigMap with its
   * {@code data} and {@code binaryData}, a Secret with the {@code sha256} of its data only (and,
   * with the opt-in, {@code keptIn}: the rollback-owned Secret holding a copy). Each with its
   * {@code resourceVersion} when captured.
   */
  public static final String CONFIG = "config";
  /** A Service's selector as JSON. */
  public static final String SELECTOR = "selector";
}
