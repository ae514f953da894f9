package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.rollback.swarm.internal.Api;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One private single-node Swarm per test JVM: a dockerd started with its own {@code --data-root},
 * {@code --exec-root} and {@code --pidfile}, listening only on a unix socket in a 0700 directory,
 * without iptables, masquerading or a bridge, and with {@code DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1}
 * so neither it nor Swarm ever contacts a registry; the swarm is initialised on 127.0.0.1 with a
 * free listen port. Stopped by its pid in a shutdown hook (a watchdog process stops it too if this
 * JVM dies). Images are a busybox-static rootfs imported through the API under several tags.
 */
public final class RealSwarm {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static RealSwarm instance;

  public final Path dir;
  public final Path socket;
  public final Path pidFile;
  public final Path log;
  private Process process;
  public DockerSwarm swarm;
  /** Raw API for test set-up (services, configs, images): the same transport, not the code under test. */
  public Api api;

  private RealSwarm(Path dir, Path socket, Path pidFile, Path log, Process process) {
    this.dir = dir;
    this.socket = socket;
    this.pidFile = pidFile;
    this.log = log;
    this.process = process;
    this.swarm = DockerSwarm.connect(socket);
    this.api = swarm.api();
  }

  public static synchronized RealSwarm get() {
    if (instance == null) instance = start();
    return instance;
  }

  /**
   * A daemon and swarm of its own, for a test that stops and restarts its daemon while the other
   * test classes keep using the shared one ({@link #get}); {@link #close} stops it.
   */
  public static RealSwarm startPrivate() {
    return start();
  }

  /** Stops this daemon (by its pid) and removes its directory; once only (the shutdown hook calls it too). */
  public void close() {
    stop();
  }

  static Path dockerd() {
    for (String p : List.of("/usr/sbin/dockerd", "/usr/bin/dockerd")) {
      if (Files.isExecutable(Path.of(p))) return Path.of(p);
    }
    throw new IllegalStateException("dockerd is not installed: run scripts/setup/60-swarm.sh (Debian docker.io)");
  }

