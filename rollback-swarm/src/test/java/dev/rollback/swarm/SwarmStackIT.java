package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.KnownGood;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.report.RunReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Whole-stack restores (services labelled com.docker.stack.namespace) against a real single-node Swarm. */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT) // each test on services of its own
class SwarmStackIT {
  static RealSwarm docker;
  static String v1;
  static String v2;

  @BeforeAll
  static void startSwarm() {
    docker = RealSwarm.get();
    engine = RollbackEngine.builder().build();
    v1 = docker.image("1");
    v2 = docker.image("2");
  }

  /** A stack of {@code services}; the api service reads a config and a secret. */
  static String stack(String prefix, String configId, String configName, String secretId, String secretName,
      String... services) {
    String ns = RealSwarm.unique(prefix);
    for (String s : services) {
      ObjectNode spec = docker.serviceSpec(ns + "_" + s, v1, 1);
      spec.putObject("Labels").put(SwarmStack.NAMESPACE_LABEL, ns);
      if (s.equals("api") && configId != null) {
        RealSwarm.attachConfig(spec, configId, configName, "/app.conf");
        RealSwarm.attachSecret(spec, secretId, secretName, "db-password");
      }
      docker.create(spec);
    }
    for (String s : services) docker.awaitConverged(ns + "_" + s, Duration.ofSeconds(60));
    return ns;
  }

  /** One engine (and journal) for the class: a known-good captured by it is read back by its runs. */
  static RollbackEngine engine;

  @org.junit.jupiter.api.AfterAll
  static void closeEngine() {
    engine.close();
  }

  static RollbackResult run(RollbackPlan plan, KnownGood known) {
    {
      return engine.start(plan, Deployment.of("stack-it", "2"), RunOptions.defaults().withKnownGood(known))
          .await(Duration.ofSeconds(180));
    }
  }

  static KnownGood capture(RollbackPlan plan) {
    return engine.captureKnownGood(plan, Deployment.of("stack-it", "2"));
  }

  static Instant rollbackStarted(String service) {
    return Instant.parse(docker.inspect(service).path("UpdateStatus").path("StartedAt").asText());
  }

  @Test
  void restoresEveryServiceInTheGivenOrderWithTheConfigAndSecretTheReleaseReplaced() {
    String cfgName1 = RealSwarm.unique("conf-v1-");
    String cfg1 = docker.createConfig(cfgName1, "level=1");
    String secret = RealSwarm.unique("pw-");
    String sec1 = docker.createSecret(secret, "s3cret-value-1");
    String ns = stack("ord", cfg1, cfgName1, sec1, secret, "db", "api", "web");
    SwarmStack shop = docker.swarm.stack(ns).inOrder("db", "api", "web").withConvergeTimeout(Duration.ofSeconds(60));
    RollbackPlan plan = RollbackPlan.builder("stack back").sequential("swarm", s -> s.step(Swarm.restoreStack(shop))).build();
    KnownGood known = capture(plan);
    SwarmStackState before = shop.capture();

    // the release: new images everywhere, and api switched to a new config and a new secret
    String cfg2Name = RealSwarm.unique("conf-v2-");
    String cfg2 = docker.createConfig(cfg2Name, "level=2");
    String sec2Name = RealSwarm.unique("pw2-");
    String sec2 = docker.createSecret(sec2Name, "s3cret-value-2");
    for (String s : List.of("db", "api", "web")) {
      docker.update(ns + "_" + s, spec -> {
        RealSwarm.setImage(spec, v2);
        if (s.equals("api")) {
          RealSwarm.attachConfig(spec, cfg2, cfg2Name, "/app.conf");
          RealSwarm.attachSecret(spec, sec2, sec2Name, "db-password");
        }
      });
    }
    for (String s : List.of("db", "api", "web")) docker.awaitConverged(ns + "_" + s, Duration.ofSeconds(60));

    RollbackResult result = run(plan, known);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    List<String> notes = RunReport.of(engine.journal(), result.runId()).step("swarm/restore stack " + ns).orElseThrow().notes();
    for (String s : List.of("db", "api", "web")) {
      assertThat(notes).as("the report lists each service").anyMatch(n -> n.startsWith(ns + "_" + s + ": restored - "));
    }
    assertThat(shop.capture()).isEqualTo(before);
    SwarmServiceState api = shop.capture().service("api");
    assertThat(api.configs()).containsExactly(cfgName1 + " (" + cfg1 + ")");
    assertThat(api.secrets()).containsExactly(secret + " (" + sec1 + ")");
    assertThat(known.snapshots().toString()).contains(cfg1).contains(sec1).doesNotContain("s3cret-value");
    assertThat(rollbackStarted(ns + "_db")).isBefore(rollbackStarted(ns + "_api"));
    assertThat(rollbackStarted(ns + "_api")).isBefore(rollbackStarted(ns + "_web"));
    for (String s : List.of("db", "api", "web")) {
      assertThat(docker.swarm.service(ns + "_" + s).convergence(before.service(s)).converged()).isTrue();
    }
  }

