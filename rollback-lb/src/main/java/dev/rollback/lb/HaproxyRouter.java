package dev.rollback.lb;

import dev.rollback.LeaseLostException;
import dev.rollback.StepLease;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Signal;
import dev.rollback.lb.internal.CounterSignal;
import dev.rollback.lb.internal.Names;
import dev.rollback.lb.internal.RuntimeApiClient;
import dev.rollback.lb.internal.Transitions.ServerChange;
import dev.rollback.lb.internal.Transitions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HAProxy (2.x) through its runtime API: {@code show servers state} to read, {@code set server
 * B/S weight N} and {@code set server B/S state ready|drain|maint} to change (changes take effect
 * on the next request), {@code shutdown sessions server} for a hard cut, {@code show stat} for
 * per-server counters. Runtime changes are lost on reload; {@link #withServerStateFile} dumps the
 * state after every change so a reload with {@code load-server-state-from-file} keeps it.
 *
 * <pre>{@code
 * HaproxyRouter haproxy = HaproxyRouter.unixSocket(Path.of("/run/lb/admin.sock"))   // in a 0700 directory
 *     .withServerStateFile(Path.of("/var/lib/haproxy/server-state"));
 * }</pre>
 */
public final class HaproxyRouter implements TrafficRouter {
  private static final Logger log = LoggerFactory.getLogger(HaproxyRouter.class);
  /** HAProxy accepts absolute weights from 0 to 256. */
  public static final int MAX_WEIGHT = 256;

  private final String name;
  private final RuntimeApiClient client;
  private final Duration timeout;
  private final @Nullable Path serverStateFile;
  private final Config config;

  private record Config(java.net.SocketAddress address, boolean unix, String name) {}

  private HaproxyRouter(Config config, Duration timeout, @Nullable Path serverStateFile) {
    this.config = config;
    this.name = config.name;
    this.timeout = timeout;
    this.serverStateFile = serverStateFile;
    this.client = new RuntimeApiClient(config.address, config.unix, timeout);
  }

  /**
   * The runtime API on a unix socket ({@code stats socket PATH mode 600 level admin}). Logs a
   * warning if the socket's directory is open to other users: keep it in a 0700 directory.
   */
  public static HaproxyRouter unixSocket(Path socket) {
    Objects.requireNonNull(socket, "socket");
    Path dir = socket.toAbsolutePath().getParent();
    try {
      if (dir != null && Files.exists(dir)) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
          log.warn("the HAProxy admin socket {} is in a directory other users can access ({}); use a 0700 directory",
              socket, java.nio.file.attribute.PosixFilePermissions.toString(perms));
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot read the permissions of {}: {}", dir, e.toString());
    }
    return new HaproxyRouter(new Config(UnixDomainSocketAddress.of(socket), true, "haproxy unix:" + socket),
        Duration.ofSeconds(2), null);
  }

  /** The runtime API on TCP ({@code stats socket ipv4@127.0.0.1:PORT level admin}); keep it on loopback. */
  public static HaproxyRouter tcp(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (port <= 0 || port > 65535) throw new IllegalArgumentException("port must be 1..65535: " + port);
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.getAddress() != null && !address.getAddress().isLoopbackAddress()) {
      log.warn("the HAProxy runtime API at {}:{} is not on loopback: anyone who reaches it can change the routing",
          host, port);
    }
    return new HaproxyRouter(new Config(address, false, "haproxy tcp:" + host + ":" + port), Duration.ofSeconds(2),
        null);
  }

  /** Timeout of one runtime API command (connect, write, read); 2 s by default. */
  public HaproxyRouter withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new HaproxyRouter(config, timeout, serverStateFile);
  }

  /**
   * After every change, dump {@code show servers state} to {@code file} (the {@code server-state-file}
   * of the HAProxy config, loaded with {@code load-server-state-from-file global}) so a reload keeps it.
   */
  public HaproxyRouter withServerStateFile(Path file) {
    return new HaproxyRouter(config, timeout, Objects.requireNonNull(file, "file"));
  }

  @Override public String name() { return name; }

  @Override public int maxWeight() { return MAX_WEIGHT; }

  /**
   * Sends one runtime API command and returns HAProxy's answer; for commands this class does not
   * cover. Refuses a {@code ;}, which makes HAProxy run what follows it as another command (text
   * built from a server or backend name could otherwise smuggle one in): send several commands
   * with {@link #rawCommandLine(String)}.
   *
   * @throws IllegalArgumentException when {@code command} holds a {@code ;} or a line break
   */
  public String command(String command) {
    Objects.requireNonNull(command, "command");
    int semicolon = command.indexOf(';');
    if (semicolon >= 0) {
      throw new IllegalArgumentException(name + ": runtime API command " + Names.escape(command) + " holds a ';' at index "
          + semicolon + ", which HAProxy reads as the start of another command; send one command per call, or "
          + "rawCommandLine(..) to chain several on purpose");
    }
    return rawCommandLine(command);
  }

  /**
   * Sends {@code line} as it is, several runtime API commands separated by {@code ;} (HAProxy runs
   * them in order and returns their answers one after the other), e.g.
   * {@code "set server app/v1 weight 0; set server app/v2 weight 100"}. Nothing is checked or
   * escaped: never build it from text you do not control. Prefer {@link #command(String)}.
   *
   * @throws IllegalArgumentException when {@code line} holds a line break
   */
  public String rawCommandLine(String line) {
    Objects.requireNonNull(line, "line");
    try {
      return client.send(line);
    } catch (IOException e) {
      throw new RouterException(name, line, describe(e), null, e);
    }
  }

  @Override
  public RoutingState read(String backend) {
    Names.require("backend", backend);
    String cmd = "show servers state " + backend;
    String response;
    try {
      response = client.send(cmd);
    } catch (IOException e) {
      throw new RouterException(name, cmd, describe(e), null, e);
    }
    return parseServersState(backend, response).orElseThrow(() ->
        new RouterException(name, cmd, "HAProxy answered " + Names.escape(response.strip()), null, null));
  }

  /** Per-server counters of {@code backend} from {@code show stat}. */
  public List<ServerCounters> counters(String backend) {
    Names.require("backend", backend);
    String cmd = "show stat " + backend + " 4 -1";
    String csv;
    try {
      csv = client.send(cmd);
    } catch (IOException e) {
      throw new RouterException(name, cmd, describe(e), null, e);
    }
    List<String> lines = csv.lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty() || !lines.get(0).startsWith("# ")) {
      throw new RouterException(name, cmd, "HAProxy answered " + Names.escape(csv.strip()), null, null);
    }
    String[] header = lines.get(0).substring(2).split(",", -1);
    Map<String, Integer> col = new HashMap<>();
    for (int i = 0; i < header.length; i++) col.put(header[i], i);
    List<ServerCounters> out = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      String px = field(f, col, "pxname");
      String sv = field(f, col, "svname");
      if (!px.equals(backend) || sv.equals("BACKEND") || sv.equals("FRONTEND")) continue;
      long responses = 0;
      for (String c : List.of("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")) {
        responses += number(field(f, col, c));
      }
      out.add(new ServerCounters(backend, sv, responses, number(field(f, col, "hrsp_5xx")), field(f, col, "status")));
    }
    return out;
  }

  /**
   * The 5xx answers of {@code backend/server} as a {@link Signal} for a guard's triggers, from
   * {@code show stat}, polled at most every {@code pollInterval} (a guard evaluates polled signals
   * at its evaluation interval). Counts start at the first poll.
   */
  public Signal responsesOf(String backend, String server, Duration pollInterval) {
    Names.require("backend", backend);
    Names.require("server", server);
    Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll interval must be positive: " + pollInterval);
    }
    return new CounterSignal("5xx of " + backend + "/" + server + " on " + name, pollInterval, timeout, () -> {
      ServerCounters c = counters(backend).stream().filter(x -> x.server().equals(server)).findFirst()
          .orElseThrow(() -> new RouterException(name, "show stat " + backend + " 4 -1",
              "backend " + backend + " has no server " + server, null, null));
      return new CounterSignal.Reading(c.responses(), c.responses5xx(),
          c.responses5xx() + " of " + c.responses() + " responses were 5xx, status " + c.status());
    });
  }

  /**
   * Verifies that traffic really moved away from {@code server}: UP when its response count in
   * {@code show stat} does not grow during {@code window} (so pass it while requests are flowing),
   * DOWN with the number of responses it still served otherwise.
   */
  public HealthCheck receivesNoTraffic(String backend, String server, Duration window) {
    Names.require("backend", backend);
    Names.require("server", server);
    Objects.requireNonNull(window, "window");
    String check = "no new requests to " + backend + "/" + server + " within " + window + " on " + name;
    return HealthCheck.of(check, () -> {
      long before = responsesOf(backend, server);
      Thread.sleep(window.toMillis());
      long served = responsesOf(backend, server) - before;
      if (served > 0) throw new IllegalStateException(server + " still served " + served + " requests in " + window);
      return HealthStatus.UP;
    });
  }

  private long responsesOf(String backend, String server) {
    return counters(backend).stream().filter(c -> c.server().equals(server)).findFirst()
        .orElseThrow(() -> new RouterException(name, "show stat " + backend + " 4 -1",
            "backend " + backend + " has no server " + server, null, null))
        .responses();
  }

  /** Writes {@code show servers state} to the server-state file now (atomically); e.g. right before a reload. */
  public void saveServerState() {
    Path file = serverStateFile;
    if (file == null) throw new IllegalStateException(name + " has no server-state file; use withServerStateFile");
    String cmd = "show servers state";
    try {
      String state = client.send(cmd);
      if (!state.startsWith("1")) {
        throw new RouterException(name, cmd, "HAProxy answered " + Names.escape(state.strip()), null, null);
      }
      Path dir = file.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, ".server-state", ".tmp");
      Files.writeString(tmp, state, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new RouterException(name, "save the server state to " + file, describe(e), null, e);
    }
  }

  @Override
  public RoutingState apply(RoutingState target, Cutover cutover) {
    return apply(target, cutover, StepLease.none());
  }

  /** Checks {@code lease} immediately before every runtime API command it sends (see {@link TrafficRouter}). */
  @Override
  public RoutingState apply(RoutingState target, Cutover cutover, StepLease lease) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(cutover, "cutover");
    Objects.requireNonNull(lease, "lease");
    RoutingState current;
    try {
      current = read(target.backend());
    } catch (RouterException e) {
      throw new RouterException(name, "read backend " + target.backend() + " before applying " + target,
          problemOf(e) + "; nothing was changed", null, e);
    }
    String attempt = "apply " + target;
    Optional<String> problem = Transitions.problem(current, target, MAX_WEIGHT);
    if (problem.isPresent()) throw new RouterException(name, attempt, problem.get(), current, null);
    RoutingState after = Transitions.merged(current, target);
    if (!cutover.zeroCapacityAllowed()) {
      Optional<String> capacity = Transitions.capacityProblem(after);
      if (capacity.isPresent()) {
        throw new RouterException(name, attempt, capacity.get() + " (use Cutover.allowingZeroCapacity() to force it)",
            current, null);
      }
    }
    List<ServerChange> changes = Transitions.ordered(current, target);
    List<ServerChange> done = new ArrayList<>();
    for (ServerChange c : changes) {
      try {
        for (String cmd : commands(target.backend(), c, cutover)) {
          lease.check(); // a replica that lost the lease sends nothing more, not even a put-back
          run(cmd);
        }
        done.add(c);
      } catch (LeaseLostException e) {
        log.warn("{}: stopped applying {} after {} of {} server changes: {}", name, target, done.size(), changes.size(),
            e.getMessage());
        throw e;
      } catch (RouterException e) {
        done.add(c); // partly applied: put it back too
        restore(current, done);
        throw new RouterException(name, e.attempted(), problemOf(e), current, e);
      }
    }
    RoutingState readBack = read(target.backend());
    if (!target.isSatisfiedBy(readBack)) {
      restore(current, done);
      throw new RouterException(name, attempt, "read back " + readBack + " after the change", current, null);
    }
    if (serverStateFile != null && !changes.isEmpty() && lease.stillHeld()) saveServerState();
    log.info("{}: backend {} now {}", name, target.backend(), readBack);
    return readBack;
  }

  private static List<String> commands(String backend, ServerChange c, Cutover cutover) {
    String id = backend + "/" + c.server();
    List<String> weight = c.from().weight() == c.to().weight()
        ? List.of() : List.of("set server " + id + " weight " + c.to().weight());
    List<String> state = c.from().admin() == c.to().admin()
        ? List.of() : List.of("set server " + id + " state " + c.to().admin().name().toLowerCase(java.util.Locale.ROOT));
    List<String> out = new ArrayList<>();
    if (c.gains()) {
      out.addAll(weight);
      out.addAll(state);
    } else {
      out.addAll(state);
      out.addAll(weight);
      if (cutover.hard()) out.add("shutdown sessions server " + id);
    }
    return out;
  }

  private void run(String cmd) {
    String response;
    try {
      response = client.send(cmd);
    } catch (IOException e) {
      throw new RouterException(name, cmd, describe(e), null, e);
    }
    if (!response.isBlank()) {
      throw new RouterException(name, cmd, "HAProxy answered " + Names.escape(response.strip()), null, null);
    }
    log.debug("{}: {}", name, cmd);
  }

  private void restore(RoutingState previous, List<ServerChange> done) {
    for (int i = done.size() - 1; i >= 0; i--) {
      ServerChange c = done.get(i);
      ServerChange back = new ServerChange(c.server(), c.to(), previous.server(c.server()));
      // Force both commands: the partial apply may have left either changed.
      String id = previous.backend() + "/" + c.server();
      for (String cmd : List.of("set server " + id + " weight " + back.to().weight(),
          "set server " + id + " state " + back.to().admin().name().toLowerCase(java.util.Locale.ROOT))) {
        try {
          run(cmd);
        } catch (RouterException e) {
          log.warn("{}: could not put {} back to {}: {}", name, id, back.to(), e.getMessage());
        }
      }
    }
  }

  private static String problemOf(RouterException e) {
    String m = e.getMessage();
    int i = m.indexOf(" failed: ");
    return i < 0 ? m : m.substring(i + " failed: ".length());
  }

  private String describe(IOException e) {
    return "cannot talk to the runtime API (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
  }

  /**
   * Parses {@code show servers state}: a version line {@code 1}, a {@code #} header, one line per
   * server. Empty when the answer is not a state dump (e.g. {@code Can't find backend.}).
   */
  static Optional<RoutingState> parseServersState(String backend, String response) {
    List<String> lines = response.lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty() || !lines.get(0).strip().equals("1")) return Optional.empty();
    Map<String, ServerRoute> servers = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.startsWith("#")) continue;
      String[] f = line.trim().split("\\s+");
      if (f.length < 9 || !f[1].equals(backend)) continue;
      int op = Integer.parseInt(f[5]);
      int admin = Integer.parseInt(f[6]);
      int uweight = Integer.parseInt(f[7]);
      AdminState a = (admin & (0x01 | 0x02 | 0x04 | 0x20 | 0x40)) != 0 ? AdminState.MAINT
          : (admin & (0x08 | 0x10)) != 0 ? AdminState.DRAIN : AdminState.READY;
      Operational o = op == 1 || op == 2 ? Operational.UP : Operational.DOWN;
      servers.put(f[3], new ServerRoute(uweight, a, o));
    }
    if (servers.isEmpty()) return Optional.empty();
    return Optional.of(RoutingState.of(backend, servers));
  }

  private static String field(String[] f, Map<String, Integer> col, String name) {
    Integer i = col.get(name);
    return i == null || i >= f.length ? "" : f[i];
  }

  private static long number(String s) {
    if (s.isEmpty()) return 0;
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public String toString() {
    return "HaproxyRouter[" + name + "]";
  }
}
