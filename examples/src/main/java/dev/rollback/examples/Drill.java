package dev.rollback.examples;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Snapshot;
import dev.rollback.StepOutcome;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.PropagationCheck;
import dev.rollback.flags.Rollout;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.jdbc.Fingerprint;
import dev.rollback.jdbc.Migrations;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.RunHistory;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.Traffic;
import dev.rollback.notify.Secret;
import dev.rollback.notify.WebhookNotifier;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.ReportFormat;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import dev.rollback.report.TimelineEntry;
import dev.rollback.spi.StateSteps;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The drill: checkout 2.4.0 goes out and goes bad, and the library rolls every layer back, on the
 * real modules.
 *
 * <p>Checkout 2.3.1 serves users through a load balancer. Release 2.4.0 (a {@link Release} run by
 * the engine, deepest layer first) migrates the database (dropping a column whose values
 * {@code rollback-jdbc} archives), starts 2.4.0 next to 2.3.1, moves the traffic to it
 * ({@code rollback-lb}) and turns on the flag of its new checkout path for half of the users
 * ({@code rollback-featureflags}, OpenFeature in-memory). That path fails. Version 2.4.0 records its
 * own requests in a {@link RequestRecorder}, and the {@link Guard} armed before the release
 * watches it with the library's trigger rules; it fires and runs the rollback plan, fastest lever
 * first: the flag's kill switch, the traffic back to its known-good routing, 2.4.0 stopped, the
 * database rolled back with its archived data restored and the table's fingerprint checked. The
 * on-call team hears about it through {@code rollback-notify}'s signed webhook, and the reports
 * and the post-mortem are written from the journal.
 *
 * <p>Embedded by default (an in-process load balancer, H2 in memory); {@code --real} runs the same
 * drill against a real HAProxy and PostgreSQL 15, started here on loopback and stopped at the end.
 */
public final class Drill {
  static final String SERVICE = "checkout";
  static final String OLD = "2.3.1";
  static final String NEW = "2.4.0";
  static final String FLAG = CheckoutService.FLAG;
  static final int ORDERS = 240;

  private Drill() {}

  /** Where the drill runs. */
  public enum Mode {
    /** An in-process load balancer and H2 in memory: needs nothing but Java. */
    EMBEDDED,
    /** HAProxy and PostgreSQL 15 from Debian's packages, started on loopback for the drill. */
    REAL
  }

  /**
   * What happened: the release's and the rollback's results, the story as printed, and the facts
   * it tells.
   *
   * @param traffic requests and failures by the version that answered them
   * @param afterRollback requests answered after the rollback ended, and how many of them failed
   * @param notifications what the on-call webhook received, as {@code KIND: title}
   */
  public record Outcome(Mode mode, Path reports, RollbackResult release, RollbackResult rollback, List<String> story,
      Map<String, Shoppers.Tally> traffic, Shoppers.Tally afterRollback, List<String> notifications,
      int giftNotesBefore, int giftNotesAfter, String fingerprintBefore, String fingerprintAfter, String databaseVersion) {
    public Outcome {
      story = List.copyOf(story);
      traffic = Map.copyOf(traffic);
      notifications = List.copyOf(notifications);
    }
  }