  @Test
  void restoresAllServicesAtOnceWithoutDependenciesAndListsEachInTheResult() {
    String ns = stack("par", null, null, null, null, "a", "b", "c");
    SwarmStack st = docker.swarm.stack(ns).withConvergeTimeout(Duration.ofSeconds(60));
    SwarmStackState known = st.capture();
    for (String s : List.of("a", "b", "c")) docker.update(ns + "_" + s, spec -> RealSwarm.setImage(spec, v2));
    for (String s : List.of("a", "b", "c")) docker.awaitConverged(ns + "_" + s, Duration.ofSeconds(60));
    docker.create(labelled(ns, "added"));

    StackRestoreResult r = st.restore(known);

    assertThat(r.isSuccess()).as(r.summary()).isTrue();
    assertThat(r.services()).extracting(StackRestoreResult.ServiceOutcome::service)
        .containsExactly(ns + "_a", ns + "_b", ns + "_c", ns + "_added");
    assertThat(r.services()).extracting(StackRestoreResult.ServiceOutcome::status).containsExactly(
        StackRestoreResult.Status.RESTORED, StackRestoreResult.Status.RESTORED, StackRestoreResult.Status.RESTORED,
        StackRestoreResult.Status.ADDED_SINCE_CAPTURE);
    assertThat(r.summary()).contains("1/1 tasks running the target spec");
    for (String s : List.of("a", "b", "c")) assertThat(st.capture().service(s).image()).isEqualTo(v1);
  }

  static ObjectNode labelled(String ns, String name) {
    ObjectNode spec = docker.serviceSpec(ns + "_" + name, v1, 1);
    spec.putObject("Labels").put(SwarmStack.NAMESPACE_LABEL, ns);
    return spec;
  }

  @Test
  void aServiceRemovedSinceTheCaptureFailsTheStackStepNamingItWhileTheOthersAreRestored() {
    String ns = stack("rm", null, null, null, null, "x", "y");
    SwarmStack st = docker.swarm.stack(ns).withConvergeTimeout(Duration.ofSeconds(60));
    RollbackPlan plan = RollbackPlan.builder("stack rm").sequential("swarm", s -> s.step(Swarm.restoreStack(st)))
        .withFailurePolicy(FailurePolicy.CONTINUE).build();
    KnownGood known = capture(plan);
    docker.update(ns + "_y", spec -> RealSwarm.setImage(spec, v2));
    docker.awaitConverged(ns + "_y", Duration.ofSeconds(60));
    docker.remove(ns + "_x");

    RollbackResult result = run(plan, known);

    assertThat(result.outcome().isSuccess()).isFalse();
    String error = ((StepOutcome.Failed) result.step("swarm/restore stack " + ns)).error();
    assertThat(error).contains(ns + "_x: failed").contains("service " + ns + "_x does not exist")
        .contains(ns + "_y: restored");
    assertThat(docker.swarm.service(ns + "_y").capture().image()).isEqualTo(v1);
  }

  @Test
  void anUnknownStackAndADependencyCycleAreClearErrors() {
    assertThatThrownBy(() -> docker.swarm.stack("no-such-stack").capture())
        .isInstanceOf(SwarmRollbackException.class)
        .hasMessageContaining("stack no-such-stack has no services")
        .hasMessageContaining("com.docker.stack.namespace=no-such-stack");
    RollbackPlan plan = RollbackPlan.builder("unknown stack")
        .sequential("swarm", s -> s.step(Swarm.restoreStack(docker.swarm.stack("no-such-stack"))))
        .withFailurePolicy(FailurePolicy.CONTINUE).build();
    RollbackResult result = engine.run(plan, Deployment.of("stack-it", "2"));
    assertThat(result.step("swarm/restore stack no-such-stack")).as(result.summary()).isInstanceOf(StepOutcome.Failed.class);
    assertThat(((StepOutcome.Failed) result.step("swarm/restore stack no-such-stack")).error())
        .contains("stack no-such-stack has no services");
    assertThatThrownBy(() -> docker.swarm.stack("s").inOrder("a", "b").after("a", "b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cycle");
  }

  @Test
  void aReleaseOfTheWholeStackIsRevertedTogether() {
    String ns = stack("rel", null, null, null, null, "front", "back");
    SwarmService front = docker.swarm.service(ns + "_front").withConvergeTimeout(Duration.ofSeconds(20));
    SwarmService back = docker.swarm.service(ns + "_back").withConvergeTimeout(Duration.ofSeconds(20));
    Release rel = Release.builder("stack release")
        .change(Swarm.setImage(back, v2))
        .change(Swarm.setImage(front, RealSwarm.REPO + ":" + RealSwarm.unique("missing")))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(rel);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(front.capture().image()).isEqualTo(v1);
    assertThat(back.capture().image()).isEqualTo(v1);
  }
}
