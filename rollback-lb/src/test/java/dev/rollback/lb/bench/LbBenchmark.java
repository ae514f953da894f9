package dev.rollback.lb.bench;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.lb.AdminState;
import dev.rollback.lb.Cutover;
import dev.rollback.lb.HaproxyProcess;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.LoadGenerator.Response;
import dev.rollback.lb.LoadGenerator;
import dev.rollback.lb.Operational;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.TestBackend;
import dev.rollback.lb.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bad release on real HAProxy: v2 answers every business request with 500 while its /health
 * stays 200, under 200 requests/s. Measures, in the same run and alternating, 10 runs each:
 * (a) the embedded guard (sequential rule on v2's in-process request recorder, or on HAProxy's 5xx counters) plus the HAProxy
 * router restoring the known-good routing, and (b) HAProxy alone ({@code observe layer7
 * error-limit 10 on-error mark-down}, {@code option httpchk}, v1 as backup). Then times single
 * runtime API commands over the unix socket and TCP. Not part of {@code mvn verify}: run
 * {@code scripts/bench/lb.sh}.
 */
public final class LbBenchmark {
  private static final int RATE = 200;
  private static final Duration WINDOW = Duration.ofSeconds(4);

  record Run(String mode, int run, long errors, long v2Served, double releaseToLastV2Ms, long errorsToFirstStop,
      double releaseToFirstStopMs, int v2Episodes, double fireAfterReleaseMs, double fireToLastV2Ms,
      double fireToRestoredMs, double rate, long sent, long answered) {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    List<Run> results = new ArrayList<>();
    try (TestBackend v1 = TestBackend.start("v1"); TestBackend v2 = TestBackend.start("v2")) {
      v2.failBusinessRequests(true);
      warmUp(v1, v2);
      System.out.println("warm-up runs (not counted):");
      guardRun(v1, v2, 0, false);
      guardRun(v1, v2, 0, true);
      haproxyAloneRun(v1, v2, 0);
      System.out.println("measured runs:");
      for (int i = 1; i <= runs; i++) {
        results.add(guardRun(v1, v2, i, false));
        results.add(guardRun(v1, v2, i, true));
        results.add(haproxyAloneRun(v1, v2, i));
      }
      System.out.println();
      System.out.println("| mode | run | client-visible errors in " + WINDOW.toSeconds() + " s | errors until v2 first "
          + "stopped | release→v2 first stopped (ms) | times v2 took traffic | release→last v2 request (ms) | "
          + "release→trigger (ms) | trigger→last v2 request (ms) | trigger→routing restored (ms) | req/s |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
      for (Run r : results) {
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.0f | %d | %.0f | %s | %s | %s | %.0f |%n", r.mode, r.run,
            r.errors, r.errorsToFirstStop, r.releaseToFirstStopMs, r.v2Episodes, r.releaseToLastV2Ms,
            fmt(r.fireAfterReleaseMs), fmt(r.fireToLastV2Ms), fmt(r.fireToRestoredMs), r.rate);
      }
      System.out.println();
      summary("a1 guard (in-process recorder) + router", results.stream().filter(r -> r.mode.startsWith("a1")).toList());
      summary("a2 guard (HAProxy 5xx counters) + router", results.stream().filter(r -> r.mode.startsWith("a2")).toList());
      summary("b haproxy alone", results.stream().filter(r -> r.mode.startsWith("b")).toList());
      commandTiming(v1, v2);
    }
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static void summary(String mode, List<Run> rs) {
    double[] errors = rs.stream().mapToDouble(Run::errors).sorted().toArray();
    double[] firstErrors = rs.stream().mapToDouble(Run::errorsToFirstStop).sorted().toArray();
    double[] firstStop = rs.stream().mapToDouble(Run::releaseToFirstStopMs).sorted().toArray();
    double[] last = rs.stream().mapToDouble(Run::releaseToLastV2Ms).sorted().toArray();
    double[] fireToLast = rs.stream().mapToDouble(Run::fireToLastV2Ms).filter(d -> !Double.isNaN(d)).sorted().toArray();
    double[] fireToRestored = rs.stream().mapToDouble(Run::fireToRestoredMs).filter(d -> !Double.isNaN(d)).sorted().toArray();
    System.out.printf(Locale.ROOT, "%s: errors in the window median %.0f max %.0f; errors until v2 first stopped "
        + "median %.0f max %.0f; release→v2 first stopped median %.0f ms max %.0f ms; release→last v2 median %.0f ms max %.0f ms",
        mode, median(errors), max(errors), median(firstErrors), max(firstErrors), median(firstStop), max(firstStop),
        median(last), max(last));
    if (fireToLast.length > 0) {
      System.out.printf(Locale.ROOT, "; trigger→last v2 request median %.1f ms max %.1f ms; trigger→routing restored median %.1f ms max %.1f ms",
          median(fireToLast), max(fireToLast), median(fireToRestored), max(fireToRestored));
    }
    System.out.println();
  }

  private static double median(double[] v) {
    return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double max(double[] v) {
    return v.length == 0 ? Double.NaN : v[v.length - 1];
  }

  /**
   * (a): traffic on v1 (known good), the release moves it to v2, the guard fires, the router
   * restores. a1: the guard watches v2's in-process request recorder (woken by each failure);
   * a2: it watches HAProxy's 5xx counter of v2 (show stat polled every 10 ms).
   */
  private static Run guardRun(TestBackend v1, TestBackend v2, int i, boolean onHaproxyCounters) throws Exception {
    Path dir = Files.createTempDirectory("lb-bench-a");
    String body = "  balance roundrobin\n  option httpchk GET /health\n"
        + "  server v1 127.0.0.1:" + v1.port() + " weight 100 check inter 1s\n"
        + "  server v2 127.0.0.1:" + v2.port() + " weight 0 check inter 1s\n";
    try (HaproxyProcess haproxy = HaproxyProcess.withBackend(dir, body);
         RollbackEngine engine = RollbackEngine.builder().build()) {
      HaproxyRouter router = HaproxyRouter.unixSocket(haproxy.socket());
      awaitUp(router);
      RequestRecorder requests = RequestRecorder.create("v2 requests", RATE);
      v2.onBusinessRequest(status -> requests.record(
          status >= 500 ? RequestRecorder.Outcome.FAILURE : RequestRecorder.Outcome.SUCCESS, 0));
      Signal signal = onHaproxyCounters
          ? HaproxyRouter.unixSocket(haproxy.socket()).responsesOf("app", "v2", Duration.ofMillis(10)) : requests;
      FiringTime trigger = new FiringTime(Trigger.sequential(signal));
      RollbackPlan plan = RollbackPlan.builder("bench-restore")
          .sequential("traffic", s -> s.step(Traffic.restoreKnownGood(router, "app"))).build();
      try (Guard guard = Guard.builder(plan, Deployment.of("bench-a" + (onHaproxyCounters ? "2-" : "1-") + i, "2.0.0"))
          .withEngine(engine).trigger(trigger).withBakeTime(Duration.ofMinutes(1))
          .withEvaluationInterval(Duration.ofMillis(onHaproxyCounters ? 10 : 250)).build();
           LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), RATE)) {
        guard.arm();
        pause(Duration.ofMillis(500));
        long release = System.nanoTime();
        router.apply(RoutingState.of("app", Map.of("v1", ServerRoute.of(100, AdminState.DRAIN),
            "v2", ServerRoute.ready(100))), Cutover.drain());
        pause(WINDOW);
        double rate = load.rate();
        long sent = load.sent();
        List<Response> responses = load.stop();
        v2.onBusinessRequest(status -> {});
        RollbackResult result = guard.run().orElseThrow(() -> new IllegalStateException("guard did not fire")).await();
        double fireToRestored = Duration.between(trigger.firedAt(), result.finishedAt()).toNanos() / 1e6;
        return measure(onHaproxyCounters ? "a2 guard on haproxy counters" : "a1 guard in-process", i, responses,
            release, trigger.firedNanos(), fireToRestored, rate, sent);
      }
    }
  }

