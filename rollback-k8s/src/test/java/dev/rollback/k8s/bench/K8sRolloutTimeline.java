package dev.rollback.k8s.bench;

import dev.rollback.k8s.DeploymentRollout;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.RealCluster;
import dev.rollback.k8s.Revision;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the time of one undo goes: the events of the Deployment, its ReplicaSets and its pods
 * (from watches opened before the undo), in milliseconds after the undo call, for ours
 * ({@code undo} + {@code awaitRollout}) and for {@code kubectl rollout undo} + {@code kubectl rollout
 * status}, one after the other, rotating who goes first. A diagnosis, not a benchmark:
 * {@code scripts/bench/k8s.sh} keeps the figures.
 * Usage: {@code scripts/bench/k8s.sh --timeline [ROUNDS] [-v]}: per tool and round, the three
 * longest waits between two events after the undo call returned; with {@code -v} every event.
 */
public final class K8sRolloutTimeline {
  private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());
  private static final List<Long> AT = Collections.synchronizedList(new ArrayList<>());
  private static boolean verbose;
  private static volatile long t0;
  private static final Map<String, List<Long>> TOTALS = new java.util.TreeMap<>();

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    verbose = args.length > 1 && args[1].equals("-v");
    RealCluster cluster = RealCluster.get();
    KubernetesClient client = cluster.client;
    String ns = cluster.namespace("timeline");
    Path cache = Files.createTempDirectory("kubectl-cache-");
    List<Watch> watches = List.of(
        client.pods().inNamespace(ns).watch(new Log<>()),
        client.apps().replicaSets().inNamespace(ns).watch(new Log<>()),
        client.apps().deployments().inNamespace(ns).watch(new Log<>()));
    for (int round = 0; round <= rounds; round++) {
      for (int i = 0; i < 2; i++) {
        boolean ours = (round + i) % 2 == 0;
        String name = (ours ? "ours-" : "kubectl-") + round;
        prepare(client, ns, name);
        synchronized (EVENTS) {
          EVENTS.clear();
          AT.clear();
          t0 = System.nanoTime();
        }
        long returned;
        if (ours) {
          DeploymentRollout d = Kubernetes.using(client).deployment(ns, name);
          d.undo(Revision.previous());
          returned = System.nanoTime();
          d.awaitRollout(Duration.ofSeconds(120));
        } else {
          run(cluster, cache, "-n", ns, "rollout", "undo", "deployment/" + name);
          returned = System.nanoTime();
          run(cluster, cache, "-n", ns, "rollout", "status", "deployment/" + name, "--timeout=120s");
        }
        long done = System.nanoTime();
        System.out.printf("round %d %s: undo returned %d ms, complete %d ms%n", round, name,
            (returned - t0) / 1_000_000, (done - t0) / 1_000_000);
        TOTALS.computeIfAbsent(ours ? "ours" : "kubectl", x -> new ArrayList<>()).add((done - t0) / 1_000_000);
        synchronized (EVENTS) {
          // the longest waits between two events of this Deployment's objects: where the time went
          List<Integer> mine = new ArrayList<>();
          for (int j = 0; j < EVENTS.size(); j++) if (EVENTS.get(j).contains(name)) mine.add(j);
          List<String> gaps = new ArrayList<>();
          long prev = (returned - t0) / 1_000_000;
          String prevWhat = "undo returned";
          List<long[]> g = new ArrayList<>();
          for (int j : mine) {
            long at = AT.get(j);
            if (at >= prev) g.add(new long[] {at - prev, j, prev});
            if (at >= prev) { prev = at; }
          }
          g.sort((x, y) -> Long.compare(y[0], x[0]));
          for (int j = 0; j < Math.min(3, g.size()); j++) {
            gaps.add(g.get(j)[0] + " ms before: " + EVENTS.get((int) g.get(j)[1]).substring(9));
          }
          System.out.println("   longest waits: " + gaps);
          if (verbose) for (int j : mine) System.out.println("   " + EVENTS.get(j));
        }
      }
    }
    TOTALS.forEach((k, v) -> System.out.println(k + ", undo call to complete (ms): " + v));
    watches.forEach(Watch::close);
    client.namespaces().withName(ns).delete();
    System.exit(0);
  }

  private static final class Log<T extends HasMetadata> implements Watcher<T> {
    @Override public void eventReceived(Action action, T o) {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      synchronized (EVENTS) {
        AT.add(ms);
        EVENTS.add(String.format("%5d ms %s %s %s", ms, action, o.getKind() + "/" + o.getMetadata().getName(), describe(o)));
      }
    }

    @Override public void onClose(WatcherException e) {}
  }

  private static String describe(HasMetadata o) {
    String del = o.getMetadata().getDeletionTimestamp() != null ? " deleting" : "";
    if (o instanceof Pod p) {
      boolean ready = p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
          .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      return "image " + p.getSpec().getContainers().get(0).getImage() + " node " + p.getSpec().getNodeName() + " ready " + ready + del;
    }
    if (o instanceof ReplicaSet r) {
      var s = r.getStatus();
      return "image " + r.getSpec().getTemplate().getSpec().getContainers().get(0).getImage() + " spec " + r.getSpec().getReplicas()
          + " status replicas " + s.getReplicas() + " ready " + s.getReadyReplicas() + " available " + s.getAvailableReplicas()
          + " observedGen " + s.getObservedGeneration() + "/" + r.getMetadata().getGeneration() + del;
    }
    if (o instanceof Deployment d) {
      var s = d.getStatus();
      return "gen " + d.getMetadata().getGeneration() + " observed " + s.getObservedGeneration() + " replicas " + s.getReplicas()
          + " updated " + s.getUpdatedReplicas() + " available " + s.getAvailableReplicas() + del;
    }
    return del;
  }

  private static void prepare(KubernetesClient client, String ns, String name) {
    client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("app:1").endContainer().endSpec()
        .endTemplate().endSpec().build()).create();
    DeploymentRollout r = Kubernetes.using(client).deployment(ns, name);
    r.awaitRollout(Duration.ofSeconds(120));
    client.apps().deployments().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:2\"}]}}}}");
    r.awaitRollout(Duration.ofSeconds(120));
  }

  private static void run(RealCluster cluster, Path cache, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", cluster.env.get("KUBECONFIG"), "--cache-dir", cache.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(150, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", args) + ": " + out);
  }
}
