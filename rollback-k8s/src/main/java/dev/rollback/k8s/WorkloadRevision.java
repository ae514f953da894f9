package dev.rollback.k8s;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A workload's revision as the rollback captures and restores it: the state of the workload
 * adapter ({@code DeploymentRollout.revisionAdapter()}, {@code RevisionedRollout.revisionAdapter()}).
 * What is restored is the pod template and the referenced config; the revision number and hash
 * only find the old ReplicaSet or ControllerRevision again (a rollback renumbers the revision it
 * restores, so they never decide whether two states match).
 *
 * @param revision  the revision number when captured; 0 for a target computed by a change
 * @param hash      the pod-template-hash (Deployment) or ControllerRevision name (StatefulSet,
 *                  DaemonSet) of that revision, or null
 * @param template  the pod template as JSON, without {@code pod-template-hash}
 * @param config    the ConfigMaps and Secrets restored with the template, before it; empty when
 *                  the revision leaves config alone (an undo to the previous revision, whose
 *                  config content was never captured)
 */
public record WorkloadRevision(long revision, @Nullable String hash, String template, List<ReferencedConfig> config) {

  public WorkloadRevision {
    Objects.requireNonNull(template, "template");
    config = List.copyOf(Objects.requireNonNull(config, "config"));
  }

  /** This revision's template alone: the config is left as it is when it is restored. */
  public WorkloadRevision withoutConfig() {
    return new WorkloadRevision(revision, hash, template, List.of());
  }
}
