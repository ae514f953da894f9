package dev.rollback.k8s.bench;

import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.test.FakeStepContext;
import dev.rollback.k8s.DeploymentRollout;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.RealCluster;
import dev.rollback.k8s.Revision;
import dev.rollback.k8s.RolloutStatus;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
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
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * Our Deployment undo next to {@code kubectl rollout undo} against the same real API server, in
 * the same run, on identical Deployments (2 replicas, v1 then v2, both rolled out); rounds
 * rotate which goes first. Per round:
 * <ul>
 *   <li>API round-trips of the undo (ours counted by a fabric8 interceptor, kubectl's from its
 *       {@code -v=6} request log) and wall time of the undo call (kubectl: the whole process);
 *   <li>time from the undo call until the rollout is complete: ours waiting by polling
 *       {@code rolloutStatus()} every 100 ms (as the steps' wait does), ours with {@code awaitRollout} (a
 *       GET, then a watch), and {@code kubectl rollout undo} followed by {@code kubectl rollout status}
 *       (which also watches); the per-round ratios ours / kubectl are printed with their median;
 *   <li>the undo to a captured revision on a Deployment referencing two ConfigMaps: with both
 *       ConfigMaps changed by the release (restored), with them unchanged, and without config
 *       capture ({@code withoutConfig()}), as round-trips and time to a complete rollout;
 *   <li>the same three as a derived step, {@code undoToKnownGood()} run as the engine runs a first
 *       attempt (its undo snapshot read, then its action, in one context, the rollout timeout
 *       {@code Duration.ZERO} so the action does not wait): round-trips of the restore (the action
 *       up to the workload's PATCH; the step's own read and its read-back are printed apart).
 * </ul>
 * Prints the load average before and after.
 */
public final class K8sUndoBenchmark {
  private static final Pattern KUBECTL_REQUEST = Pattern.compile("\\b(GET|POST|PUT|PATCH|DELETE) https?://\\S+ \\d{3}");
  private static final int CONFIG_MAPS = 2;

