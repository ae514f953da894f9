package dev.rollback.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.jdbc.Migrations;
import dev.rollback.jdbc.PostgresServer;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import dev.rollback.lb.HaproxyProcess;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.Ports;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.TestBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The {@code rollback} command run as a separate process against a real HAProxy, a real
 * PostgreSQL and a flagd file: a plan for a service using all three, a fleet of three services
 * in dependency order, a resume after the process is killed, a gate answered from another
 * process, and every exit code.
 */
@ExtendWith(PostgresServer.class)
class CommandLineIT {
  @TempDir Path dir;
  TestBackend blue;
  TestBackend green;
  HaproxyProcess haproxy;
  PGSimpleDataSource db;
  Cli cli;

  @BeforeEach
  void startSystems() throws Exception {
    blue = TestBackend.start("blue");
    green = TestBackend.start("green");
    haproxy = HaproxyProcess.start(dir.resolve("haproxy"), HaproxyProcess.servers(blue, green), Map.of("blue", 0, "green", 100));
    db = PostgresServer.newDatabase();
    Path migrations = Files.createDirectories(dir.resolve("migrations"));
    Files.writeString(migrations.resolve("V1__create_orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY, amount INT);\n");
    Files.writeString(migrations.resolve("U1__create_orders.sql"), "DROP TABLE orders;\n");
    Files.writeString(migrations.resolve("V2__add_note.sql"), "ALTER TABLE orders ADD COLUMN note VARCHAR(100);\n");
    Files.writeString(migrations.resolve("U2__add_note.sql"), "ALTER TABLE orders DROP COLUMN note;\n");
    migrations().migrateTo("2");
    for (String flag : new String[] {"new-checkout", "new-frontend"}) writeFlag(flag);
    cli = new Cli(dir, Map.of("PGPASSWORD", db.getPassword()));
  }

  @AfterEach
  void stopSystems() throws InterruptedException {
    haproxy.close();
    blue.close();
    green.close();
  }

  Migrations migrations() {
    return Migrations.builder(db).fromFolder(dir.resolve("migrations")).build();
  }

  void writeFlag(String flag) throws IOException {
    Path f = dir.resolve(flag + ".json");
    Files.writeString(f, "{\"flags\": {\"" + flag + "\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false},"
        + " \"defaultVariant\": \"on\"}}}\n");
  }

  String defaultVariant(String flag) throws IOException {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve(flag + ".json").toFile())
        .path("flags").path(flag).path("defaultVariant").asText();
  }

  RoutingState routing() {
    return HaproxyRouter.unixSocket(haproxy.socket()).read("app");
  }

  /** The targets and checks every plan here uses. */
  String targets() {
    return """
          targets:
            lb: {type: haproxy, socket: %s}
            flags: {type: flagd, file: new-checkout.json}
            frontend-flags: {type: flagd, file: new-frontend.json}
            db:
              type: jdbc
              url: "jdbc:postgresql://127.0.0.1:%d/%s"
              user: rollback
              password: {secretRef: {env: PGPASSWORD}}
          checks:
            through-haproxy: {type: http, url: "http://127.0.0.1:%d/"}
            closed-port: {type: tcp, host: 127.0.0.1, port: %d, timeout: 500ms}
        """.formatted(haproxy.socket(), db.getPortNumbers()[0], db.getDatabaseName(), haproxy.frontendPort(), Ports.free());
  }

