package dev.rollback.cli.it;

// A copy of rollback-k8s's test starter (modules do not share test code): see that module for its history.

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Stands in for kubelet (never run): one Node object; every Pending pod is bound to it with a
 * Binding; then its status is set from its images:
 * <ul>
 *   <li>an image containing {@code crash}: Running, not Ready, restartCount rising (CrashLoopBackOff);</li>
 *   <li>an image containing {@code broken}: bound but never Ready, no restarts;</li>
 *   <li>any other image: Running and Ready.</li>
 * </ul>
 */
final class NodeSimulator implements AutoCloseable {
  static final String NODE = "sim-node-1";

  private final KubernetesClient client;
  private final ScheduledExecutorService tick = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-simulator");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Instant> lastRestart = new ConcurrentHashMap<>();
  volatile int binds;

  NodeSimulator(KubernetesClient client) {
    this.client = client;
  }

  void start() {
    Node node = new NodeBuilder().withNewMetadata().withName(NODE)
        .withLabels(Map.of("kubernetes.io/hostname", NODE, "kubernetes.io/os", "linux")).endMetadata()
        .withNewSpec().endSpec().build();
    if (client.nodes().withName(NODE).get() == null) client.nodes().resource(node).create();
    Node created = client.nodes().withName(NODE).get();
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    created.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
        .withCapacity(Map.of("cpu", new Quantity("8"), "memory", new Quantity("16Gi"), "pods", new Quantity("200")))
        .withAllocatable(Map.of("cpu", new Quantity("8"), "memory", new Quantity("16Gi"), "pods", new Quantity("200")))
        .withConditions(new NodeConditionBuilder().withType("Ready").withStatus("True").withReason("KubeletReady")
            .withMessage("simulated").withLastHeartbeatTime(now).withLastTransitionTime(now).build())
        .build());
    client.nodes().resource(created).updateStatus();
    tick.scheduleWithFixedDelay(this::safeTick, 0, 100, TimeUnit.MILLISECONDS);
  }

  private void safeTick() {
    try {
      tickOnce();
    } catch (RuntimeException e) {
      // conflicts and races with the controllers: the next tick tries again
    }
  }

  private void tickOnce() {
    for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
      String ns = p.getMetadata().getNamespace();
      String name = p.getMetadata().getName();
      if (p.getMetadata().getDeletionTimestamp() != null) {
        // kubelet would stop the containers and confirm: finish the graceful deletion
        try {
          client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
          // gone already
        }
        continue;
      }
      if (p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty()) {
        try {
          client.bindings().inNamespace(ns).resource(new BindingBuilder().withNewMetadata().withName(name).endMetadata()
              .withNewTarget().withApiVersion("v1").withKind("Node").withName(NODE).endTarget().build()).create();
          binds++;
        } catch (KubernetesClientException e) {
          // already bound or gone
        }
        continue;
      }
      Behaviour b = behaviour(p);
      Pod desired = withStatus(p, b);
      if (desired != null) {
        try {
          client.pods().inNamespace(ns).resource(desired).updateStatus();
        } catch (KubernetesClientException e) {
          // a conflict: next tick
        }
      }
    }
  }

  enum Behaviour { READY, CRASH, BROKEN }

  static Behaviour behaviour(Pod p) {
    for (Container c : p.getSpec().getContainers()) {
      String image = Objects.toString(c.getImage(), "");
      if (image.contains("crash")) return Behaviour.CRASH;
      if (image.contains("broken")) return Behaviour.BROKEN;
    }
    return Behaviour.READY;
  }

  /** The pod with the status it should have now, or null when it already has it. */
  private Pod withStatus(Pod p, Behaviour b) {
    String key = p.getMetadata().getUid();
    boolean ready = b == Behaviour.READY;
    boolean alreadyReady = PodIsReady.of(p);
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    if (b == Behaviour.READY && alreadyReady && "Running".equals(phase)) return null;
    if (b == Behaviour.BROKEN && "Running".equals(phase) && !alreadyReady) return null;
    int restarts = 0;
    if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null && !p.getStatus().getContainerStatuses().isEmpty()) {
      Integer r = p.getStatus().getContainerStatuses().get(0).getRestartCount();
      restarts = r == null ? 0 : r;
    }
    if (b == Behaviour.CRASH) {
      Instant last = lastRestart.get(key);
      if (last != null && last.isAfter(Instant.now().minusMillis(500)) && "Running".equals(phase)) return null;
      lastRestart.put(key, Instant.now());
      restarts++;
    }
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    List<ContainerStatus> statuses = new ArrayList<>();
    for (Container c : p.getSpec().getContainers()) {
      ContainerStatusBuilder cs = new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage())
          .withImageID("sim://" + c.getImage()).withReady(ready).withStarted(ready).withRestartCount(restarts);
      if (b == Behaviour.CRASH) {
        cs.withState(new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff")
            .withMessage("back-off restarting failed container (simulated)").endWaiting().build());
      } else if (b == Behaviour.BROKEN) {
        cs.withState(new ContainerStateBuilder().withNewWaiting().withReason("ContainerCreating").endWaiting().build());
      } else {
        cs.withState(new ContainerStateBuilder().withNewRunning().withStartedAt(now).endRunning().build());
      }
      statuses.add(cs.build());
    }
    String rs = ready ? "True" : "False";
    List<PodCondition> conditions = List.of(
        cond("Initialized", "True", now), cond("Ready", rs, now), cond("ContainersReady", rs, now), cond("PodScheduled", "True", now));
    p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").withHostIP("127.0.0.1")
        .withStartTime(now).withConditions(conditions).withContainerStatuses(statuses).build());
    return p;
  }

  private static PodCondition cond(String type, String status, String now) {
    return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime(now).build();
  }

  static final class PodIsReady {
    static boolean of(Pod p) {
      return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
          .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
  }

  @Override
  public void close() {
    tick.shutdownNow();
  }
}
