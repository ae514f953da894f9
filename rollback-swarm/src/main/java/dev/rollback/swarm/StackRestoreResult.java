package dev.rollback.swarm;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a stack restore did to each service, in the order they were restored.
 *
 * @param namespace the stack
 * @param services one line per service: restored, unchanged, failed (with why), not started
 *     (it comes after one that failed), or added since the capture (left as it is)
 */
public record StackRestoreResult(String namespace, List<ServiceOutcome> services) {

  public StackRestoreResult {
    services = List.copyOf(services);
  }

  /** What happened to one service of the stack. */
  public enum Status { RESTORED, UNCHANGED, FAILED, NOT_STARTED, ADDED_SINCE_CAPTURE }

  /**
   * @param service the service's full name
   * @param status what happened
   * @param detail the restore's sentence and the tasks' convergence, or the failure
   */
  public record ServiceOutcome(String service, Status status, String detail) {
    @Override
    public String toString() {
      return service + ": " + status.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " - " + detail;
    }
  }

  public boolean isSuccess() {
    return services.stream().noneMatch(s -> s.status() == Status.FAILED || s.status() == Status.NOT_STARTED);
  }

  /** One line per service. */
  public String summary() {
    return "stack " + namespace + ":\n" + services.stream().map(s -> "  " + s).collect(Collectors.joining("\n"));
  }
}
