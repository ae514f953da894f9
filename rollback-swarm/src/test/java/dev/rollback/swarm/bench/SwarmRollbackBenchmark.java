package dev.rollback.swarm.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Deployment;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.swarm.BenchAccess;
import dev.rollback.swarm.DockerSwarm;
import dev.rollback.swarm.RealSwarm;
import dev.rollback.swarm.Swarm;
import dev.rollback.swarm.SwarmStack;
import dev.rollback.swarm.internal.Api;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our restore to known-good next to {@code docker service rollback} on twin services (same
 * replicas, same update/rollback config), in the same run, alternating which goes first; then a
 * stack of five services restored at once next to five {@code docker service rollback} calls one
 * after another. Time until every task runs the old spec is measured by an observer that lists the
 * tasks every 20 ms (its requests are marked and not counted); API round-trips are counted from the
 * daemon's debug log ("Calling METHOD PATH" per request) between the start and the end of each tool,
 * and the same log's time stamps say when each tool's first request and its (first) service update
 * reached the daemon: the time from that update to every task on the old spec is Swarm's own
 * rollout, printed apart from what comes before it.
 */
public final class SwarmRollbackBenchmark {
  static final Duration MONITOR = Duration.ofMillis(500);

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    RealSwarm docker = RealSwarm.get();
    String v1 = docker.image("1");
    String v2 = docker.image("2");
    System.out.printf(Locale.ROOT, "dockerd %s, %d round(s) after one warm-up; load average %s%n",
        docker.api.get("/version").path("Version").asText(), rounds, load());

    String ours = "bench_ours";
    String theirs = "bench_cli";
    for (String s : List.of(ours, theirs)) docker.create(spec(docker, s, v1, 3));
    for (String s : List.of(ours, theirs)) docker.awaitConverged(s, Duration.ofSeconds(60));
    List<Sample> oursSamples = new ArrayList<>();
    List<Sample> cliSamples = new ArrayList<>();
    for (int round = 0; round <= rounds; round++) {
      KnownGood known = captureKnownGood(planFor(docker.swarm, ours));
      for (String s : List.of(ours, theirs)) docker.update(s, sp -> RealSwarm.setImage(sp, v2));
      for (String s : List.of(ours, theirs)) docker.awaitConverged(s, Duration.ofSeconds(60));
      boolean oursFirst = round % 2 == 0;
      Sample a = null;
      Sample b = null;
      for (int i = 0; i < 2; i++) {
        if ((i == 0) == oursFirst) a = measure(docker, List.of(ours), v1, () -> runPlan(planFor(docker.swarm, ours), known));
        else b = measure(docker, List.of(theirs), v1, () -> cli(docker, theirs));
      }
      if (round == 0) continue; // warm-up
      oursSamples.add(a);
      cliSamples.add(b);
      System.out.printf(Locale.ROOT, "round %d (%s first): ours %s | docker service rollback %s%n", round,
          oursFirst ? "ours" : "cli", a, b);
    }
    report("service (3 replicas)", oursSamples, cliSamples);