  public static void main(String[] args) throws Exception {
    Mode mode = Mode.EMBEDDED;
    Path out = null;
    for (String a : args) {
      if (a.equals("--real")) {
        mode = Mode.REAL;
      } else if (a.equals("--help") || a.equals("-h")) {
        System.out.println("usage: ./demo.sh [--real] [REPORT_DIR]");
        System.out.println("  --real      run against HAProxy and PostgreSQL 15 (installed by ./test.sh as root)");
        System.out.println("  REPORT_DIR  where the journal and reports go (default: ./rollback-drill-<time>)");
        return;
      } else if (a.startsWith("-")) {
        System.err.println("unknown option " + a + "; usage: ./demo.sh [--real] [REPORT_DIR]");
        System.exit(2);
      } else {
        out = Path.of(a);
      }
    }
    if (mode == Mode.REAL && !RealServers.missing().isEmpty()) {
      System.err.println("./demo.sh --real needs " + String.join(" and ", RealServers.missing()) + ".");
      System.err.println("Run ./test.sh as root once: its setup scripts (scripts/setup/20-postgres.sh, 30-lb.sh) install them.");
      System.exit(2);
    }
    if (out == null) {
      out = Path.of("rollback-drill-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now()));
    }
    Outcome o = run(out, mode, System.out);
    System.exit(o.rollback().outcome().isSuccess() ? 0 : 1);
  }

  /** Runs the embedded drill and writes its journal and reports to {@code out}. */
  public static Outcome run(Path out) throws Exception {
    return run(out, Mode.EMBEDDED, System.out);
  }

  /** Runs the drill in {@code mode}, telling its story on {@code print}, and writes its journal and reports to {@code out}. */
  public static Outcome run(Path out, Mode mode, PrintStream print) throws Exception {
    Files.createDirectories(out);
    Story story = new Story(print);
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put(OLD, RealServers.freePort());
    ports.put(NEW, RealServers.freePort());
    Map<String, Integer> weights = Map.of(OLD, 100, NEW, 0);
    byte[] key = new byte[24];
    new SecureRandom().nextBytes(key);
    Secret signingKey = Secret.of(HexFormat.of().formatHex(key));

    // the flags: one in-memory OpenFeature provider, in a domain of its own
    InMemoryFlagStore store = InMemoryFlagStore.create().defineOff(FLAG);
    String domain = "rollback-drill-" + UUID.randomUUID();
    OpenFeatureAPI.getInstance().setProviderAndWait(domain, store.provider());
    Client client = OpenFeatureAPI.getInstance().getClient(domain);
    FeatureFlags flags = FeatureFlags.using(store)
        .withPropagationCheck(PropagationCheck.of(client).withTimeout(ofSeconds(5)));

    // each version records its own requests; the guard of 2.4.0 watches 2.4.0's
    Map<String, RequestRecorder> recorders = Map.of(
        OLD, RequestRecorder.create(SERVICE + " " + OLD + " requests", 20),
        NEW, RequestRecorder.create(SERVICE + " " + NEW + " requests", 20));

    try (DrillSystems sys = mode == Mode.REAL ? DrillSystems.real(SERVICE, ports, weights)
            : DrillSystems.embedded(SERVICE, ports, weights);
         WebhookReceiver onCall = WebhookReceiver.start(signingKey);
         Workloads workloads = new Workloads(SERVICE, v -> CheckoutService.start(v, v.equals(NEW), client, recorders.get(v),
             ports.get(v)));
         FileJournal journal = FileJournal.create(out.resolve("journal"));
         RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      DataSource ds = sys.database();
      Migrations db = Migrations.builder(ds).fromClasspath("db/drill").verifying("orders").withActor("drill").build();
      db.migrateTo("1");
      seed(ds);
      int notesBefore = giftNotes(ds);
      Fingerprint before = fingerprint(ds);
      workloads.start(OLD);

      story.line("Rollback drill (" + sys.describe() + "): " + SERVICE + " " + OLD + " -> " + NEW + " and back");
      story.line("  load balancer  " + sys.router().name() + ", in front of " + OLD + " and " + NEW);
      story.line("  database       " + sys.databaseName() + ": orders has " + ORDERS + " rows, " + notesBefore
          + " with a gift note; schema version " + db.currentVersion());
      story.line("  flags          " + store.describe() + ": " + FLAG + " off");
      story.line("  on-call        a signed webhook to " + onCall.uri());
      story.line("  users          one checkout every 10 ms through the load balancer");

      URI probe = sys.frontend().resolve("/checkout?user=probe");
      CommunicationPlan comms = CommunicationPlan.builder()
          .audience("on-call", WebhookNotifier.to(onCall.uri(), signingKey).named("on-call webhook"))
          .route(NotificationKind.ROLLBACK_TRIGGERED, "on-call")
          .route(NotificationKind.STEP_FAILED, "on-call")
          .route(NotificationKind.ROLLBACK_COMPLETED, "on-call")
          .route(NotificationKind.ROLLBACK_FAILED, "on-call")
          .build();
      RollbackPlan plan = RollbackPlan.builder(SERVICE + "-" + NEW + " rollback")
          .sequential("flag", s -> s.step(flags.killSwitch(FLAG).withTimeout(ofSeconds(10))))
          .sequential("traffic", s -> s.step(Traffic.restoreKnownGood(sys.router(), SERVICE).withTimeout(ofSeconds(10))))
          .sequential("workload", s -> s.step(StateSteps.restoreKnownGood("restore " + SERVICE + " workloads", workloads)
              .withDescription("run the versions of " + SERVICE + " that ran when the guard was armed, stop the others")
              .withTimeout(ofSeconds(10))))
          .sequential("database", s -> s.step(db.rollbackToKnownGood().withTimeout(ofMinutes(1))))
          .verifiedBy(Traffic.probe(SERVICE + " through the load balancer", probe),
              HealthCheck.of("database at the known-good version 1",
                  () -> "1".equals(db.currentVersion()) ? HealthStatus.UP : HealthStatus.DOWN))
          .withBudget(ofMinutes(3))
          .withCommunication(comms)
          .build();

      RequestRecorder watched = recorders.get(NEW);
      Trigger sequential = Trigger.sequential(watched);
      Trigger errorRatio = Trigger.errorRatio(watched).above(0.05).over(ofSeconds(10)).minSamples(20);
      try (Shoppers users = Shoppers.start(sys.frontend(), ofMillis(10), 20_000);
           Guard guard = Guard.builder(plan, Deployment.of(SERVICE, NEW)).withEngine(engine)
               .trigger(sequential).trigger(errorRatio)
               .withBakeTime(ofMinutes(2))
               .build()) {
        guard.arm();
        story.line("");
        story.line("1. The guard of " + SERVICE + " " + NEW + " is armed before the release. It records the known-good state"
            + " (the flag's kill switch needs none: its target is off):");
        RunHistory armed = RunHistory.of(journal.read(guard.runId()));
        armed.knownGood().forEach((step, snapshot) -> story.line("     " + step + ": " + knownGood(step, snapshot, workloads)));
        story.line("   It watches " + watched.name() + " with two of the library's rules: " + sequential.name()
            + " (worst case " + ReportFormat.duration(sequential.worstCaseDetection()) + ") and " + errorRatio.name()
            + " (worst case " + ReportFormat.duration(errorRatio.worstCaseDetection()) + ").");

        Release release = Release.builder(SERVICE + "-" + NEW)
            .forDeployment(Deployment.of(SERVICE, NEW))
            .change(db.change("2"))
            .change(StateSteps.on(workloads).change("start " + SERVICE + " " + NEW, Workloads.Running.of(OLD, NEW)))
            .healthGate(sys.serving(NEW)).within(ofSeconds(15))
            .change(Traffic.change("route " + SERVICE + " to " + NEW, sys.router(), routing(0, 100)))
            .healthGate(Traffic.probe(SERVICE + " through the load balancer", probe)).within(ofSeconds(5))
            .change(flags.turnOn(FLAG, Rollout.percent(50)))
            .build();
        story.line("");
        story.line("2. Release " + NEW + ", deepest layer first (engine.run(release)):");
        RollbackResult released = engine.run(release);
        RunHistory rh = RunHistory.of(journal.read(released.runId()));
        stepLines(story, released, rh);
        story.line("   -> " + released.outcome() + " in " + ReportFormat.duration(released.elapsed()) + ".");
        Instant flagOn = rh.steps().stream().filter(h -> h.path().startsWith("turn on " + FLAG))
            .map(RunHistory.StepHistory::firstStartedAt).filter(java.util.Objects::nonNull).findFirst()
            .orElse(released.finishedAt());

        long end = System.nanoTime() + ofSeconds(60).toNanos();
        while (guard.run().isEmpty() && System.nanoTime() < end && guard.state() != GuardState.BAKED) {
          TimeUnit.MILLISECONDS.sleep(10);
        }
        if (guard.run().isEmpty()) {
          throw new IllegalStateException("the guard did not fire within 60 s of the flag turning on (state "
              + guard.state() + ", " + guard.status().detail() + ")");
        }
        RollbackResult rolled = guard.run().get().await(ofMinutes(2));
        Timeline timeline = Timeline.of(journal, rolled.runId());
        Optional<TimelineEntry> fired = timeline.entries(TimelineEntry.Kind.TRIGGER).stream().findFirst();
        story.line("");
        story.line("3. Half of the users now get " + NEW + "'s new checkout path, and it fails. The guard fired "
            + fired.map(f -> ReportFormat.duration(Duration.between(flagOn, f.at()))).orElse("?")
            + " after the flag went on:");
        story.line("     " + fired.map(TimelineEntry::text).orElse(timeline.reason()));

        story.line("");
        story.line("4. The rollback plan, fastest lever first (run by the guard, once):");
        RunHistory history = timeline.history();
        stepLines(story, rolled, history);
        story.line("   -> " + rolled.outcome() + " in " + ReportFormat.duration(rolled.elapsed()) + ": " + rolled.summary());
        rolled.verification().forEach(h -> story.line("     verified: " + h.check() + " " + h.status()
            + (h.detail().isEmpty() ? "" : " (" + h.detail() + ")")));

        Map<String, Shoppers.Tally> atEnd = users.tally();
        long answeredAtEnd = atEnd.values().stream().mapToLong(Shoppers.Tally::requests).sum();
        onCall.await(r -> r.kind().equals(NotificationKind.ROLLBACK_COMPLETED.name())
            || r.kind().equals(NotificationKind.ROLLBACK_FAILED.name()), ofSeconds(10));
        users.awaitAnswered(answeredAtEnd, 100, ofSeconds(20));
        Map<String, Shoppers.Tally> traffic = users.tally();
        users.close();
        Shoppers.Tally after = difference(traffic, atEnd);

        int notesAfter = giftNotes(ds);
        Fingerprint fpAfter = fingerprint(ds);
        String audit = lastAudit(ds);
        story.line("");
        story.line("5. The database is back at version " + db.currentVersion() + ": " + notesAfter + " of " + notesBefore
            + " gift notes restored from the archive; " + audit + ".");
        story.line("   orders fingerprint before the release " + describe(before) + ", after the rollback "
            + describe(fpAfter) + (same(before, fpAfter) ? " (the same)" : " (DIFFERENT)") + ".");

        List<String> notes = onCall.received().stream().map(r -> r.kind() + ": " + r.title()).toList();
        story.line("");
        story.line("6. The on-call webhook received " + notes.size() + " signed message" + (notes.size() == 1 ? "" : "s")
            + (onCall.rejected() == 0 ? "" : " (and rejected " + onCall.rejected() + " with a bad signature)") + ":");
        notes.forEach(n -> story.line("     " + n));

        story.line("");
        story.line("7. What the users saw: " + traffic.entrySet().stream()
            .map(e -> e.getKey() + " answered " + e.getValue().requests() + " checkouts (" + e.getValue().failures() + " failed)")
            .collect(Collectors.joining("; ")) + ".");
        story.line("   After the rollback: " + (after.requests() - after.failures()) + " of " + after.requests()
            + " checkouts succeeded, all on " + String.join(", ", versionsSince(traffic, atEnd)) + ".");
        story.line("   Time to detect " + timeline.timeToDetect().map(ReportFormat::duration).orElse("?")
            + " and to mitigate " + timeline.timeToMitigate().map(ReportFormat::duration).orElse("?")
            + ", counted from the guard's arming (the release took the first "
            + ReportFormat.duration(released.elapsed()) + ").");

        writeReports(out, journal, rolled.runId(), timeline);
        story.line("");
        story.line("Reports in " + out.toAbsolutePath() + ":");
        story.line("  postmortem.html  the post-mortem draft with its timeline chart (open it in a browser)");
        story.line("  postmortem.md    the same draft in Markdown");
        story.line("  report.md, report.json  the rollback run: steps, timings, trigger evidence");
        story.line("  timeline.json    the incident timeline, for incident tools");
        story.line("  journal/         the journal of both runs, the release's (" + released.runId() + ") and the rollback's ("
            + rolled.runId() + ")");
        return new Outcome(mode, out, released, rolled, story.lines(), traffic, after, notes, notesBefore, notesAfter,
            describe(before), describe(fpAfter), db.currentVersion());
      }
    } finally {
      OpenFeatureAPI.getInstance().getProvider(domain).shutdown();
    }
  }

  /** A known-good snapshot in words, decoded by the codec of the system it belongs to. */
  private static String knownGood(String step, Snapshot snapshot, Workloads workloads) {
    if (step.startsWith("traffic/")) return "routing " + RoutingState.fromSnapshot(snapshot);
    if (step.startsWith("workload/")) return String.valueOf(workloads.codec().decode(snapshot));
    if (step.startsWith("database/")) return "schema version " + snapshot.require("version");
    return String.valueOf(snapshot.values());
  }

  private static RoutingState routing(int oldWeight, int newWeight) {
    Map<String, ServerRoute> servers = new LinkedHashMap<>();
    servers.put(OLD, ServerRoute.ready(oldWeight));
    servers.put(NEW, ServerRoute.ready(newWeight));
    return RoutingState.of(SERVICE, servers);
  }

  /** One line per step the run reached, in the order they started, with the step's last note. */
  private static void stepLines(Story story, RollbackResult result, RunHistory history) {
    int width = result.steps().keySet().stream().mapToInt(String::length).max().orElse(10);
    for (RunHistory.StepHistory h : history.steps()) {
      StepOutcome o = result.steps().get(h.path());
      if (o == null || o instanceof StepOutcome.NotRun) continue;
      String how;
      if (o instanceof StepOutcome.Succeeded s) {
        how = "succeeded in " + ReportFormat.duration(s.duration());
      } else if (o instanceof StepOutcome.AlreadyApplied a) {
        how = "already applied (" + a.how() + ")";
      } else if (o instanceof StepOutcome.Failed f) {
        how = "FAILED after " + f.attempts() + " attempt(s): " + f.error();
      } else if (o instanceof StepOutcome.Skipped s) {
        how = "skipped: " + s.reason();
      } else if (o instanceof StepOutcome.Cancelled c) {
        how = "cancelled: " + c.reason();
      } else {
        how = "not run";
      }
      story.line(String.format("     %-" + width + "s  %s", h.path(), how));
      if (!h.notes().isEmpty()) story.line("     " + " ".repeat(width) + "  " + h.notes().get(h.notes().size() - 1));
    }
  }

  private static Shoppers.Tally difference(Map<String, Shoppers.Tally> now, Map<String, Shoppers.Tally> then) {
    long r = 0;
    long f = 0;
    for (Map.Entry<String, Shoppers.Tally> e : now.entrySet()) {
      Shoppers.Tally t = then.getOrDefault(e.getKey(), new Shoppers.Tally(0, 0));
      r += e.getValue().requests() - t.requests();
      f += e.getValue().failures() - t.failures();
    }
    return new Shoppers.Tally(r, f);
  }

  private static List<String> versionsSince(Map<String, Shoppers.Tally> now, Map<String, Shoppers.Tally> then) {
    List<String> versions = new ArrayList<>();
    now.forEach((v, t) -> {
      if (t.requests() > then.getOrDefault(v, new Shoppers.Tally(0, 0)).requests()) versions.add(v);
    });
    return versions;
  }

  private static void writeReports(Path out, FileJournal journal, String runId, Timeline timeline) throws Exception {
    RunReport report = RunReport.of(journal, runId);
    PostMortem postMortem = PostMortem.of(timeline);
    Files.writeString(out.resolve("report.md"), report.toMarkdown(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("report.json"), report.toJson(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("timeline.json"), timeline.toJson(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("postmortem.md"), postMortem.toMarkdown(), StandardCharsets.UTF_8);
    Files.writeString(out.resolve("postmortem.html"), HtmlReport.of(postMortem), StandardCharsets.UTF_8);
  }

  /** The orders of checkout 2.3.1: every third one with a gift note. */
  private static void seed(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
         PreparedStatement ps = c.prepareStatement("INSERT INTO orders (id, customer, amount, gift_note) VALUES (?, ?, ?, ?)")) {
      c.setAutoCommit(false);
      for (int i = 1; i <= ORDERS; i++) {
        ps.setInt(1, i);
        ps.setString(2, "customer-" + (i % 37));
        ps.setBigDecimal(3, java.math.BigDecimal.valueOf(1000 + i * 17L, 2));
        ps.setString(4, i % 3 == 0 ? "happy birthday, #" + i : null);
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    }
  }

  private static int giftNotes(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT COUNT(gift_note) FROM orders")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static Fingerprint fingerprint(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return Fingerprint.of(c, "orders");
    }
  }

  private static boolean same(Fingerprint a, Fingerprint b) {
    return a.rows() == b.rows() && a.checksum() == b.checksum();
  }

  private static String describe(Fingerprint f) {
    return f.rows() + " rows, checksum " + Long.toHexString(f.checksum());
  }

  /** The last line of rollback-jdbc's audit table: what the rollback restored and verified. */
  private static String lastAudit(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT \"action\", \"from_version\", \"to_version\", \"rows_restored\", \"verification\","
             + " \"outcome\" FROM \"rollback_archive\".\"audit\" ORDER BY \"id\" DESC")) {
      if (!rs.next()) return "no audit row";
      return "the audit row says " + rs.getString(1) + " " + rs.getString(2) + " -> " + rs.getString(3) + ", "
          + rs.getLong(4) + " rows restored, fingerprint check " + rs.getString(5) + ", " + rs.getString(6);
    }
  }

  /** The story as printed: lines, in order, flushed as they come. */
  static final class Story {
    private final PrintStream print;
    private final List<String> lines = new ArrayList<>();

    Story(PrintStream print) {
      this.print = print;
    }

    synchronized void line(String s) {
      lines.add(s);
      print.println(s);
      print.flush();
    }

    synchronized List<String> lines() {
      return List.copyOf(lines);
    }
  }
}
