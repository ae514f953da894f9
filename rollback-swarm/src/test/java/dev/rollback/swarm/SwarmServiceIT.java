package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Decision;
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
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Service restores against a real single-node Swarm (a private dockerd on a unix socket). */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT) // each test on services of its own
class SwarmServiceIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static RealSwarm docker;
  static String v1;
  static String v2;
  static String v3;

  @BeforeAll
  static void startSwarm() {
    docker = RealSwarm.get();
    engine = RollbackEngine.builder().build();
    v1 = docker.image("1");
    v2 = docker.image("2");
    v3 = docker.image("3");
  }

  /** One replica: the tests that wait for every task of several say so with {@link #create(String, String, int)}. */
  static SwarmService create(String name, String image) {
    return create(name, image, 1);
  }

  static SwarmService create(String name, String image, int replicas) {
    return create(docker.serviceSpec(name, image, replicas));
  }

  static SwarmService create(ObjectNode spec) {
    String name = spec.path("Name").asText();
    docker.create(spec);
    docker.awaitConverged(name, Duration.ofSeconds(60));
    return docker.swarm.service(name).withConvergeTimeout(Duration.ofSeconds(60));
  }

  static void release(SwarmService s, String image) {
    docker.update(s.name(), spec -> RealSwarm.setImage(spec, image));
    docker.awaitConverged(s.name(), Duration.ofSeconds(60));
  }

  static String image(SwarmService s) {
    return s.capture().image();
  }

  /** One engine (and journal) for the class: a known-good captured by it is read back by its runs. */
  static RollbackEngine engine;

  @org.junit.jupiter.api.AfterAll
  static void closeEngine() {
    engine.close();
  }

  static RollbackResult run(RollbackPlan plan, KnownGood known) {
    {
      return engine.start(plan, Deployment.of("swarm-it", "2"), RunOptions.defaults().withKnownGood(known))
          .await(Duration.ofSeconds(120));
    }
  }

  static KnownGood capture(RollbackPlan plan) {
    return engine.captureKnownGood(plan, Deployment.of("swarm-it", "2"));
  }

  @Test
  void aReplicaWhoseLeaseIsLostSendsNoUpdate() {
    SwarmService s = create(RealSwarm.unique("fenced"), v1);
    SwarmServiceState known = s.capture();
    release(s, v2);
    List<Object> written = docker.writeMarks(s.name());
    dev.rollback.test.FakeStepLease lease = dev.rollback.test.FakeStepLease.held("rollback-guard-swarm@2", "pod-1", 1);
    lease.lose("taken over by pod-2 (fencing token 2)");

    assertThatThrownBy(() -> s.adapter().apply(known, dev.rollback.test.FakeStepContext.builder().withLease(lease).build()))
        .isInstanceOf(dev.rollback.LeaseLostException.class).hasMessageContaining("taken over by pod-2");

    assertThat(docker.writeMarks(s.name())).as("what a write would have changed").isEqualTo(written);
    assertThat(image(s)).isEqualTo(v2);
  }

  @Test
  void restoresTheKnownGoodSpecWithSwarmsOwnRollbackWhenItIsThePreviousSpec() {
    SwarmService s = create(RealSwarm.unique("prev"), v1, 2);
    SwarmServiceState known = s.capture();
    release(s, v2);

    RestoreResult r = s.restore(known);
    Convergence c = s.awaitConverged(known);

    assertThat(r.action()).isEqualTo(RestoreResult.Action.SWARM_ROLLBACK);
    assertThat(r.writes()).isEqualTo(1);
    assertThat(c.converged()).as(c.summary()).isTrue();
    assertThat(c.running()).isEqualTo(2);
    assertThat(s.capture()).isEqualTo(known);
    assertThat(docker.inspect(s.name()).path("UpdateStatus").path("State").asText()).startsWith("rollback_");
  }

  @Test
  void restoresAKnownGoodSpecTwoReleasesBackAsAnUpdateAndWaitsForEveryTask() {
    SwarmService s = create(RealSwarm.unique("two"), v1, 2);
    SwarmServiceState before = s.capture();
    RollbackPlan plan = RollbackPlan.builder("back to 1").sequential("swarm", st -> st.step(Swarm.restoreKnownGood(s))).build();
    KnownGood known = capture(plan);
    release(s, v2);
    release(s, v3);

    RollbackResult result = run(plan, known);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(image(s)).isEqualTo(v1);
    assertThat(s.capture()).isEqualTo(before);
    Convergence c = s.convergence(s.capture());
    assertThat(c.converged()).as(c.summary()).isTrue();
    assertThat(c.running()).isEqualTo(2);
  }

  @Test
  void ourRollbackToPreviousLeavesTheServiceExactlyAsDockerServiceRollbackDoes() throws Exception {
    // the twins are created, released and rolled back side by side (the rollouts overlap)
    String oursName = RealSwarm.unique("ours");
    String theirsName = RealSwarm.unique("theirs");
    for (String name : List.of(oursName, theirsName)) docker.create(docker.serviceSpec(name, v1, 2));
    for (String name : List.of(oursName, theirsName)) docker.awaitConverged(name, Duration.ofSeconds(60));
    SwarmService ours = docker.swarm.service(oursName).withConvergeTimeout(Duration.ofSeconds(60));
    SwarmService theirs = docker.swarm.service(theirsName).withConvergeTimeout(Duration.ofSeconds(60));
    for (SwarmService s : List.of(ours, theirs)) {
      docker.update(s.name(), spec -> {
        RealSwarm.setImage(spec, v2);
        ((ObjectNode) spec.path("TaskTemplate").path("ContainerSpec")).putArray("Env").add("RELEASE=2");
        spec.putObject("Labels").put("release", "2");
      });
    }
    for (SwarmService s : List.of(ours, theirs)) docker.awaitRolloutOver(s.name(), Duration.ofSeconds(60));

    java.util.concurrent.CompletableFuture<String> cli = java.util.concurrent.CompletableFuture.supplyAsync(() -> cliRollback(theirs.name()));
    RollbackResult result = engine.run(RollbackPlan.builder("previous")
        .sequential("swarm", st -> st.step(Swarm.rollbackToPrevious(ours))).build(), Deployment.of("swarm-it", "2"));
    String out = cli.get(120, TimeUnit.SECONDS);
    assertThat(out).as("docker service rollback").doesNotContain("Error");

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    // the CLI returns once the monitor period is over; ours once the tasks run the spec: compare after both
    JsonNode a = docker.awaitRolloutOver(ours.name(), Duration.ofSeconds(60));
    JsonNode b = docker.awaitRolloutOver(theirs.name(), Duration.ofSeconds(60));
    for (String field : List.of("Spec", "PreviousSpec")) {
      ObjectNode sa = (ObjectNode) a.get(field).deepCopy();
      ObjectNode sb = (ObjectNode) b.get(field).deepCopy();
      sa.remove("Name");
      sb.remove("Name");
      List<String> names = new ArrayList<>();
      sa.fieldNames().forEachRemaining(names::add);
      sb.fieldNames().forEachRemaining(names::add);
      for (String n : names) assertThat(sa.get(n)).as(field + "." + n).isEqualTo(sb.get(n));
    }
    assertThat(a.path("Spec").path("TaskTemplate").path("ContainerSpec").path("Image").asText()).isEqualTo(v1);
    assertThat(a.path("UpdateStatus").path("State")).isEqualTo(b.path("UpdateStatus").path("State"));
    assertThat(a.path("UpdateStatus").path("Message")).isEqualTo(b.path("UpdateStatus").path("Message"));
    assertThat(ours.convergence(ours.capture()).converged()).isTrue();
  }

  @Test
  void aRollbackToPreviousResumedAfterACrashRightAfterItsWriteDoesNotFlipBackToTheRelease() throws Exception {
    SwarmService s = create(RealSwarm.unique("flip"), v1);
    release(s, v2);
    RollbackPlan plan = RollbackPlan.builder("previous").sequential("swarm", st -> st.step(Swarm.rollbackToPrevious(s))).build();
    String step = "swarm/roll back service " + s.name();
    InMemoryJournal full = InMemoryJournal.create();
    try (RollbackEngine e = RollbackEngine.builder().withJournal(full).build()) {
      RollbackResult r = e.start(plan, Deployment.of("swarm-it", "2"), RunOptions.defaults().withRunId("flip"))
          .await(Duration.ofSeconds(120));
      assertThat(r.outcome()).as(r.summary()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(image(s)).isEqualTo(v1);
    assertThat(docker.inspect(s.name()).path("PreviousSpec").path("TaskTemplate").path("ContainerSpec").path("Image").asText())
        .as("after the rollback, the previous spec is the release's").isEqualTo(v2);
    // the journal as a crash right after the write leaves it: it ends with the target, journaled
    // (forced) before the write; the outcome record is lost
    InMemoryJournal crashed = cutAfter(full, "flip", step, RecordType.CHECKPOINT);
    List<Object> written = docker.writeMarks(s.name());

    RollbackResult resumed;
    try (RollbackEngine e = RollbackEngine.builder().withJournal(crashed).build()) {
      resumed = e.resume("flip", plan).await(Duration.ofSeconds(120));
    }

    assertThat(resumed.outcome()).as(resumed.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(resumed.step(step)).as(resumed.summary()).isInstanceOf(StepOutcome.AlreadyApplied.class);
    assertThat(image(s)).as("still the spec before the release, not the previous spec of now").isEqualTo(v1);
    assertThat(docker.writeMarks(s.name())).as("nothing written again").isEqualTo(written);
  }

  /**
   * {@code docker service rollback SERVICE}, run again when the daemon answers "update out of
   * sequence": Swarm writes the service itself too (at a moment of its own), between the CLI's read
   * and its write; the CLI does not read again, as our restore does. Returns the output of the run
   * that was not refused so; fails on any other error.
   */
  static String cliRollback(String service) {
    try {
      for (int attempt = 1; ; attempt++) {
        Process p = new ProcessBuilder("docker", "-H", "unix://" + docker.socket, "service", "rollback", service)
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("docker service rollback finished").isTrue();
        if (p.exitValue() == 0) return out;
        if (attempt >= 5 || !out.contains("update out of sequence")) {
          throw new AssertionError("docker service rollback " + service + " failed (" + p.exitValue() + "): " + out);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code runId}'s journal in {@code full}, cut right after the last record of {@code type} of {@code step}. */
  static InMemoryJournal cutAfter(InMemoryJournal full, String runId, String step, RecordType type) {
    byte[] bytes = full.bytes(runId);
    int pos = 0;
    int cut = -1;
    for (JournalRecord r : full.read(runId).records()) {
      int end = pos;
      while (end < bytes.length && bytes[end] != '\n') end++;
      end++;
      if (r.is(type) && step.equals(r.step())) cut = end;
      pos = end;
    }
    assertThat(cut).as("a %s record of %s in run %s", type, step, runId).isPositive();
    return InMemoryJournal.withBytes(runId, Arrays.copyOf(bytes, cut));
  }

  @Test
  void restoreImagePutsAChosenImageBackAndKeepsTheRestOfTheSpecAsItFindsIt() {
    // on a network, as services usually are: the update writes the network attachment back as found
    SwarmService s = create(RealSwarm.onHostNetwork(docker.serviceSpec(RealSwarm.unique("img"), v1, 1)));
    JsonNode networks = docker.inspect(s.name()).path("Spec").path("TaskTemplate").path("Networks");
    docker.update(s.name(), spec -> {
      RealSwarm.setImage(spec, v2);
      spec.putObject("Labels").put("release", "2");
    });
    docker.awaitConverged(s.name(), Duration.ofSeconds(60));
    RollbackPlan plan = RollbackPlan.builder("image back")
        .sequential("swarm", st -> st.step(Swarm.restoreImage(s, v1))).build();

    RollbackResult result = engine.run(plan, Deployment.of("swarm-it", "2"));

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(plan.stages().get(0).steps().get(0).describe()).isEqualTo("roll service " + s.name() + " back to image " + v1);
    JsonNode now = docker.inspect(s.name());
    assertThat(now.path("Spec").path("TaskTemplate").path("ContainerSpec").path("Image").asText()).isEqualTo(v1);
    assertThat(now.path("Spec").path("Labels").path("release").asText()).as("the rest of the spec as found").isEqualTo("2");
    assertThat(now.path("Spec").path("TaskTemplate").path("Networks")).as("the network attachment as found")
        .hasSize(1).isEqualTo(networks);
    Convergence c = s.convergence(s.capture());
    assertThat(c.converged()).as(c.summary()).isTrue();
    assertThat(c.running()).isEqualTo(1);
  }

  @Test
  void anExplicitRolloutOverridesTheServicesSettingsAndItsUpdateConfigComesBack() {
    SwarmService s = create(RealSwarm.unique("override"), v1);
    SwarmServiceState known = s.capture();
    release(s, v2);
    Rollout allAtOnce = Rollout.parallelism(0).withMonitor(Duration.ofMillis(200)).withOrder(Rollout.Order.START_FIRST);

    RestoreResult r = s.withRollout(allAtOnce).restore(known);

    assertThat(r.action()).isEqualTo(RestoreResult.Action.UPDATED_WITH_ROLLOUT);
    assertThat(r.writes()).isEqualTo(2);
    assertThat(s.capture()).as("the known-good spec, its own update config included").isEqualTo(known);
    JsonNode rolledOutWith = docker.inspect(s.name()).path("PreviousSpec").path("UpdateConfig");
    assertThat(rolledOutWith.path("Parallelism").asInt(-1)).isZero();
    assertThat(rolledOutWith.path("Order").asText()).isEqualTo("start-first");
    assertThat(rolledOutWith.path("FailureAction").asText()).isEqualTo("pause");
    assertThat(s.convergence(known).converged()).isTrue();
  }

  @Test
  void anUpdateConfigWhoseFailureActionIsRollbackIsRolledOutWithPauseThenPutBack() {
    String name = RealSwarm.unique("fa");
    ObjectNode spec = docker.serviceSpec(name, v1, 1);
    spec.set("UpdateConfig", RealSwarm.rollout(1, "rollback"));
    docker.create(spec);
    docker.awaitConverged(name, Duration.ofSeconds(60));
    SwarmService s = docker.swarm.service(name).withConvergeTimeout(Duration.ofSeconds(60));
    SwarmServiceState known = s.capture();
    release(s, v2);
    release(s, v3);

    RestoreResult r = s.restore(known);

    assertThat(r.action()).isEqualTo(RestoreResult.Action.UPDATED_WITH_ROLLOUT);
    assertThat(s.capture()).isEqualTo(known);
    assertThat(docker.inspect(name).path("PreviousSpec").path("UpdateConfig").path("FailureAction").asText()).isEqualTo("pause");
  }

  @Test
  void aConflictingUpdateIsRetriedFromAFreshReadAndTheDecisionIsMadeAgain() {
    SwarmService s = create(RealSwarm.unique("conflict"), v1);
    SwarmServiceState known = s.capture();
    release(s, v2);
    List<Integer> attempts = new ArrayList<>();

    RestoreResult r = s.withBeforeWrite(attempt -> {
      attempts.add(attempt);
      if (attempt == 1) docker.update(s.name(), spec -> spec.putObject("Labels").put("touched", "by-someone-else"));
    }).restore(known);

    assertThat(attempts).containsExactly(1, 2);
    assertThat(r.conflicts()).isEqualTo(1);
    assertThat(r.message()).contains("after 1 conflicting update");
    assertThat(r.action()).as("the previous spec is now the other writer's: an update, not a Swarm rollback")
        .isEqualTo(RestoreResult.Action.UPDATED);
    assertThat(s.capture()).isEqualTo(known);
  }

  @Test
  void anUnknownServiceIsAStepFailureNamingIt() {
    SwarmService missing = docker.swarm.service("no-such-service");
    RollbackPlan plan = RollbackPlan.builder("missing").sequential("swarm", st -> st.step(Swarm.rollbackToPrevious(missing)))
        .withFailurePolicy(FailurePolicy.CONTINUE).build();

    RollbackResult result = engine.run(plan, Deployment.of("swarm-it", "2"));

    assertThat(result.outcome().isSuccess()).isFalse();
    StepOutcome step = result.step("swarm/roll back service no-such-service");
    assertThat(step).isInstanceOf(StepOutcome.Failed.class);
    assertThat(((StepOutcome.Failed) step).error()).contains("service no-such-service does not exist on unix://");
    assertThatThrownBy(() -> missing.rollbackToPrevious()).isInstanceOf(SwarmApiException.class)
        .satisfies(e -> assertThat(((SwarmApiException) e).status()).isEqualTo(404));
  }

  @Test
  void aKnownGoodConfigRemovedSinceTheCaptureIsARefusalNamingTheServiceAndTheConfig() {
    String name = RealSwarm.unique("cfg");
    String v1Name = RealSwarm.unique("conf-a-");
    String v1Id = docker.createConfig(v1Name, "a=1");
    ObjectNode spec = docker.serviceSpec(name, v1, 1);
    RealSwarm.attachConfig(spec, v1Id, v1Name, "/app.conf");
    docker.create(spec);
    docker.awaitConverged(name, Duration.ofSeconds(60));
    SwarmService s = docker.swarm.service(name).withConvergeTimeout(Duration.ofSeconds(30));
    SwarmServiceState known = s.capture();
    String v2Name = RealSwarm.unique("conf-b-");
    String v2Id = docker.createConfig(v2Name, "a=2");
    docker.update(name, sp -> RealSwarm.attachConfig(sp, v2Id, v2Name, "/app.conf"));
    docker.awaitConverged(name, Duration.ofSeconds(60));
    docker.update(name, sp -> RealSwarm.setImage(sp, v2));      // a second release: v1's config is in no spec now
    docker.awaitConverged(name, Duration.ofSeconds(60));
    docker.api.delete("/configs/" + v1Id);

    assertThat(known.configs()).containsExactly(v1Name + " (" + v1Id + ")");
    assertThatThrownBy(() -> s.restore(known))
        .isInstanceOf(SwarmApiException.class)
        .hasMessageContaining("Swarm refused the restore of service " + name)
        .hasMessageContaining("configs [" + v1Name + " (" + v1Id + ")]")
        .hasMessageContaining(v1Id);
    assertThat(s.capture().configs()).containsExactly(v2Name + " (" + v2Id + ")");
  }

  @Test
  void aServiceThatWasNeverUpdatedHasNoPreviousSpecToGoBackTo() {
    SwarmService s = create(RealSwarm.unique("fresh"), v1);

    assertThatThrownBy(s::rollbackToPrevious).isInstanceOf(SwarmRollbackException.class)
        .hasMessageContaining("service " + s.name()).hasMessageContaining("no previous spec");
  }

  @Test
  void anImageTheNodeCannotRunFailsTheStepWithTheTasksErrorsAndAResumeFinishesOnceItIsBack(@TempDir Path dir)
      throws Exception {
    String gone = docker.image(RealSwarm.unique("gone"));
    SwarmService s = create(RealSwarm.unique("noimg"), gone);
    RollbackPlan plan = RollbackPlan.builder("back to gone")
        .sequential("swarm", st -> st.step(Swarm.restoreKnownGood(s.withConvergeTimeout(Duration.ofSeconds(30))))).build();

    RollbackResult halted;
    String runId;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
      KnownGood known = engine.captureKnownGood(plan, Deployment.of("swarm-it", "2"));
      release(s, v2);
      docker.api.delete("/images/" + gone);            // the known-good image is no longer on the node
      var run = engine.start(plan, Deployment.of("swarm-it", "2"), RunOptions.defaults().withKnownGood(known));
      runId = run.runId();
      run.answer(run.awaitGate(Duration.ofSeconds(90)).id(), Decision.HALT, "it");
      halted = run.await(HANG_GUARD);
    }
    assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
    String error = ((StepOutcome.Failed) halted.step("swarm/restore service " + s.name())).error();
    assertThat(error).contains("service " + s.name()).contains("paused").contains("No such image");

    docker.api.post("/images/" + RealSwarm.REPO + ":base/tag?repo=" + RealSwarm.REPO + "&tag="
        + gone.substring(gone.indexOf(':') + 1), null);   // the image is back
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
      var run = engine.resume(runId, plan);
      run.answer(run.awaitGate(HANG_GUARD).id(), Decision.RETRY, "it");
      RollbackResult result = run.await(Duration.ofSeconds(120));
      assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(image(s)).isEqualTo(gone);
    assertThat(s.convergence(s.capture()).converged()).isTrue();
  }

  @Test
  void aReleaseThatSetsABadImageIsRevertedToTheKnownGoodSpec() {
    SwarmService s = create(RealSwarm.unique("rel"), v1).withConvergeTimeout(Duration.ofSeconds(20));
    Release rel = Release.builder("release missing image")
        .change(Swarm.setImage(s, RealSwarm.REPO + ":" + RealSwarm.unique("never")))
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(rel);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.summary()).contains("No such image");
    assertThat(image(s)).isEqualTo(v1);
    assertThat(s.convergence(s.capture()).converged()).isTrue();
  }

  static String read(Path p) throws Exception {
    return Files.readString(p);
  }
}
