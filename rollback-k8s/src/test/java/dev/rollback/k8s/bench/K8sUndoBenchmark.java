package dev.rollback.k8s.bench;

import dev.rollback.k8s.DeploymentRollout;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.RealCluster;
import dev.rollback.k8s.Revision;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Our Deployment undo next to {@code kubectl rollout undo} against the same real API server, in
 * the same run, on identical Deployments (2 replicas, v1 then v2, both rolled out). Per round and
 * tool: API round-trips of the undo (ours counted by a fabric8 interceptor, kubectl's from its
 * {@code -v=6} request log), wall time of the undo call (kubectl: the whole process), and time from
 * the call to the rollout being complete with the simulated node. Rounds alternate which tool goes first.
 */
public final class K8sUndoBenchmark {
  private static final Pattern KUBECTL_REQUEST = Pattern.compile("\\b(GET|POST|PUT|PATCH|DELETE) https?://\\S+ \\d{3}");

  private static boolean LOGGED;
  private static boolean KUBECTL_LOGGED;
  private static final List<String> LOG = java.util.Collections.synchronizedList(new ArrayList<>());

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    RealCluster cluster = RealCluster.get();
    AtomicInteger requests = new AtomicInteger();
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(cluster.env.get("KUBE_SERVER"))
        .withOauthToken(cluster.env.get("KUBE_TOKEN")).withTrustCerts(true).withDisableHostnameVerification(true).build();
    try (KubernetesClient counted = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
          @Override public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            requests.incrementAndGet();
            if (LOG.size() < 64) LOG.add(request.method() + " " + request.uri().getPath());
          }
        })).build()) {
      String ns = cluster.namespace("bench");
      Kubernetes k8s = Kubernetes.using(counted);
      Path cache = Files.createTempDirectory("kubectl-cache-");
      List<long[]> ours = new ArrayList<>();
      List<long[]> theirs = new ArrayList<>();
      // warm-up: one undo each (JIT and connection for us, discovery cache for kubectl), not counted
      for (int round = 0; round <= rounds; round++) {
        String a = "ours-" + round;
        String b = "kubectl-" + round;
        prepare(cluster.client, ns, a);
        prepare(cluster.client, ns, b);
        DeploymentRollout da = k8s.deployment(ns, a);
        DeploymentRollout db = k8s.deployment(ns, b);
        long[] o = null;
        long[] k = null;
        if (round % 2 == 0) {
          o = ours(da, requests);
          k = kubectl(cluster, ns, b, cache, db);
        } else {
          k = kubectl(cluster, ns, b, cache, db);
          o = ours(da, requests);
        }
        if (round == 0) {
          System.out.printf("warm-up: ours %d requests, kubectl %d requests (cold discovery cache)%n", o[0], k[0]);
          continue;
        }
        ours.add(o);
        theirs.add(k);
        System.out.printf("round %d: ours %d req %.1f ms undo, %.0f ms to complete | kubectl %d req %.1f ms undo, %.0f ms to complete%n",
            round, o[0], o[1] / 1e6, o[2] / 1e6, k[0], k[1] / 1e6, k[2] / 1e6);
      }
      System.out.println();
      System.out.println("| tool | API round-trips of the undo | undo wall time (median) | call to rollout complete (median) |");
      System.out.println("|---|---|---|---|");
      print("rollback-k8s `undo(Revision.previous())`", ours);
      print("`kubectl rollout undo` (warm discovery cache)", theirs);
      cluster.client.namespaces().withName(ns).delete();
    }
    System.exit(0);
  }

  private static void print(String tool, List<long[]> rows) {
    System.out.printf("| %s | %s | %.1f ms | %.0f ms |%n", tool, range(rows, 0), median(rows, 1) / 1e6, median(rows, 2) / 1e6);
  }

  private static String range(List<long[]> rows, int i) {
    long min = rows.stream().mapToLong(r -> r[i]).min().orElse(0);
    long max = rows.stream().mapToLong(r -> r[i]).max().orElse(0);
    return min == max ? Long.toString(min) : min + "–" + max;
  }

  private static double median(List<long[]> rows, int i) {
    List<Long> v = new ArrayList<>();
    for (long[] r : rows) v.add(r[i]);
    Collections.sort(v);
    return v.get(v.size() / 2);
  }

  private static void prepare(KubernetesClient client, String ns, String name) {
    Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("app:1").endContainer().endSpec()
        .endTemplate().endSpec().build();
    client.apps().deployments().inNamespace(ns).resource(d).create();
    DeploymentRollout r = Kubernetes.using(client).deployment(ns, name);
    require(r.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v1");
    client.apps().deployments().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"app:2\"}]}}}}");
    require(r.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v2");
  }

  private static long[] ours(DeploymentRollout d, AtomicInteger requests) {
    LOG.clear();
    int before = requests.get();
    long t0 = System.nanoTime();
    d.undo(Revision.previous());
    long t1 = System.nanoTime();
    int undoRequests = requests.get() - before;
    if (!LOGGED) {
      LOGGED = true;
      System.out.println("our undo's requests: " + List.copyOf(LOG));
    }
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), "our undo of " + d.name());
    long t2 = System.nanoTime();
    return new long[] {undoRequests, t1 - t0, t2 - t0};
  }

  private static long[] kubectl(RealCluster cluster, String ns, String name, Path cache, DeploymentRollout d) throws Exception {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder("kubectl", "--kubeconfig", cluster.env.get("KUBECONFIG"), "--cache-dir", cache.toString(),
        "-v=6", "-n", ns, "rollout", "undo", "deployment/" + name).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    require(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "kubectl rollout undo: " + out);
    long t1 = System.nanoTime();
    List<String> lines = out.lines().filter(l -> KUBECTL_REQUEST.matcher(l).find()).toList();
    long count = lines.size();
    if (count < 10 && !KUBECTL_LOGGED) {
      KUBECTL_LOGGED = true;
      lines.forEach(l -> System.out.println("kubectl: " + l.replaceAll("^.*?\\] ", "")));
    }
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), "kubectl undo of " + name);
    long t2 = System.nanoTime();
    return new long[] {count, t1 - t0, t2 - t0};
  }

  private static void require(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("benchmark step failed: " + what);
  }
}
