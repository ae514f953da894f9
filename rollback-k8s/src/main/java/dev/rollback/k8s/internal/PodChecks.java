package dev.rollback.k8s.internal;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Pod-level health checks of a workload: ready ratio and container restarts (crash loops). */
public final class PodChecks {
  private PodChecks() {}

  /** The workload's selector and desired replica count, read fresh on every check. */
  public record Shape(LabelSelector selector, int desired) {}

  public static List<Pod> pods(KubernetesClient client, String namespace, LabelSelector selector, String what) {
    return Api.call(client, "LIST v1 namespaces/" + namespace + "/pods (selector of " + what + ")",
        () -> client.pods().inNamespace(namespace).withLabelSelector(selector).list().getItems());
  }

  public static boolean isReady(Pod p) {
    if (p.getMetadata().getDeletionTimestamp() != null) return false;
    if (p.getStatus() == null || p.getStatus().getConditions() == null) return false;
    return p.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  public static HealthCheck readyRatio(String name, KubernetesClient client, String namespace, String what,
      Supplier<Shape> shape, double minRatio) {
    return new HealthCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        Instant start = Instant.now();
        try {
          Shape s = shape.get();
          List<Pod> pods = pods(client, namespace, s.selector(), what);
          long ready = pods.stream().filter(PodChecks::isReady).count();
          double ratio = s.desired() == 0 ? 1.0 : (double) ready / s.desired();
          String detail = ready + " of " + s.desired() + " desired pods of " + what + " are ready (need "
              + Math.round(minRatio * 100) + "%)";
          return Health.of(name, ratio >= minRatio ? HealthStatus.UP : HealthStatus.DOWN, since(start), detail);
        } catch (RuntimeException e) {
          return Health.of(name, HealthStatus.UNKNOWN, since(start), e.getMessage());
        }
      }
      @Override public String toString() { return "HealthCheck[" + name + "]"; }
    };
  }

  public static HealthCheck restarts(String name, KubernetesClient client, String namespace, String what,
      Supplier<Shape> shape, int maxRestarts) {
    return new HealthCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        Instant start = Instant.now();
        try {
          List<Pod> pods = pods(client, namespace, shape.get().selector(), what);
          List<String> bad = new ArrayList<>();
          for (Pod p : pods) {
            if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) continue;
            for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
              boolean crashLoop = cs.getState() != null && cs.getState().getWaiting() != null
                  && "CrashLoopBackOff".equals(cs.getState().getWaiting().getReason());
              int restarts = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
              if (restarts > maxRestarts || (crashLoop && restarts > 0 && maxRestarts == 0)) {
                bad.add("pod " + p.getMetadata().getName() + " container " + cs.getName() + " restarted " + restarts
                    + " times" + (crashLoop ? " (CrashLoopBackOff)" : ""));
              }
            }
          }
          if (bad.isEmpty()) {
            return Health.of(name, HealthStatus.UP, since(start),
                "no container of " + pods.size() + " pods of " + what + " restarted more than " + maxRestarts + " times");
          }
          return Health.of(name, HealthStatus.DOWN, since(start), "crash loop in " + what + ": " + String.join("; ", bad));
        } catch (RuntimeException e) {
          return Health.of(name, HealthStatus.UNKNOWN, since(start), e.getMessage());
        }
      }
      @Override public String toString() { return "HealthCheck[" + name + "]"; }
    };
  }

  private static Duration since(Instant start) {
    return Duration.between(start, Instant.now());
  }
}
