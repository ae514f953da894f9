package dev.rollback.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real control plane (etcd + kube-apiserver + kube-controller-manager on loopback) per test
 * JVM, started with {@code scripts/k8s/cluster.sh start DIR} on first use and stopped by a
 * shutdown hook ({@code cluster.sh stop DIR}, which stops exactly the pids it recorded). The
 * script's watchdog also stops it if this JVM is killed. A node simulator binds pods in place of kubelet.
 *
 * <p>Shared, with {@link NodeSimulator}: this module's test-jar carries them to rollback-cli's
 * end-to-end tests.
 */
public final class RealCluster {
  private static RealCluster instance;

  final Path dir;
  public final Map<String, String> env;
  public final KubernetesClient client;
  final NodeSimulator nodes;

  private RealCluster(Path dir, Map<String, String> env) {
    this.dir = dir;
    this.env = env;
    this.client = client(env.get("KUBE_TOKEN"));
    this.nodes = new NodeSimulator(client);
  }

  public static synchronized RealCluster get() {
    if (instance == null) instance = start();
    return instance;
  }

  public KubernetesClient client(String token) {
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(env.get("KUBE_SERVER"))
        .withOauthToken(token)
        .withTrustCerts(true)
        .withDisableHostnameVerification(true)
        .withRequestRetryBackoffLimit(0)
        .withNamespace("default")
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  String server() { return env.get("KUBE_SERVER"); }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("scripts/k8s/cluster.sh"))) p = p.getParent();
    if (p == null) throw new IllegalStateException("scripts/k8s/cluster.sh not found above " + Path.of("").toAbsolutePath());
    return p;
  }

  private static RealCluster start() {
    String reuse = System.getenv("ROLLBACK_K8S_CLUSTER_DIR");
    if (reuse != null && !reuse.isBlank()) return attach(Path.of(reuse));
    try {
      Path script = repoRoot().resolve("scripts/k8s/cluster.sh");
      Path dir = Files.createTempDirectory("rollback-k8s-it-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        if (instance != null) {
          instance.nodes.close();
          instance.client.close();
        }
        try {
          Process stop = new ProcessBuilder("bash", script.toString(), "stop", dir.toString()).inheritIO().start();
          if (stop.waitFor(60, TimeUnit.SECONDS) && stop.exitValue() == 0) {
            try (var files = Files.walk(dir)) {
              files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
          }
        } catch (Exception e) {
          System.err.println("could not stop the cluster in " + dir + ": " + e);
        }
      }, "k8s-cluster-stop"));
      ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "start", dir.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("start.out").toFile());
      pb.environment().put("CLUSTER_OWNER_PID", Long.toString(ProcessHandle.current().pid()));
      Process p = pb.start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroy();
        throw new IllegalStateException("cluster.sh start did not finish in 180 s; see " + dir.resolve("start.out"));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("cluster.sh start failed (exit " + p.exitValue() + "):\n"
            + Files.readString(dir.resolve("start.out")));
      }
      return attach(dir);
    } catch (IOException e) {
      throw new IllegalStateException("could not start the test cluster: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Attaches to a started cluster (for local iteration: ROLLBACK_K8S_CLUSTER_DIR, left running). */
  private static RealCluster attach(Path dir) {
    try {
      Map<String, String> env = new HashMap<>();
      for (String line : Files.readAllLines(dir.resolve("cluster.env"))) {
        int i = line.indexOf('=');
        if (i > 0) env.put(line.substring(0, i), line.substring(i + 1));
      }
      RealCluster c = new RealCluster(dir, env);
      c.nodes.start();
      return c;
    } catch (IOException e) {
      throw new IllegalStateException("no cluster.env in " + dir + ": " + e, e);
    }
  }

  /** A fresh namespace for one test. */
  public String namespace(String prefix) {
    String name = prefix + "-" + Long.toHexString(System.nanoTime() & 0xffffffL);
    client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }
}