  static Path busybox() {
    for (String p : List.of("/bin/busybox", "/usr/bin/busybox")) {
      if (Files.isExecutable(Path.of(p))) return Path.of(p);
    }
    throw new IllegalStateException("busybox is not installed: run scripts/setup/60-swarm.sh (Debian busybox-static)");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static RealSwarm start() {
    try {
      Path dir = Files.createTempDirectory("rb-swarm-");
      Path run = Files.createDirectory(dir.resolve("run"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(dir.resolve("daemon.json"), "{}");
      Path socket = run.resolve("docker.sock");
      Path pidFile = dir.resolve("dockerd.pid");
      RealSwarm s = new RealSwarm(dir, socket, pidFile, dir.resolve("dockerd.log"), launch(dir, socket, pidFile));
      watchdog(pidFile, dir);
      Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "dockerd-stop"));
      s.awaitPing(Duration.ofSeconds(60));
      s.initSwarm();
      s.importImage();
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("could not start the test dockerd: " + e, e);
    }
  }

  private static Process launch(Path dir, Path socket, Path pidFile) throws IOException {
    // dockerd runs in a network namespace of its own (loopback only): swarm init sets up the
    // ingress sandbox, which creates the docker_gwbridge bridge with a private-range address;
    // there it never touches the host's network. The ingress network is removed after init.
    ProcessBuilder pb = new ProcessBuilder("unshare", "--net", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"",
        dockerd().toString(),
        "--config-file", dir.resolve("daemon.json").toString(),
        "--data-root", dir.resolve("data").toString(),
        "--exec-root", dir.resolve("exec").toString(),
        "--pidfile", pidFile.toString(),
        "-H", "unix://" + socket,
        "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none",
        "--log-level", "debug")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile()));
    pb.environment().put("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE", "1");
    return pb.start();
  }

  /** Stops the daemon (by its pid) and waits for it to exit: its socket goes with it. */
  public synchronized void stopDaemon() {
    ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroy);
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("dockerd did not stop in 60 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    unmountUnder(dir.resolve("exec"));
  }

  /** Starts the daemon again on the same data root (the swarm, its services and images are kept). */
  public synchronized void startDaemon() throws IOException {
    process = launch(dir, socket, pidFile);
    try {
      swarm.close();
    } catch (IOException e) {
      // the old client's connections went with the old daemon
    }
    swarm = DockerSwarm.connect(socket);
    api = swarm.api();
    awaitPing(Duration.ofSeconds(60));
    org.awaitility.Awaitility.await("the swarm manager back").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> api.get("/nodes").size() == 1);
  }

  /** A process that stops the daemon (by the pid it recorded) if this JVM dies without its shutdown hook. */
  private static void watchdog(Path pidFile, Path dir) throws IOException {
    long owner = ProcessHandle.current().pid();
    String script = "while kill -0 " + owner + " 2>/dev/null; do sleep 2; done; "
        + "if [ -s '" + pidFile + "' ]; then kill \"$(cat '" + pidFile + "')\" 2>/dev/null; fi";
    new ProcessBuilder("setsid", "bash", "-c", script).redirectErrorStream(true)
        .redirectOutput(dir.resolve("watchdog.log").toFile()).start();
  }

  private void awaitPing(Duration timeout) {
    try {
      org.awaitility.Awaitility.await("dockerd answering on " + socket).atMost(timeout)
          .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> {
            if (!process.isAlive()) throw new IllegalStateException("dockerd exited (" + process.exitValue() + ")");
            api.get("/_ping");
            return true;
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new IllegalStateException(e.getMessage() + ":\n" + tail(), e);
    }
  }

  private void initSwarm() throws IOException {
    int port = freePort();
    ObjectNode body = Api.JSON.createObjectNode();
    body.put("ListenAddr", "127.0.0.1:" + port);
    body.put("AdvertiseAddr", "127.0.0.1");
    body.put("DataPathAddr", "127.0.0.1");
    body.putObject("Spec").putObject("Orchestration").put("TaskHistoryRetentionLimit", 5);
    api.post("/swarm/init", body);
    // no published ports here: without the ingress network there is no ingress sandbox (nor its overlay)
    org.awaitility.Awaitility.await("the ingress network removed").atMost(HANG_GUARD)
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> {
          api.delete("/networks/ingress");
          return true;
        });
  }

  static final String REPO = "rollback-it/app";

  /** A one-binary rootfs (busybox-static, /bin/sh a link to it) imported as rollback-it/app:base. */
  private void importImage() throws IOException {
    Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
    Files.copy(busybox(), rootfs.resolve("busybox"));
    Files.createSymbolicLink(rootfs.resolve("sh"), Path.of("busybox"));
    Path tar = dir.resolve("rootfs.tar");
    run("tar", "-C", dir.resolve("rootfs").toString(), "-cf", tar.toString(), ".");
    byte[] bytes = Files.readAllBytes(tar);
    try (DockerHttpClient client = new com.github.dockerjava.zerodep.ZerodepDockerHttpClient.Builder()
        .dockerHost(java.net.URI.create("unix://" + socket)).build();
         DockerHttpClient.Response r = client.execute(DockerHttpClient.Request.builder().method("POST")
             .path("/images/create?fromSrc=-&repo=" + REPO + "&tag=base")
             .putHeader("Content-Type", "application/x-tar").bodyBytes(bytes).build());
         InputStream in = r.getBody()) {
      String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (r.getStatusCode() != 200 || out.contains("\"error")) throw new IllegalStateException("image import failed: " + out);
    }
  }

  /** Tags the imported image as {@code rollback-it/app:TAG} (each tag a distinct image reference, same content). */
  public String image(String tag) {
    api.post("/images/" + REPO + ":base/tag?repo=" + REPO + "&tag=" + tag, null);
    return REPO + ":" + tag;
  }

  // ------------------------------------------------------------------ services

  /**
   * A replicated service that sleeps, attached to no network; small update/rollback monitor and
   * delay, a one-second stop grace period (its shell traps SIGTERM, so a stop is immediate).
   * Without a network attachment a task stops at once: dockerd's Swarm executor waits a fixed 2 s
   * ("gossip converge") before stopping a task attached to any network, the host network included,
   * and that wait was most of every rollout's time here. {@link #onHostNetwork} attaches one.
   */
  public ObjectNode serviceSpec(String name, String image, int replicas) {
    ObjectNode spec = Api.JSON.createObjectNode();
    spec.put("Name", name);
    ObjectNode tt = spec.putObject("TaskTemplate");
    ObjectNode cs = tt.putObject("ContainerSpec");
    cs.put("Image", image);
    cs.putArray("Command").add("/bin/busybox");
    // PID 1 ignores SIGTERM unless it traps it: without the trap every stop waits out the grace period
    cs.putArray("Args").add("sh").add("-c").add("trap 'exit 0' TERM; sleep 3600 & wait");
    cs.put("StopGracePeriod", 1_000_000_000L);
    tt.putObject("RestartPolicy").put("Condition", "any").put("Delay", 100_000_000L).put("MaxAttempts", 0);
    tt.put("ForceUpdate", 0);
    spec.putObject("Mode").putObject("Replicated").put("Replicas", replicas);
    spec.set("UpdateConfig", rollout(1, "pause"));
    spec.set("RollbackConfig", rollout(1, "pause"));
    spec.putObject("EndpointSpec").put("Mode", "vip");
    return spec;
  }

  /** Attaches the task template to the host network (of the daemon's namespace), as services usually have a network. */
  public static ObjectNode onHostNetwork(ObjectNode spec) {
    ((ObjectNode) spec.path("TaskTemplate")).putArray("Networks").addObject().put("Target", "host");
    return spec;
  }

  static ObjectNode rollout(int parallelism, String failureAction) {
    ObjectNode u = Api.JSON.createObjectNode();
    u.put("Parallelism", parallelism);
    u.put("Delay", 0);
    u.put("FailureAction", failureAction);
    u.put("Monitor", 300_000_000L);
    u.put("MaxFailureRatio", 0);
    u.put("Order", "stop-first");
    return u;
  }

  public String create(ObjectNode spec) {
    return api.post("/services/create", spec).path("ID").asText();
  }

  public JsonNode inspect(String service) {
    return api.get("/services/" + service);
  }

  /**
   * A plain update as docker service update sends it: the whole spec with the version read; read
   * again when Swarm itself wrote the service in between (its rollout status), as the CLI would fail.
   */
  public void update(String service, java.util.function.Consumer<ObjectNode> change) {
    for (int attempt = 1; ; attempt++) {
      JsonNode s = inspect(service);
      ObjectNode spec = (ObjectNode) s.get("Spec").deepCopy();
      change.accept(spec);
      try {
        api.post("/services/" + s.path("ID").asText() + "/update?version=" + s.path("Version").path("Index").asLong(), spec);
        return;
      } catch (SwarmApiException e) {
        if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("out of sequence")) throw e;
      }
    }
  }

  public static void setImage(ObjectNode spec, String image) {
    ((ObjectNode) spec.path("TaskTemplate").path("ContainerSpec")).put("Image", image);
  }

  public void remove(String service) {
    api.delete("/services/" + service);
  }

  public String createConfig(String name, String content) {
    ObjectNode c = Api.JSON.createObjectNode();
    c.put("Name", name);
    c.put("Data", java.util.Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8)));
    return api.post("/configs/create", c).path("ID").asText();
  }

  public String createSecret(String name, String content) {
    ObjectNode c = Api.JSON.createObjectNode();
    c.put("Name", name);
    c.put("Data", java.util.Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8)));
    return api.post("/secrets/create", c).path("ID").asText();
  }

  public static void attachConfig(ObjectNode spec, String id, String name, String file) {
    ArrayNode configs = ((ObjectNode) spec.path("TaskTemplate").path("ContainerSpec")).putArray("Configs");
    ObjectNode c = configs.addObject();
    c.putObject("File").put("Name", file).put("UID", "0").put("GID", "0").put("Mode", 292);
    c.put("ConfigID", id);
    c.put("ConfigName", name);
  }

  public static void attachSecret(ObjectNode spec, String id, String name, String file) {
    ArrayNode secrets = ((ObjectNode) spec.path("TaskTemplate").path("ContainerSpec")).putArray("Secrets");
    ObjectNode c = secrets.addObject();
    c.putObject("File").put("Name", file).put("UID", "0").put("GID", "0").put("Mode", 256);
    c.put("SecretID", id);
    c.put("SecretName", name);
  }

  /** Waits until every task of {@code service} runs its current spec (bounded). */
  public void awaitConverged(String service, Duration timeout) {
    SwarmService s = swarm.service(service).withConvergeTimeout(timeout);
    Convergence c = s.awaitConverged(s.capture());
    if (!c.converged()) throw new AssertionError("service " + service + " did not converge within " + timeout + ": " + c.summary());
  }

  /** The states of {@code UpdateStatus} while Swarm is still replacing tasks or watching them (monitor). */
  static final java.util.Set<String> ROLLOUT_IN_PROGRESS = java.util.Set.of("updating", "rollback_started");

  /**
   * Waits (bounded) until Swarm's rollout of {@code service} is over: when one ends, after its
   * monitor period, Swarm writes the service itself (its update status), bumping its version
   * index. Returns the service as read then.
   */
  public JsonNode awaitRolloutOver(String service, Duration timeout) {
    return org.awaitility.Awaitility.await("the rollout of service " + service + " over").atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> inspect(service),
            s -> !ROLLOUT_IN_PROGRESS.contains(s.path("UpdateStatus").path("State").asText("")));
  }

  /**
   * What a client's write to {@code service} leaves, read once Swarm's rollout is over: the spec, the
   * previous spec, the update status (a write starts a rollout, or resets the status) and the tasks
   * meant to run. Not the version index: Swarm also writes the service itself, with no change to any
   * of these, at a moment of its own (seen seconds after a rollout was over, on a loaded machine).
   */
  public List<Object> writeMarks(String service) {
    JsonNode s = awaitRolloutOver(service, HANG_GUARD);
    return List.of(s.path("Spec"), s.path("PreviousSpec"), s.path("UpdateStatus"), taskIdsMeantToRun(service));
  }

  /** The ids of the tasks of {@code service} that Swarm wants running, sorted. */
  public List<String> taskIdsMeantToRun(String service) {
    List<String> ids = new ArrayList<>();
    for (JsonNode t : api.get("/tasks?" + Api.filters(Map.of("service", service)))) {
      if (t.path("DesiredState").asText().equals("running")) ids.add(t.path("ID").asText());
    }
    ids.sort(Comparator.naturalOrder());
    return ids;
  }

  // ------------------------------------------------------------------ daemon

  /** The daemon's process id (from its pid file). */
  public long pid() {
    try {
      return Long.parseLong(Files.readString(pidFile).trim());
    } catch (IOException e) {
      return process.pid();
    }
  }

  private boolean stopped;

  private synchronized void stop() {
    if (stopped) return;
    stopped = true;
    try {
      swarm.close();
    } catch (IOException e) {
      // closing the client of a daemon being stopped
    }
    ProcessHandle.of(pid()).ifPresent(ProcessHandle::destroy);
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        System.err.println("dockerd (pid " + process.pid() + ") did not stop in 30 s: killing it");
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    unmountUnder(dir);
    if (System.getenv("ROLLBACK_SWARM_KEEP") == null) deleteQuietly(dir);
  }

  /** dockerd leaves its network namespace bind-mounted under the exec root: unmount what is under our directory. */
  private static void unmountUnder(Path dir) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
        String[] f = line.split(" ");
        if (f.length > 1 && f[1].startsWith(dir.toString())) run("umount", f[1]);
      }
    } catch (IOException e) {
      System.err.println("could not unmount what dockerd left under " + dir + ": " + e.getMessage());
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
      for (Path f : all) f.toFile().delete();
    } catch (IOException | RuntimeException e) {
      // leftovers in the temp directory are harmless
    }
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static void run(String... cmd) throws IOException {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger NAMES = new java.util.concurrent.atomic.AtomicInteger();

  /** Distinct names per test, also across test classes running concurrently (a counter ends each name). */
  public static String unique(String prefix) {
    return prefix + Long.toHexString(System.nanoTime() & 0xfffffL) + "x" + NAMES.incrementAndGet();
  }

}