    // a stack of five services: ours restores them at once; the CLI rolls back one after the other
    List<String> stack = new ArrayList<>();
    List<String> cliStack = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      stack.add("benchstack_s" + i);
      cliStack.add("benchcli_s" + i);
    }
    for (String s : stack) {
      ObjectNode sp = spec(docker, s, v1, 1);
      sp.putObject("Labels").put(SwarmStack.NAMESPACE_LABEL, "benchstack");
      docker.create(sp);
    }
    for (String s : cliStack) docker.create(spec(docker, s, v1, 1));
    for (String s : stack) docker.awaitConverged(s, Duration.ofSeconds(60));
    for (String s : cliStack) docker.awaitConverged(s, Duration.ofSeconds(60));
    SwarmStack benchStack = docker.swarm.stack("benchstack");
    RollbackPlan stackPlan = RollbackPlan.builder("bench stack")
        .sequential("swarm", s -> s.step(Swarm.restoreStack(benchStack))).build();
    List<Sample> oursStack = new ArrayList<>();
    List<Sample> cliStackSamples = new ArrayList<>();
    for (int round = 0; round <= rounds; round++) {
      KnownGood known = captureKnownGood(stackPlan);
      for (String s : stack) docker.update(s, sp -> RealSwarm.setImage(sp, v2));
      for (String s : cliStack) docker.update(s, sp -> RealSwarm.setImage(sp, v2));
      for (String s : stack) docker.awaitConverged(s, Duration.ofSeconds(60));
      for (String s : cliStack) docker.awaitConverged(s, Duration.ofSeconds(60));
      boolean oursFirst = round % 2 == 0;
      Sample a = null;
      Sample b = null;
      for (int i = 0; i < 2; i++) {
        if ((i == 0) == oursFirst) a = measure(docker, stack, v1, () -> runPlan(stackPlan, known));
        else b = measure(docker, cliStack, v1, () -> { for (String s : cliStack) cli(docker, s); });
      }
      if (round == 0) continue;
      oursStack.add(a);
      cliStackSamples.add(b);
      System.out.printf(Locale.ROOT, "stack round %d (%s first): ours %s | 5 x docker service rollback %s%n", round,
          oursFirst ? "ours" : "cli", a, b);
    }
    report("stack of 5 services (1 replica each)", oursStack, cliStackSamples);
    System.out.printf(Locale.ROOT, "load average at the end: %s%n", load());
    System.exit(0);
  }

  static ObjectNode spec(RealSwarm docker, String name, String image, int replicas) {
    // on the host network, as the recorded figures were measured (a task stop then waits dockerd's 2 s)
    ObjectNode spec = RealSwarm.onHostNetwork(docker.serviceSpec(name, image, replicas));
    ObjectNode cfg = Api.JSON.createObjectNode();
    cfg.put("Parallelism", 1);
    cfg.put("Delay", 0);
    cfg.put("FailureAction", "pause");
    cfg.put("Monitor", MONITOR.toNanos());
    cfg.put("MaxFailureRatio", 0);
    cfg.put("Order", "stop-first");
    spec.set("UpdateConfig", cfg.deepCopy());
    spec.set("RollbackConfig", cfg.deepCopy());
    return spec;
  }

  static RollbackPlan planFor(DockerSwarm swarm, String service) {
    Step step = Swarm.restoreKnownGood(swarm.service(service));
    return RollbackPlan.builder("bench " + service).sequential("swarm", s -> s.step(step)).build();
  }

  /** One engine for the whole benchmark: it journals the known-good its runs read back, and is warm. */
  static final RollbackEngine ENGINE = RollbackEngine.builder().build();

  static KnownGood captureKnownGood(RollbackPlan plan) {
    return ENGINE.captureKnownGood(plan, Deployment.of("bench", "2"));
  }

  static void runPlan(RollbackPlan plan, KnownGood known) {
    RollbackResult r = ENGINE.start(plan, Deployment.of("bench", "2"), RunOptions.defaults().withKnownGood(known))
        .await(Duration.ofSeconds(120));
    if (!r.outcome().isSuccess()) {
      System.err.println(r.summary());
      System.exit(1);
    }
  }

  static void cli(RealSwarm docker, String service) {
    try {
      // as a user would: "update out of sequence" (the service's version moved between the CLI's
      // read and its update, e.g. the manager finishing the previous update) is run again, the
      // time included; ours retries such a conflict from a fresh read itself
      for (int attempt = 1; ; attempt++) {
        Process p = new ProcessBuilder("docker", "-H", "unix://" + docker.socket, "service", "rollback", service)
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) break;
        if (attempt < 3 && out.contains("update out of sequence")) {
          System.out.printf(Locale.ROOT, "docker service rollback %s: update out of sequence, run again%n", service);
          continue;
        }
        throw new IllegalStateException("docker service rollback: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Time to every task on {@code image}, the tool's own wall time and the requests it sent; from the
   * daemon's log, when its first request and its first service update arrived (ms after the call).
   */
  record Sample(double convergedMs, double returnedMs, long requests, double firstRequestMs, double updateMs) {
    /** From the daemon receiving the (first) update to every task on the old spec: Swarm's own rollout. */
    double rolloutMs() {
      return convergedMs - updateMs;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "all tasks on the old spec %.0f ms, returned %.0f ms, %d requests,"
          + " first request at %.0f ms, update at %.0f ms, rollout after it %.0f ms",
          convergedMs, returnedMs, requests, firstRequestMs, updateMs, rolloutMs());
    }
  }

  static Sample measure(RealSwarm docker, List<String> services, String image, Runnable tool) throws Exception {
    long logBefore = Files.size(docker.log);
    Instant wallT0 = Instant.now();
    long t0 = System.nanoTime();
    long[] convergedAt = {-1};
    Thread observer = new Thread(() -> {
      while (convergedAt[0] < 0 && !Thread.currentThread().isInterrupted()) {
        if (BenchAccess.allOnImage(docker.api, services, image)) convergedAt[0] = System.nanoTime();
        else sleep(20);
      }
    }, "bench-observer");
    observer.start();
    tool.run();
    long returned = System.nanoTime();
    observer.join(120_000);
    sleep(300); // the daemon writes its log line as it handles a request
    List<String> calls = requestsLogged(docker, logBefore);
    double first = calls.isEmpty() ? Double.NaN : msAfter(wallT0, calls.get(0));
    double update = calls.stream().filter(l -> UPDATE.matcher(l).find()).findFirst().map(l -> msAfter(wallT0, l)).orElse(Double.NaN);
    return new Sample((convergedAt[0] - t0) / 1e6, (returned - t0) / 1e6, calls.size(), first, update);
  }

  private static final Pattern UPDATE = Pattern.compile("Calling POST /(v[0-9.]+/)?services/[^/ ]+/update");
  private static final Pattern TIME = Pattern.compile("^time=\"([^\"]+)\"");

  /** Milliseconds from {@code t0} to the time stamp of a daemon log line (the daemon and we share the clock). */
  static double msAfter(Instant t0, String line) {
    Matcher m = TIME.matcher(line);
    if (!m.find()) return Double.NaN;
    return Duration.between(t0, OffsetDateTime.parse(m.group(1)).toInstant()).toNanos() / 1e6;
  }

  /** The daemon's "Calling METHOD PATH" lines since {@code from}, the observer's left out. */
  static List<String> requestsLogged(RealSwarm docker, long from) throws IOException {
    byte[] all = Files.readAllBytes(docker.log);
    String window = new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8);
    return window.lines().filter(l -> l.contains("msg=\"Calling ")).filter(l -> !l.contains(BenchAccess.MARKER)).toList();
  }

  static void report(String what, List<Sample> ours, List<Sample> cli) {
    List<Double> pairedTime = new ArrayList<>();
    List<Double> pairedRequests = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) {
      pairedTime.add(ours.get(i).convergedMs() / cli.get(i).convergedMs());
      pairedRequests.add((double) ours.get(i).requests() / cli.get(i).requests());
    }
    System.out.printf(Locale.ROOT, "%s, median of the per-round ratios ours/docker: time to all tasks on the old spec %.3fx"
        + " (rounds %s), requests %.3fx%n", what, median(pairedTime), pairedTime.stream()
        .map(r -> String.format(Locale.ROOT, "%.3f", r)).toList(), median(pairedRequests));
    double oc = median(ours.stream().map(Sample::convergedMs).toList());
    double cc = median(cli.stream().map(Sample::convergedMs).toList());
    double or = median(ours.stream().map(s -> (double) s.requests()).toList());
    double cr = median(cli.stream().map(s -> (double) s.requests()).toList());
    double ow = median(ours.stream().map(Sample::returnedMs).toList());
    double cw = median(cli.stream().map(Sample::returnedMs).toList());
    System.out.printf(Locale.ROOT, "%s, median of %d: all tasks on the old spec ours %.0f ms vs docker %.0f ms (%.2fx); "
        + "requests ours %.0f vs docker %.0f (%.2fx); returned ours %.0f ms vs docker %.0f ms%n",
        what, ours.size(), oc, cc, oc / cc, or, cr, or / cr, ow, cw);
    List<Double> pairedRollout = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) pairedRollout.add(ours.get(i).rolloutMs() / cli.get(i).rolloutMs());
    System.out.printf(Locale.ROOT, "%s, median of %d: first request at ours %.0f ms vs docker %.0f ms; (first) update at"
        + " ours %.0f ms vs docker %.0f ms; from it to all tasks on the old spec ours %.0f ms vs docker %.0f ms,"
        + " median of the per-round ratios %.3fx (rounds %s)%n", what, ours.size(),
        median(ours.stream().map(Sample::firstRequestMs).toList()), median(cli.stream().map(Sample::firstRequestMs).toList()),
        median(ours.stream().map(Sample::updateMs).toList()), median(cli.stream().map(Sample::updateMs).toList()),
        median(ours.stream().map(Sample::rolloutMs).toList()), median(cli.stream().map(Sample::rolloutMs).toList()),
        median(pairedRollout), pairedRollout.stream().map(r -> String.format(Locale.ROOT, "%.3f", r)).toList());
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static String load() {
    try {
      return Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