  Path plan(String name, String body) throws IOException {
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, "apiVersion: rollback.dev/v1alpha1\nkind: RollbackPlan\nmetadata: {name: " + name + "}\nspec:\n"
        + "  deployment: {service: " + name + ", version: 2.4.0}\n" + targets() + body, StandardCharsets.UTF_8);
    return f;
  }

  RunHistory history(String runId) {
    try (FileJournal j = FileJournal.create(dir.resolve(".rollback/journal"))) {
      return RunHistory.of(j.read(runId));
    }
  }

  static final String FULL_ROLLBACK = """
        stages:
          - name: flags
            steps:
              - {type: flag.killSwitch, params: {target: flags, flag: new-checkout}}
          - name: traffic
            steps:
              - {type: lb.weights, params: {target: lb, backend: app, weights: {blue: 100, green: 0}}}
          - name: database
            steps:
              - {type: jdbc.rollbackTo, params: {target: db, migrations: migrations, version: "1"}}
        verifiedBy: [through-haproxy]
      """;

  @Test
  void rollsAServiceBackAcrossAFlagHaproxyAndAMigrationAndExitsRecovered() throws Exception {
    Path plan = plan("checkout", FULL_ROLLBACK);
    assertThat(cli.run("validate", plan.toString()).exit()).isZero();

    Cli.Result r = cli.run("run", "checkout.yaml", "--run-id", "checkout-1", "--reason", "error rate 12%");

    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    assertThat(r.out()).contains("RECOVERED");
    assertThat(defaultVariant("new-checkout")).isEqualTo("off");
    assertThat(routing().server("blue").weight()).isEqualTo(100);
    assertThat(routing().server("green").weight()).isZero();
    assertThat(migrations().currentVersion()).isEqualTo("1");
    Cli.Result report = cli.run("report", "checkout-1", "-o", "json");
    assertThat(report.exit()).isZero();
    assertThat(report.out()).contains("\"RECOVERED\"", "error rate 12%", "database/roll back database to 1");
    assertThat(cli.run("status", "checkout-1").exit()).isEqualTo(3);
  }

  @Test
  void rollsAFleetOfThreeServicesBackInReverseDependencyOrder() throws Exception {
    plan("frontend", """
          stages:
            - name: traffic
              steps:
                - {type: lb.weights, params: {target: lb, backend: app, weights: {blue: 100, green: 0}}}
                - {type: flag.killSwitch, params: {target: frontend-flags, flag: new-frontend}}
        """);
    plan("checkout", """
          stages:
            - name: flags
              steps:
                - {type: flag.killSwitch, params: {target: flags, flag: new-checkout}}
        """);
    plan("payments", """
          stages:
            - name: database
              steps:
                - {type: jdbc.rollbackTo, params: {target: db, migrations: migrations, version: "1"}}
        """);
    Files.writeString(dir.resolve("shop.yaml"), """
        apiVersion: rollback.dev/v1alpha1
        kind: Fleet
        metadata: {name: shop}
        spec:
          budget: 30m
          services:
            - {name: payments, plan: {file: payments.yaml}}
            - {name: checkout, plan: {file: checkout.yaml}, dependsOn: [payments]}
            - {name: frontend, plan: {file: frontend.yaml}, dependsOn: [checkout]}
        """);
    Cli.Result outline = cli.run("plan", "shop.yaml");
    assertThat(outline.exit()).as(outline.toString()).isZero();
    assertThat(outline.out()).containsSubsequence("wave 1", "frontend", "wave 2", "checkout", "wave 3", "payments");

    Cli.Result r = cli.run("run", "shop.yaml", "--run-id", "shop-1");

    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    RunHistory frontend = history("shop-1.frontend");
    RunHistory checkout = history("shop-1.checkout");
    RunHistory payments = history("shop-1.payments");
    assertThat(frontend.outcome()).contains("RECOVERED");
    assertThat(checkout.outcome()).contains("RECOVERED");
    assertThat(payments.outcome()).contains("RECOVERED");
    assertThat(frontend.endedAt().orElseThrow()).isBeforeOrEqualTo(checkout.startedAt().orElseThrow());
    assertThat(checkout.endedAt().orElseThrow()).isBeforeOrEqualTo(payments.startedAt().orElseThrow());
    assertThat(migrations().currentVersion()).isEqualTo("1");
    assertThat(defaultVariant("new-checkout")).isEqualTo("off");
    assertThat(defaultVariant("new-frontend")).isEqualTo("off");
    Cli.Result report = cli.run("report", "shop-1");
    assertThat(report.out()).contains("## Service frontend", "## Service checkout", "## Service payments");
  }

  @Test
  void resumesARunAfterItsProcessIsKilled() throws Exception {
    plan("slow", """
          stages:
            - name: first
              steps:
                - {type: flag.killSwitch, params: {target: flags, flag: new-checkout}}
            - name: slow
              steps:
                - {type: wait, params: {duration: 6s}}
                - {type: lb.weights, params: {target: lb, backend: app, weights: {blue: 100, green: 0}}}
        """);
    Cli.Started running = cli.start("run", "slow.yaml", "--run-id", "slow-1");
    await("the wait step to start").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> history("slow-1").events(JournalEvent.StepStarted.class).stream().anyMatch(e -> e.event().path().equals("slow/wait 6s")));
    running.process().destroyForcibly();
    running.process().waitFor();
    assertThat(cli.run("status", "slow-1").out()).contains("INTERRUPTED", "rollback resume slow-1");

    Cli.Result resumed = cli.run("resume", "slow-1");

    assertThat(resumed.exit()).as(resumed.toString()).isEqualTo(3);
    RunHistory h = history("slow-1");
    assertThat(h.outcome()).contains("RECOVERED");
    assertThat(h.events(JournalEvent.StepStarted.class).stream().filter(e -> e.event().path().equals("first/kill switch new-checkout")))
        .as("the step done before the kill is not run again").hasSize(1);
    assertThat(h.resumes()).hasSize(1);
    assertThat(routing().server("blue").weight()).isEqualTo(100);
  }

  @Test
  void aGateIsAnsweredAndTheRunAcknowledgedFromAnotherProcess() throws Exception {
    plan("gated", """
          stages:
            - name: ask
              steps:
                - {type: gate, params: {gate: dba, timeout: 2m, answeredBy: the DBA on call}}
            - name: traffic
              steps:
                - {type: lb.weights, params: {target: lb, backend: app, weights: {blue: 100, green: 0}}}
        """);
    Cli.Started running = cli.start("run", "gated.yaml", "--run-id", "gated-1");
    await("the gate to open").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> !history("gated-1").events(JournalEvent.GateOpened.class).isEmpty());

    Cli.Result ack = cli.run("ack", "gated-1", "--actor", "bob");
    Cli.Result answer = cli.run("answer", "gated-1", "PROCEED", "--actor", "alice");

    assertThat(ack.exit()).as(ack.toString()).isZero();
    assertThat(ack.out()).contains("run gated-1 acknowledged by bob");
    assertThat(answer.exit()).as(answer.toString()).isZero();
    Cli.Result r = running.await();
    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    assertThat(history("gated-1").events(JournalEvent.Acknowledged.class)).singleElement()
        .satisfies(a -> assertThat(a.event().actor()).isEqualTo("bob"));
    assertThat(history("gated-1").gates()).singleElement().satisfies(g -> {
      assertThat(g.actor()).isEqualTo("alice");
      assertThat(g.decision()).hasToString("PROCEED");
    });
    assertThat(routing().server("blue").weight()).isEqualTo(100);
  }

  @Test
  void everyOutcomeHasItsOwnExitCode() throws Exception {
    Set<Integer> seen = new TreeSet<>();
    Files.writeString(dir.resolve("release.yaml"), """
        apiVersion: rollback.dev/v1alpha1
        kind: Release
        metadata: {name: checkout-release}
        spec:
        %s  changes:
            - {type: flag.rollout, params: {target: flags, flag: new-checkout, percent: 20}}
            - healthGate: {check: through-haproxy, within: 20s, every: 200ms}
        """.formatted(targets()));
    Cli.Result released = cli.run("run", "release.yaml");
    assertThat(released.exit()).as("released: " + released).isEqualTo(0);
    seen.add(released.exit());

    Files.writeString(dir.resolve("broken.yaml"), "apiVersion: rollback.dev/v1alpha1\nkind: RollbackPlan\n");
    Cli.Result invalid = cli.run("validate", "broken.yaml");
    assertThat(invalid.exit()).as("invalid: " + invalid).isEqualTo(2);
    assertThat(invalid.err() + invalid.out()).contains("broken.yaml:1:1: missing field 'metadata'");
    seen.add(invalid.exit());

    plan("quick", "  stages:\n    - {name: a, steps: [{type: wait, params: {duration: 10ms}}]}\n");
    Cli.Result recovered = cli.run("run", "quick.yaml");
    assertThat(recovered.exit()).as("recovered: " + recovered).isEqualTo(3);
    seen.add(recovered.exit());

    plan("unverified", "  stages:\n    - {name: a, steps: [{type: wait, params: {duration: 10ms}}]}\n  verifiedBy: [closed-port]\n");
    Cli.Result notRecovered = cli.run("run", "unverified.yaml");
    assertThat(notRecovered.exit()).as("not recovered: " + notRecovered).isEqualTo(4);
    seen.add(notRecovered.exit());

    plan("unanswered", "  stages:\n    - {name: a, steps: [{type: gate, params: {gate: nobody, timeout: 1s}}]}\n");
    Cli.Result halted = cli.run("run", "unanswered.yaml");
    assertThat(halted.exit()).as("halted: " + halted).isEqualTo(5);
    seen.add(halted.exit());

    plan("long", "  stages:\n    - {name: a, steps: [{type: wait, params: {duration: 2m}}]}\n");
    Cli.Started longRun = cli.start("run", "long.yaml", "--run-id", "long-1");
    await("the long wait to start").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> !history("long-1").events(JournalEvent.StepStarted.class).isEmpty());
    longRun.process().destroy();
    Cli.Result cancelled = longRun.await();
    assertThat(cancelled.exit()).as("cancelled: " + cancelled).isEqualTo(6);
    assertThat(history("long-1").outcome()).contains("CANCELLED");
    seen.add(cancelled.exit());

    plan("slow-budget", "  budget: 1s\n  stages:\n    - {name: a, steps: [{type: wait, params: {duration: 10s}}]}\n");
    Cli.Result over = cli.run("plan", "slow-budget.yaml");
    assertThat(over.exit()).as("over budget: " + over).isEqualTo(7);
    seen.add(over.exit());

    Files.writeString(dir.resolve("not-a-dir"), "x");
    Cli.Result error = cli.run("run", "quick.yaml", "--state-dir", "not-a-dir");
    assertThat(error.exit()).as("error: " + error).isEqualTo(1);
    seen.add(error.exit());

    assertThat(seen).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void aDrillAgainstStagingTargetsTimesEachStepAgainstTheBudget() throws Exception {
    plan("drilled", "  budget: 1m\n" + FULL_ROLLBACK.replace("flag: new-checkout", "flag: new-frontend").replace("target: flags,", "target: frontend-flags,"));
    Files.writeString(dir.resolve("staging.yaml"), """
        apiVersion: rollback.dev/v1alpha1
        kind: Targets
        metadata: {name: staging}
        spec:
          targets:
            frontend-flags: {type: flagd, file: staging-flags.json}
        """);
    Files.writeString(dir.resolve("staging-flags.json"), Files.readString(dir.resolve("new-frontend.json")));
    Instant before = Instant.now();

    Cli.Result r = cli.run("drill", "drilled.yaml", "--targets", "staging.yaml", "-o", "json");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("\"withinBudget\" : true", "\"timeToRecover\"", "flags/kill switch new-frontend");
    assertThat(Files.readString(dir.resolve("staging-flags.json"))).as("the staging target replaced the plan's")
        .contains("\"defaultVariant\" : \"off\"");
    assertThat(defaultVariant("new-frontend")).isEqualTo("on");
    assertThat(Duration.between(before, Instant.now())).isLessThan(Duration.ofMinutes(2));
  }
}
