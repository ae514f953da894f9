package dev.rollback.lb;

import dev.rollback.StepLease;
import dev.rollback.lb.internal.Names;
import dev.rollback.lb.internal.SplitClientsBlock;
import dev.rollback.lb.internal.Transitions;
import dev.rollback.lb.internal.UpstreamFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NGINX open source: rewrites the {@code server} lines of an {@code upstream} block in a file the
 * main config includes, checks the whole config with {@code nginx -t}, reloads with
 * {@code nginx -s reload} (graceful: old workers finish their requests), and then checks that the
 * reload took effect, because a failed reload keeps the old config silently: new worker processes
 * must appear under the master, and no {@code [emerg]} or {@code [alert]} may appear in the error
 * log. On any failure the file is put back as it was.
 *
 * <p>A backend can also be a {@code split_clients "KEY" $NAME} block (a sticky percentage split
 * between upstreams, used as {@code proxy_pass http://$NAME}): its values are the servers and
 * their shares follow the weights.
 *
 * <p>NGINX rejects {@code weight=0}, so a server taking no traffic is written {@code down}; it has
 * no drain either, so DRAIN and MAINT are {@code down} too (in-flight requests still finish because
 * the reload is graceful). For the same reason {@link Cutover#hardCut()} is not available: the
 * old workers always finish their requests. Each line carries a tag comment with the exact routing,
 * so a read gives back what was applied.
 *
 * <pre>{@code
 * NginxRouter nginx = NginxRouter.of(Path.of("/etc/nginx/nginx.conf"), Path.of("/etc/nginx/upstreams.conf"))
 *     .withPidFile(Path.of("/run/nginx.pid"))
 *     .withErrorLog(Path.of("/var/log/nginx/error.log"));
 * }</pre>
 */
public final class NginxRouter implements TrafficRouter {
  private static final Logger log = LoggerFactory.getLogger(NginxRouter.class);
  /** The highest weight this router writes. */
  public static final int MAX_WEIGHT = 1000;

  private final Path config;
  private final Path upstreamFile;
  private final @Nullable Path prefix;
  private final String binary;
  private final @Nullable Path pidFile;
  private final @Nullable Path errorLog;
  private final Duration timeout;
  private final Object lock;

  private NginxRouter(Path config, Path upstreamFile, @Nullable Path prefix, String binary, @Nullable Path pidFile,
      @Nullable Path errorLog, Duration timeout, Object lock) {
    this.config = config;
    this.upstreamFile = upstreamFile;
    this.prefix = prefix;
    this.binary = binary;
    this.pidFile = pidFile;
    this.errorLog = errorLog;
    this.timeout = timeout;
    this.lock = lock;
  }

  /**
   * A router for the NGINX started with main config {@code config} ({@code -c}), changing the
   * upstream blocks in {@code upstreamFile} (included from the main config).
   */
  public static NginxRouter of(Path config, Path upstreamFile) {
    return new NginxRouter(Objects.requireNonNull(config, "config"), Objects.requireNonNull(upstreamFile, "upstreamFile"),
        null, "nginx", null, null, Duration.ofSeconds(10), new Object());
  }

  /** The prefix path ({@code -p}) NGINX was started with. */
  public NginxRouter withPrefix(Path prefix) {
    return new NginxRouter(config, upstreamFile, Objects.requireNonNull(prefix, "prefix"), binary, pidFile, errorLog,
        timeout, lock);
  }

  /** The nginx executable; {@code nginx} on the PATH by default. */
  public NginxRouter withBinary(String binary) {
    return new NginxRouter(config, upstreamFile, prefix, Objects.requireNonNull(binary, "binary"), pidFile, errorLog,
        timeout, lock);
  }

  /** The master's pid file (the config's {@code pid}): lets the router see the new workers a reload starts. */
  public NginxRouter withPidFile(Path pidFile) {
    return new NginxRouter(config, upstreamFile, prefix, binary, Objects.requireNonNull(pidFile, "pidFile"), errorLog,
        timeout, lock);
  }

  /** The config's {@code error_log} file: a reload the master rejected shows there as {@code [emerg]}. */
  public NginxRouter withErrorLog(Path errorLog) {
    return new NginxRouter(config, upstreamFile, prefix, binary, pidFile, Objects.requireNonNull(errorLog, "errorLog"),
        timeout, lock);
  }

  /** How long {@code nginx -t}, the reload and its confirmation may take; 10 s by default. */
  public NginxRouter withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new NginxRouter(config, upstreamFile, prefix, binary, pidFile, errorLog, timeout, lock);
  }

  @Override
  public String name() {
    return "nginx " + config;
  }

  @Override
  public int maxWeight() {
    return MAX_WEIGHT;
  }

  @Override
  public RoutingState read(String backend) {
    Names.require("backend", backend);
    String attempt = "read upstream " + backend + " from " + upstreamFile;
    String text;
    try {
      text = Files.readString(upstreamFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new RouterException(name(), attempt, "cannot read the file (" + e + ")", null, e);
    }
    try {
      return UpstreamFile.read(text, backend).or(() -> SplitClientsBlock.read(text, backend))
          .orElseThrow(() -> new RouterException(name(), attempt,
              "the file has no upstream " + backend + " block and no split_clients $" + backend + " block", null, null));
    } catch (IllegalArgumentException e) {
      throw new RouterException(name(), attempt, e.getMessage(), null, e);
    }
  }

  @Override
  public RoutingState apply(RoutingState target, Cutover cutover) {
    return apply(target, cutover, StepLease.none());
  }

  /**
   * Checks {@code lease} immediately before the file swap and again before the reload (see
   * {@link TrafficRouter}); a replica that lost it between the two leaves the file to the replica
   * holding the lease now, which rewrites and reloads it.
   */
  @Override
  public RoutingState apply(RoutingState target, Cutover cutover, StepLease lease) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(cutover, "cutover");
    Objects.requireNonNull(lease, "lease");
    synchronized (lock) {
      RoutingState current = read(target.backend());
      String attempt = "apply " + target;
      Optional<String> problem = Transitions.problem(current, target, MAX_WEIGHT);
      if (problem.isPresent()) throw new RouterException(name(), attempt, problem.get(), current, null);
      RoutingState after = Transitions.merged(current, target);
      if (!cutover.zeroCapacityAllowed()) {
        Optional<String> capacity = Transitions.capacityProblem(after);
        if (capacity.isPresent()) {
          throw new RouterException(name(), attempt,
              capacity.get() + " (use Cutover.allowingZeroCapacity() to force it)", current, null);
        }
      }
      if (Transitions.ordered(current, target).isEmpty()) return current;
      String old;
      try {
        old = Files.readString(upstreamFile, StandardCharsets.UTF_8);
        String text = UpstreamFile.read(old, target.backend()).isPresent()
            ? UpstreamFile.rewrite(old, target) : SplitClientsBlock.rewrite(old, after);
        lease.check(); // immediately before the swap
        write(text);
      } catch (IOException e) {
        throw new RouterException(name(), "rewrite " + upstreamFile, e.toString(), current, e);
      }
      try {
        test();
        lease.check(); // and before the reload
        reload();
      } catch (RouterException e) {
        putBack(old);
        throw new RouterException(name(), e.attempted(), problemOf(e), current, e);
      }
      RoutingState readBack = read(target.backend());
      log.info("{}: upstream {} now {}", name(), target.backend(), readBack);
      return readBack;
    }
  }

  private void putBack(String old) {
    try {
      write(old);
    } catch (IOException e) {
      log.warn("{}: could not put {} back: {}", name(), upstreamFile, e.toString());
    }
  }

  private void write(String text) throws IOException {
    Path dir = upstreamFile.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, ".upstreams", ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, upstreamFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** {@code nginx -t}: a config that does not pass fails here, before anything is reloaded. */
  private void test() {
    run("-t");
  }

  private void reload() {
    long logOffset = logSize();
    Set<Long> oldWorkers = workers();
    run("-s", "reload");
    if (pidFile == null && errorLog == null) return; // nothing to confirm with
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    String attempt = "nginx -s reload";
    while (true) {
      Optional<String> error = logErrorsSince(logOffset);
      if (error.isPresent()) {
        throw new RouterException(name(), attempt, "the master rejected the new config and kept the old one: "
            + error.get(), null, null);
      }
      if (pidFile != null) {
        Set<Long> now = workers();
        boolean fresh = now.stream().anyMatch(p -> !oldWorkers.contains(p));
        // old workers keep accepting until they get the master's QUIT; then they rename themselves
        // "worker process is shutting down" and only finish what they have
        boolean oldStopped = now.stream().filter(oldWorkers::contains).allMatch(NginxRouter::notAccepting);
        if (fresh && oldStopped) return;
      } else if (System.nanoTime() - start >= Math.min(timeout.toNanos(), 500_000_000L)) {
        return; // no pid file to see new workers: 500 ms without an error in the log counts as taken
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new RouterException(name(), attempt, "the new worker processes had not taken over from the old ones within " + timeout
            + ", so the new config did not take effect", null, null);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RouterException(name(), attempt, "interrupted while waiting for the reload", null, e);
      }
    }
  }

  private Set<Long> workers() {
    if (pidFile == null) return Set.of();
    try {
      long master = Long.parseLong(Files.readString(pidFile).trim());
      return ProcessHandle.of(master).map(ph -> ph.children().map(ProcessHandle::pid).collect(Collectors.toSet()))
          .orElse(Set.of());
    } catch (IOException | NumberFormatException e) {
      throw new RouterException(name(), "read the master pid from " + pidFile, e.toString(), null, e);
    }
  }

  private static boolean notAccepting(long pid) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1);
      return !cmdline.contains("worker process") || cmdline.contains("shutting down");
    } catch (IOException e) {
      return true; // gone
    }
  }

  private long logSize() {
    try {
      return errorLog != null && Files.exists(errorLog) ? Files.size(errorLog) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private Optional<String> logErrorsSince(long offset) {
    if (errorLog == null || !Files.exists(errorLog)) return Optional.empty();
    try {
      byte[] all = Files.readAllBytes(errorLog);
      if (all.length <= offset) return Optional.empty();
      String fresh = new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8);
      return fresh.lines().filter(l -> l.contains("[emerg]") || l.contains("[alert]")).findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private void run(String... args) {
    List<String> cmd = new ArrayList<>(List.of(binary, "-c", config.toString()));
    if (prefix != null) cmd.addAll(List.of("-p", prefix.toString()));
    cmd.addAll(List.of(args));
    String attempt = String.join(" ", cmd);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out;
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new RouterException(name(), attempt, "did not finish within " + timeout, null, null);
      }
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new RouterException(name(), attempt, "exit code " + p.exitValue() + ": " + out, null, null);
      }
    } catch (IOException e) {
      throw new RouterException(name(), attempt, e.toString(), null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RouterException(name(), attempt, "interrupted", null, e);
    }
  }

  private static String problemOf(RouterException e) {
    String m = e.getMessage();
    int i = m.indexOf(" failed: ");
    return i < 0 ? m : m.substring(i + " failed: ".length());
  }

  @Override
  public String toString() {
    return "NginxRouter[" + config + "]";
  }
}
