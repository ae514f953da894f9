package dev.rollback.examples;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;

import com.sun.net.httpserver.HttpServer;
import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.Snapshot;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.journal.FileJournal;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The drill: a release of a checkout service goes bad and is rolled back, in one process.
 *
 * <p>Two versions of the service answer HTTP on loopback (v1 good, v2 failing every checkout).
 * An in-process router splits traffic between them by weight, a flag store holds the
 * {@code new-checkout} flag, and a load generator sends requests through the router. The release
 * turns the flag on, moves traffic to v2 and "deploys" v2; an error-ratio trigger sees checkouts
 * fail and the engine reverts every change in reverse order. The journal and the reports are
 * written to a folder named on exit.
 */
public final class Drill {
  private Drill() {}

  /** The in-process systems the release changes. */
  static final class Shop {
    final Map<String, Boolean> flags = new ConcurrentHashMap<>(Map.of("new-checkout", false));
    final Map<String, Integer> weights = new ConcurrentHashMap<>(Map.of("v1", 100, "v2", 0));
    volatile String deployed = "v1";
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
  }

  public static void main(String[] args) throws Exception {
    Path out = args.length > 0 ? Path.of(args[0])
        : Path.of("rollback-drill-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()));
    RollbackResult result = run(out);
    System.out.println();
    System.out.println("Drill finished: " + result.outcome() + " — " + result.summary());
    System.out.println("Reports written to " + out.toAbsolutePath() + " (report.md, report.json, timeline.json, postmortem.md, postmortem.html, journal/)");
  }

  /** Runs the drill and writes its files to {@code out}; returns the run's result. */
  public static RollbackResult run(Path out) throws Exception {
    Files.createDirectories(out);
    Shop shop = new Shop();
    HttpServer v1 = serve("v1", false);
    HttpServer v2 = serve("v2", true);
    HttpClient http = HttpClient.newBuilder().connectTimeout(ofSeconds(2)).build();
    ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
    try {
      // 100 requests/s through the router, counted in a sliding window by the trigger
      load.scheduleAtFixedRate(() -> send(shop, http, v1, v2), 0, 10, TimeUnit.MILLISECONDS);

      Release release = Release.builder("checkout-2.4.0")
          .forDeployment(Deployment.of("checkout", "2.4.0"))
          .change(Change.of("enable new-checkout",
                  ctx -> shop.flags.put("new-checkout", true),
                  ctx -> shop.flags.put("new-checkout", Boolean.parseBoolean(ctx.knownGood().orElseThrow().require("on"))))
              .capturingKnownGood(ctx -> Snapshot.of("on", String.valueOf(shop.flags.get("new-checkout")))))
          .change(Change.of("shift traffic to v2",
                  ctx -> { shop.weights.put("v1", 0); shop.weights.put("v2", 100); },
                  ctx -> {
                    Snapshot good = ctx.knownGood().orElseThrow();
                    shop.weights.put("v1", Integer.parseInt(good.require("v1")));
                    shop.weights.put("v2", Integer.parseInt(good.require("v2")));
                  })
              .capturingKnownGood(ctx -> Snapshot.of(Map.of("v1", "" + shop.weights.get("v1"), "v2", "" + shop.weights.get("v2")))))
          .change(Change.of("deploy v2", ctx -> shop.deployed = "v2", ctx -> shop.deployed = "v1"))
          .healthGate(HealthCheck.of("v2 answers", () -> get(http, v2) > 0 ? HealthStatus.UP : HealthStatus.DOWN)).within(ofSeconds(5))
          .bakeFor(ofSeconds(10)).checkingEvery(ofMillis(250))
          .trigger(errorRatio(shop, 0.05))
          .verifiedBy(HealthCheck.of("v1 answers", () -> get(http, v1) == 200 ? HealthStatus.UP : HealthStatus.DOWN))
          .build();

      System.out.println(RollbackEngine.dryRun(release));
      try (FileJournal journal = FileJournal.create(out.resolve("journal"));
           RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withListener(Drill::print).build()) {
        RollbackResult result = engine.run(release);
        RunReport report = RunReport.of(journal, result.runId());
        Files.writeString(out.resolve("report.md"), report.toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("report.json"), report.toJson(), StandardCharsets.UTF_8);
        Timeline timeline = Timeline.of(journal, result.runId());
        PostMortem postMortem = PostMortem.of(timeline);
        Files.writeString(out.resolve("timeline.json"), timeline.toJson(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("postmortem.md"), postMortem.toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("postmortem.html"), HtmlReport.of(postMortem), StandardCharsets.UTF_8);
        System.out.println("time to detect: " + timeline.timeToDetect().map(Duration::toMillis).map(ms -> ms + " ms").orElse("—")
            + ", time to mitigate: " + timeline.timeToMitigate().map(Duration::toMillis).map(ms -> ms + " ms").orElse("—"));
        System.out.printf("after the rollback: flag new-checkout=%s, weights=%s, deployed=%s%n",
            shop.flags.get("new-checkout"), shop.weights, shop.deployed);
        return result;
      }
    } finally {
      load.shutdownNow();
      v1.stop(0);
      v2.stop(0);
    }
  }

  private static void print(RollbackEvent e) {
    if (e instanceof RollbackEvent.StepFinished f) {
      System.out.println("  " + f.step() + ": " + f.outcome());
    } else if (e instanceof RollbackEvent.RollbackTriggered t) {
      System.out.println("ROLLBACK: " + t.reason());
    }
  }

  /**
   * Fires when more than {@code threshold} of the requests since the evaluator's last look failed
   * (at least 20 of them). The trigger only describes the rule; what was seen at the last look is
   * each evaluator's own, so a release and a guard can share the trigger.
   */
  static Trigger errorRatio(Shop shop, double threshold) {
    return new Trigger() {
      @Override public String name() { return "checkout error ratio"; }

      @Override public Duration worstCaseDetection() { return ofMillis(250).multipliedBy(2); }

      @Override
      public Evaluator newEvaluator() {
        Trigger trigger = this;
        return new Evaluator() {
          private long lastRequests;
          private long lastErrors;

          @Override public Trigger trigger() { return trigger; }

          @Override
          public synchronized Evaluation evaluate(Instant now) {
            long r = shop.requests.get();
            long e = shop.errors.get();
            long dr = r - lastRequests;
            long de = e - lastErrors;
            if (dr < 20) return Evaluation.hold(trigger.name(), now, "only " + dr + " requests since the last look");
            lastRequests = r;
            lastErrors = e;
            double ratio = (double) de / dr;
            String evidence = String.format("%d of %d checkouts failed (%.0f%%, threshold %.0f%%)", de, dr, ratio * 100, threshold * 100);
            return ratio > threshold ? Evaluation.rollBack(trigger.name(), now, evidence) : Evaluation.hold(trigger.name(), now, evidence);
          }
        };
      }
    };
  }

  private static void send(Shop shop, HttpClient http, HttpServer v1, HttpServer v2) {
    int w2 = shop.weights.getOrDefault("v2", 0);
    boolean toV2 = "v2".equals(shop.deployed) && Math.floorMod(shop.requests.get() * 37, 100) < w2;
    try {
      int status = get(http, toV2 ? v2 : v1);
      shop.requests.incrementAndGet();
      if (status >= 500) shop.errors.incrementAndGet();
    } catch (RuntimeException e) {
      shop.requests.incrementAndGet();
      shop.errors.incrementAndGet();
    }
  }

  private static int get(HttpClient http, HttpServer server) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/checkout"))
          .timeout(ofSeconds(2)).build();
      return http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static HttpServer serve(String version, boolean broken) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/checkout", ex -> {
      byte[] body = (version + (broken ? " failed to charge the card" : " ok")).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(broken ? 500 : 200, body.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(body);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "drill-" + version);
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return server;
  }
}
