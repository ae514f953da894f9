package dev.rollback.swarm;

/**
 * What {@link Swarm#taskHealth} tolerates among the tasks of a service's current spec before it
 * says DOWN. A failed task is one that ended {@code failed}, {@code rejected} (the node could not
 * pull or start the image) or {@code complete} (the process exited while the service wanted it
 * running): each is a restart Swarm had to make.
 *
 * @param maxFailedTasks failed tasks of the current spec tolerated (within Swarm's task history)
 * @param maxFailureRatio share of the current spec's tasks that may have failed, in [0, 1]
 */
public record TaskHealth(int maxFailedTasks, double maxFailureRatio) {
  public TaskHealth {
    if (maxFailedTasks < 0) throw new IllegalArgumentException("maxFailedTasks must not be negative: " + maxFailedTasks);
    if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
      throw new IllegalArgumentException("maxFailureRatio must be between 0 and 1: " + maxFailureRatio);
    }
  }

  /** DOWN at the first failed task of the current spec. */
  public static TaskHealth noFailures() {
    return new TaskHealth(0, 1.0);
  }

  /** DOWN when more than {@code n} tasks of the current spec failed. */
  public static TaskHealth maxFailedTasks(int n) {
    return new TaskHealth(n, 1.0);
  }

  /** Also DOWN when more than {@code ratio} of the current spec's tasks failed. */
  public TaskHealth withMaxFailureRatio(double ratio) {
    return new TaskHealth(maxFailedTasks, ratio);
  }
}
