package dev.rollback.k8s;

import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.k8s.internal.PodChecks;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Objects;

/**
 * A StatefulSet or DaemonSet, rolled back through its ControllerRevisions as {@code kubectl
 * rollout undo} does: the revisions it controls (selector, then controller owner reference), the
 * chosen one's stored template patch sent back as a strategic merge patch (with the object's
 * resourceVersion, so a concurrent writer causes a 409 and a fresh start), nothing written when the
 * template already matches. For a StatefulSet, {@link #withForcedRollback()} also deletes the pods
 * stuck on another revision that are not Ready, which an OrderedReady StatefulSet otherwise waits on
 * forever (kubernetes/kubernetes#67250). Immutable.
 *
 * <p>The same workload adapter as a Deployment's ({@link #revisionAdapter()}): the revision
 * captured at release start includes the ConfigMaps and Secrets the pod template references,
 * restored before the template, and the steps are derived by {@link StateSteps}.
 */
public final class RevisionedRollout {
  private final KubernetesClient client;
  private final Workload workload;
  private final String namespace;
  private final String name;
  private final Duration rolloutTimeout;

  RevisionedRollout(KubernetesClient client, Workload.Kind kind, String namespace, String name) {
    this(client, new Workload(client, kind, namespace, name, Workload.Options.defaults()), namespace, name,
        Duration.ofMinutes(5));
  }

  private RevisionedRollout(KubernetesClient client, Workload workload, String namespace, String name, Duration rolloutTimeout) {
    this.client = client;
    this.workload = workload;
    this.namespace = namespace;
    this.name = name;
    this.rolloutTimeout = rolloutTimeout;
  }

  private RevisionedRollout with(Workload.Options o) {
    return new RevisionedRollout(client, workload.with(o), namespace, name, rolloutTimeout);
  }

  /**
   * StatefulSets only, explicit opt-in: after the template is restored, delete this StatefulSet's
   * pods that run another revision and are not Ready, so the controller recreates them.
   */
  public RevisionedRollout withForcedRollback() {
    if (workload.kind() != Workload.Kind.STATEFUL_SET) {
      throw new IllegalStateException("forced rollback applies to StatefulSets only, not to " + describe());
    }
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), true, o.config(),
        o.keepSecrets(), o.pollInterval()));
  }

  /** How long steps wait for the rollout (default 5 min); {@link Duration#ZERO} to not wait. */
  public RevisionedRollout withRolloutTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("rollout timeout must not be negative: " + timeout);
    return new RevisionedRollout(client, workload, namespace, name, timeout);
  }

  /** As {@link DeploymentRollout#withSecretContentKept()}: a captured Secret's data is kept in a Secret the rollback owns. */
  public RevisionedRollout withSecretContentKept() {
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), o.forced(), true, true,
        o.pollInterval()));
  }

  /** As {@link DeploymentRollout#withoutConfig()}: the pod template alone is captured and restored. */
  public RevisionedRollout withoutConfig() {
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), o.forced(), false, false,
        o.pollInterval()));
  }

  public String namespace() { return namespace; }
  public String name() { return name; }

  /** e.g. {@code statefulset shop/db}. */
  public String describe() { return workload.describe(); }

  /** The revision as a {@link StateAdapter}, for {@link StateSteps} and the adapter contract test. */
  public StateAdapter<WorkloadRevision> revisionAdapter() { return workload; }

  private StateSteps<WorkloadRevision> steps() {
    StateSteps<WorkloadRevision> steps = StateSteps.on(workload);
    return rolloutTimeout.isZero() ? steps : steps.awaitingSettled(rolloutTimeout, workload.options.pollInterval());
  }

  /** The current revision as a journaled snapshot (revision number, ControllerRevision name, template, config). */
  public Snapshot captureRevision() {
    return workload.encode(workload.capture("capture"));
  }

  /** Rolls back to {@code target}; refused or impossible undos throw {@link K8sRollbackException}. */
  public UndoResult undo(Revision target) {
    return workload.undo(target);
  }

  /** The rollout as {@code kubectl rollout status} judges it. */
  public RolloutStatus rolloutStatus() {
    return workload.rolloutStatus();
  }

  /**
   * Waits until complete or failed, or {@code timeout} passes (then the last status), on a watch
   * as {@link DeploymentRollout#awaitRollout} does.
   */
  public RolloutStatus awaitRollout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return workload.awaitRollout(timeout);
  }

  /** A step that rolls back to {@code target} and waits; its undo rolls forward to the revision it replaced. */
  public Step undoStep(Revision target) {
    Objects.requireNonNull(target, "target");
    return steps().restoreComputed("undo " + workload.label(), ctx -> workload.resolve(target))
        .withDescription("roll " + describe() + " back to " + target);
  }

  /** A step that captures the revision (and its config) at release start and rolls back to it when run. */
  public Step undoToKnownGood() {
    return steps().restoreKnownGood("undo " + workload.label() + " to known-good")
        .withDescription("roll " + describe() + " back to the revision captured at release start");
  }

  /** DOWN when a container of its pods restarted more than {@code maxRestarts} times (crash loop). */
  public HealthCheck restarts(int maxRestarts) {
    if (maxRestarts < 0) throw new IllegalArgumentException("maxRestarts must not be negative: " + maxRestarts);
    return PodChecks.restarts("container restarts of " + describe(), client, namespace, describe(),
        () -> new PodChecks.Shape(Workload.selector(workload.get()), 0), maxRestarts);
  }

  @Override
  public String toString() {
    return "RevisionedRollout[" + describe() + "]";
  }
}
