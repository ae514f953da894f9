package dev.rollback.k8s;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for kubelet (never run): one Node object; every Pending pod is bound to it with a
 * Binding; then its status is set from its images:
 * <ul>
 *   <li>an image containing {@code crash}: Running, not Ready, restartCount rising (CrashLoopBackOff);</li>
 *   <li>an image containing {@code broken}: bound but never Ready, no restarts;</li>
 *   <li>any other image: Running and Ready.</li>
 * </ul>
 * A pod marked for deletion is deleted at once (kubelet would stop its containers and confirm).
 *
 * <p>Like kubelet, it reacts to a watch on the pods: an informer (a LIST, then a WATCH from its
 * resourceVersion; fabric8 reconnects a closed watch and lists again when the watch is too old)
 * hands every added or changed pod to a worker, which acts on the latest state the informer holds,
 * so each step of a rollout (bind, Ready, end of a deletion) follows the change that allows it by
 * one request. Like kubelet's pod workers, one pod's changes are handled one at a time and in
 * order, different pods side by side ({@value #WORKERS} workers, a pod always on the same one): a
 * slow deletion does not hold up the binding of its replacement. A resync every
 * {@value #RESYNC_MILLIS} ms hands every cached pod to its worker, without a request when nothing
 * is due: it drives what depends on time (a crashing pod restarts at most every
 * {@value #RESTART_MILLIS} ms) and retries a write lost to a conflict with a controller.
 */
final class NodeSimulator implements AutoCloseable {
  static final String NODE = "sim-node-1";
  static final long RESYNC_MILLIS = 100;
  static final long RESTART_MILLIS = 500;
  static final int WORKERS = 4;

  private final KubernetesClient client;
  /** The pod workers: a pod is always handled by the same one, so its writes stay in order. */
  private final ExecutorService[] workers = new ExecutorService[WORKERS];
  private final ScheduledExecutorService resync = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-simulator-resync");
    t.setDaemon(true);
    return t;
  });
  /** Informer keys (namespace/name) of pods changed since their worker last handled them. */
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Map<String, Instant> lastRestart = new ConcurrentHashMap<>();
  private volatile SharedIndexInformer<Pod> pods;
  private volatile boolean closed;
  final AtomicInteger binds = new AtomicInteger();

  NodeSimulator(KubernetesClient client) {
    this.client = client;
    for (int i = 0; i < WORKERS; i++) {
      String name = "node-simulator-" + i;
      workers[i] = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      });
    }
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
    SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace().runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<Pod>() {
      @Override public void onAdd(Pod pod) {
        changed(pod);
      }

      @Override public void onUpdate(Pod before, Pod pod) {
        changed(pod);
      }

      @Override public void onDelete(Pod pod, boolean finalStateUnknown) {
        lastRestart.remove(pod.getMetadata().getUid());
      }
    });
    // a watch that closes with an error is opened again (after a relist when it is too old), as kubelet's does
    informer.exceptionHandler((started, error) -> !closed);
    pods = informer;
    try {
      informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the node simulator listed the pods", e);
    } catch (ExecutionException | TimeoutException e) {
      informer.stop();
      throw new IllegalStateException("the node simulator could not list and watch the pods of " + client.getMasterUrl()
          + " within 60 s: " + e, e);
    }
    resync.scheduleWithFixedDelay(this::resync, RESYNC_MILLIS, RESYNC_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** A watched pod changed: its worker handles it next, from the latest state the informer holds. */
  private void changed(Pod pod) {
    String key = pods.getStore().getKey(pod);
    if (pending.add(key)) {
      try {
        workers[Math.floorMod(key.hashCode(), WORKERS)].execute(() -> {
          pending.remove(key);
          Pod latest = pods.getStore().getByKey(key);
          if (latest != null) safely(latest);
        });
      } catch (RejectedExecutionException e) {
        // closed
      }
    }
  }

  private void resync() {
    SharedIndexInformer<Pod> informer = pods;
    if (informer == null) return;
    for (Pod p : informer.getStore().list()) changed(p);
  }

  private void safely(Pod p) {
    try {
      handle(p);
    } catch (RuntimeException e) {
      // conflicts and races with the controllers: the next event or resync tries again
    }
  }

  private void handle(Pod p) {
    String ns = p.getMetadata().getNamespace();
    String name = p.getMetadata().getName();
    if (p.getMetadata().getDeletionTimestamp() != null) {
      // kubelet would stop the containers and confirm: finish the graceful deletion
      try {
        client.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
      } catch (KubernetesClientException e) {
        // gone already
      }
      return;
    }
    if (p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty()) {
      try {
        client.bindings().inNamespace(ns).resource(new BindingBuilder().withNewMetadata().withName(name).endMetadata()
            .withNewTarget().withApiVersion("v1").withKind("Node").withName(NODE).endTarget().build()).create();
        binds.incrementAndGet();
      } catch (KubernetesClientException e) {
        // already bound or gone
      }
      return;
    }
    Behaviour b = behaviour(p);
    Pod desired = withStatus(p, b);
    if (desired != null) {
      try {
        client.pods().inNamespace(ns).resource(desired).updateStatus();
      } catch (KubernetesClientException e) {
        // a conflict: the next event or resync
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

  /**
   * A copy of the pod with the status it should have now, or null when it already has it (the
   * informer's cache keeps what the server holds until the watch says otherwise: never changed here).
   */
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
      if (last != null && last.isAfter(Instant.now().minusMillis(RESTART_MILLIS)) && "Running".equals(phase)) return null;
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
    Pod desired = new PodBuilder(p).build();
    desired.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").withHostIP("127.0.0.1")
        .withStartTime(now).withConditions(conditions).withContainerStatuses(statuses).build());
    return desired;
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
    closed = true;
    resync.shutdownNow();
    for (ExecutorService w : workers) w.shutdownNow();
    SharedIndexInformer<Pod> informer = pods;
    if (informer != null) informer.stop();
  }
}
