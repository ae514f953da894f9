package dev.rollback.notify.bench;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.Notifier;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.notify.EmailNotifier;
import dev.rollback.notify.PagerDutyNotifier;
import dev.rollback.notify.Secret;
import dev.rollback.notify.SlackNotifier;
import dev.rollback.notify.WebhookNotifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * Does notification delivery add to the rollback's critical path? The same plan, in the same
 * JVM, with four channels (Slack and PagerDuty against local fakes, e-mail against GreenMail, and
 * a webhook whose server never answers) and with none. Every step fails (policy CONTINUE), so
 * every step sends a STEP_FAILED notification to all four channels: the worst case. Prints the
 * median time per step of each and the difference. Not part of {@code mvn verify}; run
 * {@code scripts/bench/notify.sh}.
 */
public final class NotifyBenchmark {
  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    CountDownLatch never = new CountDownLatch(1);
    HttpServer ok = server(200, "ok", null);
    HttpServer pd = server(202, "{\"status\":\"success\"}", null);
    HttpServer hang = server(200, "", never);
    GreenMail smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      CommunicationPlan four = CommunicationPlan.builder()
          .audience("on-call", PagerDutyNotifier.events(Secret.of("bench-routing-key")).withBaseUri(uri(pd, "")),
              EmailNotifier.smtp("127.0.0.1", smtp.getSmtp().getPort()).from("rollback@example.com").to("oncall@example.com"))
          .audience("stakeholders", SlackNotifier.webhook(Secret.of(uri(ok, "/services/T/B/x").toString())),
              WebhookNotifier.to(uri(hang, "/hook"), Secret.of("k")).withTimeout(Duration.ofMinutes(10)))
          .routeAll("on-call").routeAll("stakeholders")
          .escalate("on-call", Duration.ofMinutes(5), "stakeholders") // each run's page arms an escalation timer
          .build();
      Notifier noop = named("noop", () -> { });
      Notifier blocked = named("blocked", never::await);
      CommunicationPlan fourNoop = CommunicationPlan.builder()
          .audience("on-call", noop, named("noop2", () -> { }))
          .audience("stakeholders", named("noop3", () -> { }), blocked)
          .routeAll("on-call").routeAll("stakeholders")
          .build();
      RollbackPlan withFour = plan(steps, four);
      RollbackPlan withFourNoop = plan(steps, fourNoop);
      RollbackPlan withNone = plan(steps, CommunicationPlan.none());
      for (int i = 0; i < 5; i++) { // warm-up
        run(engine, withNone);
        run(engine, withFour);
        run(engine, withFourNoop);
      }
      List<Double> none = new ArrayList<>();
      List<Double> channels = new ArrayList<>();
      List<Double> noops = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        none.add(run(engine, withNone) / steps);
        channels.add(run(engine, withFour) / steps);
        noops.add(run(engine, withFourNoop) / steps);
      }
      double a = median(none);
      double b = median(channels);
      double c = median(noops);
      System.out.printf(Locale.ROOT, "steps per run: %d, rounds: %d (every step fails and notifies 4 channels; one hangs)%n", steps, rounds);
      System.out.printf(Locale.ROOT, "no channels:   median %.4f ms per step%n", a);
      System.out.printf(Locale.ROOT, "four channels: median %.4f ms per step%n", b);
      System.out.printf(Locale.ROOT, "difference:    %.4f ms per step (target < 1 ms)%n", b - a);
      System.out.printf(Locale.ROOT, "four in-memory channels (3 no-op, 1 blocked forever): median %.4f ms per step, difference %.4f ms%n",
          c, c - a);
      System.out.printf(Locale.ROOT, "e-mails delivered meanwhile: %d%n", smtp.getReceivedMessages().length);
    } finally {
      never.countDown();
      ok.stop(0);
      pd.stop(0);
      hang.stop(0);
      smtp.stop();
    }
    System.exit(0);
  }

  interface Body {
    void run() throws Exception;
  }

  private static Notifier named(String name, Body body) {
    return new Notifier() {
      @Override public String name() { return name; }
      @Override public void send(Notification n) throws Exception { body.run(); }
    };
  }

  private static RollbackPlan plan(int steps, CommunicationPlan comms) {
    return RollbackPlan.builder("bench")
        .sequential("all", s -> {
          for (int i = 0; i < steps; i++) {
            s.step(Step.builder("s" + i).execute(ctx -> { throw new IllegalStateException("scripted failure"); }).build());
          }
        })
        .withFailurePolicy(FailurePolicy.CONTINUE)
        .withCommunication(comms)
        .build();
  }

  /** Milliseconds of one run. */
  private static double run(RollbackEngine engine, RollbackPlan plan) {
    long t0 = System.nanoTime();
    RollbackResult r = engine.run(plan, Deployment.of("bench", "1"));
    long t1 = System.nanoTime();
    if (r.steps().size() != plan.steps().size()) throw new IllegalStateException("unexpected result " + r);
    return (t1 - t0) / 1e6;
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  private static HttpServer server(int status, String body, CountDownLatch block) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
    s.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    }));
    s.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      if (block != null) {
        try {
          block.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
      if (b.length > 0) ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
    return s;
  }

  private static URI uri(HttpServer s, String path) {
    return URI.create("http://127.0.0.1:" + s.getAddress().getPort() + path);
  }
}
