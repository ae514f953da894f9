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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Our restore to known-good next to {@code docker service rollback} on twin services (same
 * replicas, same update/rollback config), in the same run, alternating which goes first; then a
 * stack of five services restored at once next to five {@code docker service rollback} calls one
 * after another. Time until every task runs the old spec is measured by an observer that lists the
 * tasks every 20 ms (its requests are marked and not counted); API round-trips are counted from the
 * daemon's debug log ("Calling METHOD PATH" per request) between the start and the end of each tool.
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

  /** Time to every task on {@code image}, the tool's own wall time, and the requests it sent. */
  record Sample(double convergedMs, double returnedMs, long requests) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "all tasks on the old spec %.0f ms, returned %.0f ms, %d requests",
          convergedMs, returnedMs, requests);
    }
  }

  static Sample measure(RealSwarm docker, List<String> services, String image, Runnable tool) throws Exception {
    long logBefore = Files.size(docker.log);
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
    long requests = requestsLogged(docker, logBefore);
    return new Sample((convergedAt[0] - t0) / 1e6, (returned - t0) / 1e6, requests);
  }

  static long requestsLogged(RealSwarm docker, long from) throws IOException {
    byte[] all = Files.readAllBytes(docker.log);
    String window = new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8);
    return window.lines().filter(l -> l.contains("msg=\"Calling ")).filter(l -> !l.contains(BenchAccess.MARKER)).count();
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