  private static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());
  private static boolean logged;
  private static boolean configLogged;
  private static boolean stepLogged;
  private static boolean kubectlLogged;

  private record Row(long requests, long undoNanos, long completeNanos) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    System.out.println("load average before: " + Files.readString(Path.of("/proc/loadavg")).trim());
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
      List<Row> polled = new ArrayList<>();
      List<Row> watched = new ArrayList<>();
      List<Row> kubectl = new ArrayList<>();
      List<Row> configChanged = new ArrayList<>();
      List<Row> configUnchanged = new ArrayList<>();
      List<Row> templateOnly = new ArrayList<>();
      List<Row> stepChanged = new ArrayList<>();
      List<Row> stepUnchanged = new ArrayList<>();
      List<Row> stepTemplateOnly = new ArrayList<>();
      // round 0 warms up (JIT and connection for us, discovery cache for kubectl) and is not counted
      for (int round = 0; round <= rounds; round++) {
        String p = "poll-" + round;
        String w = "watch-" + round;
        String k = "kubectl-" + round;
        prepare(cluster.client, ns, p);
        prepare(cluster.client, ns, w);
        prepare(cluster.client, ns, k);
        Row[] r = new Row[3];
        for (int i = 0; i < 3; i++) {
          switch ((round + i) % 3) {
            case 0 -> r[0] = ours(k8s.deployment(ns, p), requests, false);
            case 1 -> r[1] = ours(k8s.deployment(ns, w), requests, true);
            default -> r[2] = kubectl(cluster, ns, k, cache);
          }
        }
        Row changed = configUndo(cluster.client, k8s, ns, "cfg-" + round, true, false, requests);
        Row unchanged = configUndo(cluster.client, k8s, ns, "same-" + round, false, false, requests);
        Row plain = configUndo(cluster.client, k8s, ns, "plain-" + round, true, true, requests);
        Row sChanged = stepUndo(cluster.client, k8s, ns, "scfg-" + round, true, false, requests);
        Row sUnchanged = stepUndo(cluster.client, k8s, ns, "ssame-" + round, false, false, requests);
        Row sPlain = stepUndo(cluster.client, k8s, ns, "splain-" + round, true, true, requests);
        if (round == 0) {
          System.out.printf("warm-up: ours %d requests, kubectl %d requests (cold discovery cache)%n", r[0].requests(), r[2].requests());
          continue;
        }
        polled.add(r[0]);
        watched.add(r[1]);
        kubectl.add(r[2]);
        configChanged.add(changed);
        configUnchanged.add(unchanged);
        templateOnly.add(plain);
        stepChanged.add(sChanged);
        stepUnchanged.add(sUnchanged);
        stepTemplateOnly.add(sPlain);
        System.out.printf("round %d: ours %d req %.1f ms undo, complete after %.0f ms (polling) / %.0f ms (awaitRollout, watch)"
                + " | kubectl %d req %.1f ms undo, complete after %.0f ms (rollout status)"
                + " | captured undo: config changed %d req %.0f ms, unchanged %d req, template only %d req %.0f ms%n",
            round, r[0].requests(), ms(r[0].undoNanos()), ms(r[0].completeNanos()), ms(r[1].completeNanos()),
            r[2].requests(), ms(r[2].undoNanos()), ms(r[2].completeNanos()),
            changed.requests(), ms(changed.completeNanos()), unchanged.requests(), plain.requests(), ms(plain.completeNanos()));
        System.out.printf("round %d: undoToKnownGood() step, restore: config changed %d req, unchanged %d req, template only %d req%n",
            round, sChanged.requests(), sUnchanged.requests(), sPlain.requests());
      }
      System.out.println();
      System.out.println("| undo | API round-trips | undo wall time (median) | call to rollout complete (median) |");
      System.out.println("|---|---|---|---|");
      print("rollback-k8s `undo(Revision.previous())` + `awaitRollout` (a GET, then a watch)", watched);
      print("rollback-k8s `undo(Revision.previous())` + `rolloutStatus()` every 100 ms (as the steps poll)", polled);
      print("`kubectl rollout undo` + `kubectl rollout status` (warm discovery cache)", kubectl);
      print("rollback-k8s `undo(captured)`, " + CONFIG_MAPS + " ConfigMaps changed by the release (restored)", configChanged);
      print("rollback-k8s `undo(captured)`, " + CONFIG_MAPS + " ConfigMaps unchanged", configUnchanged);
      print("rollback-k8s `undo(captured)` with `withoutConfig()`", templateOnly);
      print("`undoToKnownGood()` step, restore after its own read, " + CONFIG_MAPS + " ConfigMaps changed", stepChanged);
      print("`undoToKnownGood()` step, restore after its own read, " + CONFIG_MAPS + " ConfigMaps unchanged", stepUnchanged);
      print("`undoToKnownGood()` step, restore after its own read, `withoutConfig()`", stepTemplateOnly);
      System.out.printf("%nratio of medians, call to complete: ours (awaitRollout, watch) / kubectl = %.2f,"
          + " ours (polling) / kubectl = %.2f%n", median(watched, 2) / median(kubectl, 2), median(polled, 2) / median(kubectl, 2));
      ratios("ours (awaitRollout, watch)", watched, kubectl);
      ratios("ours (polling)", polled, kubectl);
      spread("ours (awaitRollout, watch)", watched);
      spread("ours (polling)", polled);
      spread("kubectl", kubectl);
      cluster.client.namespaces().withName(ns).delete();
    }
    System.out.println("load average after: " + Files.readString(Path.of("/proc/loadavg")).trim());
    System.exit(0);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static void print(String what, List<Row> rows) {
    System.out.printf("| %s | %s | %.1f ms | %.0f ms |%n", what, range(rows), median(rows, 1) / 1e6, median(rows, 2) / 1e6);
  }

  /** Per round, ours / kubectl call-to-complete: the median of the ratios, their range, and how many rounds ours was not slower. */
  private static void ratios(String what, List<Row> ours, List<Row> kubectl) {
    List<Double> r = new ArrayList<>();
    int notSlower = 0;
    for (int i = 0; i < ours.size(); i++) {
      r.add((double) ours.get(i).completeNanos() / kubectl.get(i).completeNanos());
      if (ours.get(i).completeNanos() <= kubectl.get(i).completeNanos()) notSlower++;
    }
    List<Double> sorted = new ArrayList<>(r);
    Collections.sort(sorted);
    double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
    System.out.printf("per round, %s / kubectl: median %.2f, range %.2f–%.2f, ours <= kubectl in %d of %d rounds; ratios %s%n",
        what, median, sorted.get(0), sorted.get(sorted.size() - 1), notSlower, r.size(),
        r.stream().map(x -> String.format("%.2f", x)).toList());
  }

  /** The spread of one tool's call-to-complete times over the rounds. */
  private static void spread(String what, List<Row> rows) {
    List<Long> v = new ArrayList<>();
    for (Row r : rows) v.add(r.completeNanos() / 1_000_000);
    Collections.sort(v);
    System.out.printf("%s, call to complete: min %d ms, quartiles %d / %d / %d ms, max %d ms%n", what, v.get(0),
        v.get(v.size() / 4), v.get(v.size() / 2), v.get(3 * v.size() / 4), v.get(v.size() - 1));
  }

  private static String range(List<Row> rows) {
    long min = rows.stream().mapToLong(Row::requests).min().orElse(0);
    long max = rows.stream().mapToLong(Row::requests).max().orElse(0);
    return min == max ? Long.toString(min) : min + "–" + max;
  }

  private static double median(List<Row> rows, int field) {
    List<Long> v = new ArrayList<>();
    for (Row r : rows) v.add(field == 0 ? r.requests() : field == 1 ? r.undoNanos() : r.completeNanos());
    Collections.sort(v);
    return v.get(v.size() / 2);
  }

  private static Deployment deployment(String name, boolean withConfig) {
    var container = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("app").withImage("app:1");
    var spec = new io.fabric8.kubernetes.api.model.PodSpecBuilder();
    if (withConfig) {
      container.addNewEnvFrom().withNewConfigMapRef().withName(name + "-env").endConfigMapRef().endEnvFrom()
          .addNewVolumeMount().withName("files").withMountPath("/etc/app").endVolumeMount();
      spec.addNewVolume().withName("files").withNewConfigMap().withName(name + "-files").endConfigMap().endVolume();
    }
    return new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withSpec(spec.addToContainers(container.build()).build())
        .endTemplate().endSpec().build();
  }

  private static void prepare(KubernetesClient client, String ns, String name) {
    client.apps().deployments().inNamespace(ns).resource(deployment(name, false)).create();
    DeploymentRollout r = Kubernetes.using(client).deployment(ns, name);
    require(r.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v1");
    setImage(client, ns, name, "app:2");
    require(r.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v2");
  }

  private static void setImage(KubernetesClient client, String ns, String name, String image) {
    client.apps().deployments().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"" + image + "\"}]}}}}");
  }

  private static Row ours(DeploymentRollout d, AtomicInteger requests, boolean watch) {
    LOG.clear();
    int before = requests.get();
    long t0 = System.nanoTime();
    d.undo(Revision.previous());
    long t1 = System.nanoTime();
    int undoRequests = requests.get() - before;
    if (!logged) {
      logged = true;
      System.out.println("our undo's requests: " + List.copyOf(LOG));
    }
    awaitComplete(d, watch);
    return new Row(undoRequests, t1 - t0, System.nanoTime() - t0);
  }

  /** {@code awaitRollout} (a GET, then a watch), or {@code rolloutStatus()} every 100 ms as the steps' wait polls. */
  private static void awaitComplete(DeploymentRollout d, boolean watch) {
    if (watch) {
      require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), "rollout of " + d.name());
      return;
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!d.rolloutStatus().isComplete()) {
      require(System.nanoTime() < end, "rollout of " + d.name());
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /**
   * A Deployment referencing {@link #CONFIG_MAPS} ConfigMaps (envFrom and a volume), its revision
   * captured, then a release of app:2 that also changes both ConfigMaps' content when
   * {@code changeConfig}; then the undo to the captured revision, counted and timed to a complete rollout.
   */
  private static Row configUndo(KubernetesClient client, Kubernetes k8s, String ns, String name, boolean changeConfig,
      boolean templateOnly, AtomicInteger requests) {
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name + "-env").endMetadata()
        .withData(Map.of("MODE", "v1")).build()).create();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name + "-files").endMetadata()
        .withData(Map.of("app.conf", "limit=10")).build()).create();
    client.apps().deployments().inNamespace(ns).resource(deployment(name, true)).create();
    DeploymentRollout d = k8s.deployment(ns, name);
    if (templateOnly) d = d.withoutConfig();
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v1");
    Snapshot known = d.captureRevision();
    if (changeConfig) {
      client.configMaps().inNamespace(ns).withName(name + "-env").edit(c -> new ConfigMapBuilder(c).addToData("MODE", "v2").build());
      client.configMaps().inNamespace(ns).withName(name + "-files").edit(c -> new ConfigMapBuilder(c).addToData("app.conf", "limit=20").build());
    }
    setImage(client, ns, name, "app:2");
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v2");

    LOG.clear();
    int before = requests.get();
    long t0 = System.nanoTime();
    d.undo(Revision.captured(known));
    long t1 = System.nanoTime();
    int undoRequests = requests.get() - before;
    if (changeConfig && !templateOnly && !configLogged) {
      configLogged = true;
      System.out.println("our undo with config restore, requests: " + List.copyOf(LOG));
    }
    RolloutStatus s = d.awaitRollout(Duration.ofSeconds(120));
    require(s.isComplete(), "rollout of " + name + ": " + s);
    long t2 = System.nanoTime();
    if (!templateOnly) {
      require(client.configMaps().inNamespace(ns).withName(name + "-env").get().getData().get("MODE").equals("v1"), name + " config restored");
    }
    return new Row(undoRequests, t1 - t0, t2 - t0);
  }

  /**
   * As {@link #configUndo}, but the undo is the {@code undoToKnownGood()} step run as the engine
   * runs a first attempt: its undo snapshot read, then its action, in one context. Counts the
   * restore (the action up to the workload's PATCH), not the step's read nor its read-back.
   */
  private static Row stepUndo(KubernetesClient client, Kubernetes k8s, String ns, String name, boolean changeConfig,
      boolean templateOnly, AtomicInteger requests) throws Exception {
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name + "-env").endMetadata()
        .withData(Map.of("MODE", "v1")).build()).create();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name + "-files").endMetadata()
        .withData(Map.of("app.conf", "limit=10")).build()).create();
    client.apps().deployments().inNamespace(ns).resource(deployment(name, true)).create();
    DeploymentRollout d = k8s.deployment(ns, name).withRolloutTimeout(Duration.ZERO);
    if (templateOnly) d = d.withoutConfig();
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v1");
    Snapshot known = d.captureRevision();
    if (changeConfig) {
      client.configMaps().inNamespace(ns).withName(name + "-env").edit(c -> new ConfigMapBuilder(c).addToData("MODE", "v2").build());
      client.configMaps().inNamespace(ns).withName(name + "-files").edit(c -> new ConfigMapBuilder(c).addToData("app.conf", "limit=20").build());
    }
    setImage(client, ns, name, "app:2");
    require(d.awaitRollout(Duration.ofSeconds(120)).isComplete(), name + " v2");

    Step step = d.undoToKnownGood();
    FakeStepContext ctx = FakeStepContext.builder().withKnownGood(known).build();
    LOG.clear();
    int before = requests.get();
    long t0 = System.nanoTime();
    step.undoCapture().orElseThrow().capture(ctx);
    int read = requests.get() - before;
    int logFrom = LOG.size();
    step.action().run(ctx);
    long t1 = System.nanoTime();
    List<String> action = List.copyOf(LOG.subList(logFrom, LOG.size()));
    int restore = 0;
    while (restore < action.size() && !action.get(restore).startsWith("PATCH /apis/apps/v1/namespaces/" + ns + "/deployments/")) restore++;
    restore = Math.min(restore + 1, action.size());
    if (changeConfig && !templateOnly && !stepLogged) {
      stepLogged = true;
      System.out.println("undoToKnownGood() step with config restore: its read " + read + " requests, then the action: " + action
          + " (the restore is the first " + restore + ", the rest the read-back)");
    }
    RolloutStatus s = d.awaitRollout(Duration.ofSeconds(120));
    require(s.isComplete(), "rollout of " + name + ": " + s);
    long t2 = System.nanoTime();
    if (!templateOnly) {
      require(client.configMaps().inNamespace(ns).withName(name + "-env").get().getData().get("MODE").equals("v1"), name + " config restored");
    }
    return new Row(restore, t1 - t0, t2 - t0);
  }

  private static Row kubectl(RealCluster cluster, String ns, String name, Path cache) throws Exception {
    long t0 = System.nanoTime();
    String out = run(cluster, cache, "-v=6", "-n", ns, "rollout", "undo", "deployment/" + name);
    long t1 = System.nanoTime();
    List<String> lines = out.lines().filter(l -> KUBECTL_REQUEST.matcher(l).find()).toList();
    if (lines.size() < 10 && !kubectlLogged) {
      kubectlLogged = true;
      lines.forEach(l -> System.out.println("kubectl: " + l.replaceAll("^.*?\\] ", "")));
    }
    run(cluster, cache, "-n", ns, "rollout", "status", "deployment/" + name, "--timeout=120s");
    return new Row(lines.size(), t1 - t0, System.nanoTime() - t0);
  }

  private static String run(RealCluster cluster, Path cache, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", cluster.env.get("KUBECONFIG"), "--cache-dir", cache.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    require(p.waitFor(150, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", args) + ": " + out);
    return out;
  }

  private static void require(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("benchmark step failed: " + what);
  }
}
