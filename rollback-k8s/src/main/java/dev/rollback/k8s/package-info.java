/**
 * Kubernetes workload rollback (Deployments, StatefulSets, DaemonSets), Service switch and Lease. Coming with the Kubernetes issue.
 */
@NullMarked
package dev.rollback.k8s;

import org.jspecify.annotations.NullMarked;
