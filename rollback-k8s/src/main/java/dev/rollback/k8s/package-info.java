/**
 * Kubernetes workload rollback on fabric8: Deployment undo with {@code kubectl rollout undo}
 * parity (previous, chosen or known-good revision), StatefulSet and DaemonSet undo through
 * ControllerRevisions, the ConfigMaps and Secrets a pod template references captured and restored
 * with its revision, Service selector switches, rollout and pod health checks, and a
 * {@code coordination.k8s.io/v1} Lease with fencing tokens. The steps are derived by
 * {@link dev.rollback.spi.StateSteps} from the workload, replica-count and selector adapters.
 * Start at {@link dev.rollback.k8s.Kubernetes}.
 */
@NullMarked
package dev.rollback.k8s;

import dev.rollback.spi.StateSteps;
import org.jspecify.annotations.NullMarked;