  /** (b): v2 active, v1 backup; HAProxy marks v2 down after 10 layer-7 errors, its health checks bring it back. */
  private static Run haproxyAloneRun(TestBackend v1, TestBackend v2, int i) throws Exception {
    Path dir = Files.createTempDirectory("lb-bench-b");
    String body = "  balance roundrobin\n  option httpchk GET /health\n"
        + "  server v1 127.0.0.1:" + v1.port() + " weight 100 check inter 1s backup\n"
        + "  server v2 127.0.0.1:" + v2.port() + " weight 100 check inter 1s rise 2 fall 3"
        + " observe layer7 error-limit 10 on-error mark-down\n";
    try (HaproxyProcess haproxy = HaproxyProcess.withBackend(dir, body)) {
      HaproxyRouter router = HaproxyRouter.unixSocket(haproxy.socket());
      awaitUp(router);
      router.command("set server app/v2 state maint");
      try (LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), RATE)) {
        pause(Duration.ofMillis(500));
        long release = System.nanoTime();
        router.command("set server app/v2 state ready");
        pause(WINDOW);
        double rate = load.rate();
        long sent = load.sent();
        List<Response> responses = load.stop();
        return measure("b haproxy alone", i, responses, release, -1, Double.NaN, rate, sent);
      }
    }
  }

  private static Run measure(String mode, int i, List<Response> responses, long release, long fired,
      double fireToRestored, double rate, long sent) {
    List<Response> after = responses.stream().filter(r -> r.sentNanos() >= release).toList();
    long errors = after.stream().filter(r -> r.status() != 200).count();
    List<Response> v2 = after.stream().filter(r -> r.servedBy().equals("v2")).toList();
    long lastV2 = v2.stream().mapToLong(Response::sentNanos).max().orElse(release);
    double fireAfterRelease = fired < 0 ? Double.NaN : (fired - release) / 1e6;
    double fireToLast = fired < 0 ? Double.NaN : (lastV2 - fired) / 1e6;
    // v2 "stopped" when no request reached it for 200 ms (at 200 req/s one arrives every 5 ms)
    long firstStop = lastV2;
    int episodes = v2.isEmpty() ? 0 : 1;
    for (int k = 1; k < v2.size(); k++) {
      if (v2.get(k).sentNanos() - v2.get(k - 1).sentNanos() > 200_000_000L) {
        if (episodes == 1) firstStop = v2.get(k - 1).sentNanos();
        episodes++;
      }
    }
    long stop = firstStop;
    long errorsToFirstStop = after.stream().filter(r -> r.status() != 200 && r.sentNanos() <= stop).count();
    Run r = new Run(mode, i, errors, v2.size(), (lastV2 - release) / 1e6, errorsToFirstStop,
        (firstStop - release) / 1e6, episodes, fireAfterRelease, fireToLast, fireToRestored, rate, sent,
        responses.size());
    System.out.println(r);
    return r;
  }

  /** Times single runtime API commands (connect, send, read the answer, close) over both transports. */
  private static void commandTiming(TestBackend v1, TestBackend v2) throws Exception {
    Path dir = Files.createTempDirectory("lb-bench-cmd");
    String body = "  balance roundrobin\n"
        + "  server v1 127.0.0.1:" + v1.port() + " weight 100\n"
        + "  server v2 127.0.0.1:" + v2.port() + " weight 0\n";
    try (HaproxyProcess haproxy = HaproxyProcess.withBackend(dir, body)) {
      for (HaproxyRouter router : List.of(HaproxyRouter.unixSocket(haproxy.socket()),
          HaproxyRouter.tcp("127.0.0.1", haproxy.adminPort()))) {
        for (int w = 0; w < 500; w++) router.command("set server app/v1 weight 100");
        int n = 2000;
        long[] ns = new long[n];
        for (int k = 0; k < n; k++) {
          long t = System.nanoTime();
          router.command("set server app/v1 weight " + (k % 2 == 0 ? 100 : 99));
          ns[k] = System.nanoTime() - t;
        }
        Arrays.sort(ns);
        System.out.printf(Locale.ROOT, "single command `set server app/v1 weight N` over %s (%d runs): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms%n",
            router.name().contains("unix:") ? "the unix socket" : "TCP", n,
            ns[n / 2] / 1e6, ns[n * 9 / 10] / 1e6, ns[n * 99 / 100] / 1e6, ns[n - 1] / 1e6);
        long t = System.nanoTime();
        router.apply(RoutingState.of("app", Map.of("v1", ServerRoute.of(100, AdminState.DRAIN),
            "v2", ServerRoute.ready(100))), Cutover.drain());
        long flip = System.nanoTime() - t;
        router.apply(RoutingState.of("app", Map.of("v1", ServerRoute.ready(100), "v2", ServerRoute.ready(0))),
            Cutover.drain());
        System.out.printf(Locale.ROOT, "  one whole blue/green apply (read, 2 commands, read back) over %s: %.3f ms%n",
            router.name().contains("unix:") ? "the unix socket" : "TCP", flip / 1e6);
      }
    }
  }

  private static void warmUp(TestBackend v1, TestBackend v2) throws Exception {
    Path dir = Files.createTempDirectory("lb-bench-warm");
    String body = "  balance roundrobin\n  server v1 127.0.0.1:" + v1.port() + " weight 100\n";
    try (HaproxyProcess haproxy = HaproxyProcess.withBackend(dir, body);
         LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), RATE)) {
      pause(Duration.ofSeconds(2));
      load.stop();
    }
  }

  private static void awaitUp(HaproxyRouter router) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try {
        if (router.read("app").servers().values().stream().allMatch(r -> r.operational() == Operational.UP)) return;
      } catch (RuntimeException e) {
        // not up yet
      }
      pause(Duration.ofMillis(20));
    }
    throw new IllegalStateException("servers not UP in " + router.name());
  }

  private static void pause(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  /** Delegates to a rule and remembers when one of its evaluators first said ROLL_BACK. */
  static final class FiringTime implements Trigger {
    private final Trigger rule;
    private final AtomicLong firedNanos = new AtomicLong(-1);
    private volatile Instant firedAt = Instant.MAX;

    FiringTime(Trigger rule) {
      this.rule = rule;
    }

    long firedNanos() { return firedNanos.get(); }
    Instant firedAt() { return firedAt; }

    @Override public String name() { return rule.name(); }
    @Override public Duration worstCaseDetection() { return rule.worstCaseDetection(); }
    @Override public String detectionFormula() { return rule.detectionFormula(); }
    @Override public List<Signal> signals() { return rule.signals(); }

    @Override
    public Evaluator newEvaluator() {
      Evaluator inner = rule.newEvaluator();
      return new Evaluator() {
        @Override public Trigger trigger() { return FiringTime.this; }
        @Override public Evaluation evaluate(Instant now) { return seen(inner.evaluate(now)); }
        @Override public Evaluation evaluateAtDeadline(Instant now) { return seen(inner.evaluateAtDeadline(now)); }
      };
    }

    private Evaluation seen(Evaluation e) {
      if (e.verdict() == Verdict.ROLL_BACK && firedNanos.compareAndSet(-1, System.nanoTime())) firedAt = Instant.now();
      return e;
    }
  }
}
