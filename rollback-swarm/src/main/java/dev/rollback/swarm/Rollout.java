package dev.rollback.swarm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.swarm.internal.Api;
import java.time.Duration;
import java.util.Objects;

/**
 * How Swarm replaces tasks during a restore, overriding the service's own {@code rollback_config}:
 * the same settings as {@code docker service update --rollback-*} / {@code --update-*}.
 *
 * <pre>{@code
 * Rollout.parallelism(2).withDelay(Duration.ZERO).withOrder(Rollout.Order.START_FIRST)
 *     .withMonitor(Duration.ofSeconds(2)).withMaxFailureRatio(0.0)
 * }</pre>
 *
 * @param parallelism tasks replaced at once (0: all at once)
 * @param delay pause between two batches
 * @param order stop the old task first, or start the new one first
 * @param monitor how long after each task's start a failure still counts against the rollout
 * @param maxFailureRatio the share of tasks that may fail during the rollout before it pauses
 */
public record Rollout(int parallelism, Duration delay, Order order, Duration monitor, double maxFailureRatio) {

  /** Which task goes first when one replaces another. */
  public enum Order {
    STOP_FIRST("stop-first"), START_FIRST("start-first");

    private final String json;

    Order(String json) { this.json = json; }

    String json() { return json; }
  }

  public Rollout {
    if (parallelism < 0) throw new IllegalArgumentException("parallelism must not be negative: " + parallelism);
    requireNotNegative("delay", delay);
    Objects.requireNonNull(order, "order");
    requireNotNegative("monitor", monitor);
    if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
      throw new IllegalArgumentException("maxFailureRatio must be between 0 and 1: " + maxFailureRatio);
    }
  }

  /** {@code parallelism} tasks at a time, no delay, stop-first, Swarm's 5 s monitor, no failure tolerated. */
  public static Rollout parallelism(int parallelism) {
    return new Rollout(parallelism, Duration.ZERO, Order.STOP_FIRST, Duration.ofSeconds(5), 0);
  }

  public Rollout withDelay(Duration delay) { return new Rollout(parallelism, delay, order, monitor, maxFailureRatio); }
  public Rollout withOrder(Order order) { return new Rollout(parallelism, delay, order, monitor, maxFailureRatio); }
  public Rollout withMonitor(Duration monitor) { return new Rollout(parallelism, delay, order, monitor, maxFailureRatio); }
  public Rollout withMaxFailureRatio(double ratio) { return new Rollout(parallelism, delay, order, monitor, ratio); }

  /**
   * As the Engine API's {@code UpdateConfig}. The failure action is always {@code pause}: a restore
   * whose new tasks fail stops where it is and says so; it never rolls back to the release it is undoing.
   */
  ObjectNode toJson() {
    ObjectNode n = Api.JSON.createObjectNode();
    n.put("Parallelism", parallelism);
    if (!delay.isZero()) n.put("Delay", delay.toNanos());
    n.put("FailureAction", "pause");
    n.put("Monitor", monitor.toNanos());
    n.put("MaxFailureRatio", maxFailureRatio);
    n.put("Order", order.json());
    return n;
  }

  private static void requireNotNegative(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative()) throw new IllegalArgumentException(what + " must not be negative: " + d);
  }
}
