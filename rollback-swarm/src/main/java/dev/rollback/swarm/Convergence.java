package dev.rollback.swarm;

import java.util.List;

/**
 * Whether every task of a service runs the target spec: the tasks that do not yet, or that
 * failed trying (with their errors), and the state of Swarm's own rollout.
 *
 * @param service the service name
 * @param converged every wanted task is running the target spec and no task runs another
 * @param running tasks running the target spec
 * @param desired tasks wanted (replicas, or one per node for a global service)
 * @param lagging tasks that still run another spec, are not running yet, or failed on the target spec
 * @param rollout Swarm's {@code UpdateStatus.State} ({@code updating}, {@code rollback_completed},
 *     {@code paused}, …), empty when the service was never updated
 * @param rolloutMessage Swarm's {@code UpdateStatus.Message}
 */
public record Convergence(String service, boolean converged, long running, long desired, List<TaskReport> lagging,
    String rollout, String rolloutMessage) {

  public Convergence {
    lagging = List.copyOf(lagging);
  }

  /** Swarm paused the rollout (its failure action): it will not converge without a new update. */
  public boolean isPaused() {
    return rollout.equals("paused") || rollout.equals("rollback_paused");
  }

  /** One line: {@code service shop_web: 2/3 tasks on the target spec; task … rejected: No such image …}. */
  public String summary() {
    StringBuilder b = new StringBuilder("service ").append(service).append(": ").append(running).append('/')
        .append(desired).append(" tasks running the target spec");
    if (isPaused()) b.append("; Swarm ").append(rollout.replace('_', ' ')).append(": ").append(rolloutMessage);
    if (!lagging.isEmpty()) {
      b.append("; ");
      for (int i = 0; i < lagging.size(); i++) b.append(i == 0 ? "" : "; ").append(lagging.get(i));
    }
    return b.toString();
  }
}
