package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RunHistory;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import dev.rollback.test.RollbackAssertions;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on the real kube-apiserver: the rollback's client reaches it through a
 * {@link FaultProxy} (TLS ends at the proxy) that answers the Deployment's PATCH with 409 or 500,
 * or hangs it, after the ConfigMap the template references was already restored — in the middle
 * of the restore. What the server holds is read with a client that bypasses the proxy.
 */
class ApiServerFaultIT {
  private static final Duration HANG_GUARD = Duration.ofMinutes(2);
  private static final String CONFLICT = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      + "\"message\":\"Operation cannot be fulfilled on deployments.apps \\\"web\\\": the object has been modified;"
      + " please apply your changes to the latest version and try again\",\"reason\":\"Conflict\","
      + "\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":409}";
  private static final String INTERNAL = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      + "\"message\":\"etcdserver: request timed out\",\"reason\":\"InternalError\",\"code\":500}";

  static RealCluster cluster;
  static KubernetesClient direct;

  FaultProxy proxy;
  KubernetesClient proxied;
  String ns;
  DeploymentRollout web;
  RollbackPlan plan;
  KnownGood knownGood;
  InMemoryJournal journal;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    direct = cluster.client;
  }

  /** web:1 on config mode=v1, the known-good release. */
  @BeforeEach
  void deployTheGoodRelease() throws Exception {
    proxy = FaultProxy.https(URI.create(cluster.server()).getPort());
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(proxy.uri().toString())
        .withOauthToken(cluster.env.get("KUBE_TOKEN")).withTrustCerts(true).withDisableHostnameVerification(true)
        .withRequestRetryBackoffLimit(0).withRequestTimeout(3_000).withNamespace("default").build();
    proxied = new KubernetesClientBuilder().withConfig(config).build();
    ns = cluster.namespace("faults");
    direct.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("web-config").endMetadata()
        .withData(Map.of("mode", "v1")).build()).create();
    direct.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("web:1")
        .addNewEnvFrom().withNewConfigMapRef().withName("web-config").endConfigMapRef().endEnvFrom()
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    web = Kubernetes.using(proxied).deployment(ns, "web").withRolloutTimeout(Duration.ofSeconds(60));
    assertThat(web.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout").isTrue();
  }

  /** Captures the known-good state for {@code p}, then the bad release puts web:2 on mode=v2. */
  private void badReleaseAfterCapturing(RollbackPlan p) {
    plan = p;
    journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      knownGood = engine.captureKnownGood(plan, dev.rollback.Deployment.of("web", "2"));
    }
    direct.configMaps().inNamespace(ns).withName("web-config")
        .edit(cm -> new ConfigMapBuilder(cm).addToData("mode", "v2").build());
    direct.apps().deployments().inNamespace(ns).withName("web").edit(d -> new DeploymentBuilder(d).editSpec().editTemplate()
        .editSpec().editFirstContainer().withImage("web:2").endContainer().endSpec().endTemplate().endSpec().build());
    assertThat(Kubernetes.using(direct).deployment(ns, "web").awaitRollout(Duration.ofSeconds(60)).isComplete())
        .as("bad rollout").isTrue();
  }

  @AfterEach
  void stop() {
    proxy.close();
    proxied.close();
    direct.namespaces().withName(ns).delete();
  }

  private static Fault onTheDeploymentPatch(Fault fault) {
    return fault.matching("PATCH of the Deployment",
        r -> r.method().equals("PATCH") && r.target().contains("/deployments/web"));
  }

  private RollbackPlan withRetry(Retry retry) {
    return RollbackPlan.builder("web-2")
        .sequential("workloads", s -> s.step(web.undoToKnownGood().toBuilder().withRetry(retry).build())).build();
  }

  private RollbackRun start(RollbackEngine engine) {
    return engine.start(plan, dev.rollback.Deployment.of("web", "2"), RunOptions.defaults().withKnownGood(knownGood)
        .withReason("fault test"));
  }

  private String image() {
    return direct.apps().deployments().inNamespace(ns).withName("web").get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage();
  }

  private String mode() {
    return direct.configMaps().inNamespace(ns).withName("web-config").get().getData().get("mode");
  }

  @Test
  void conflictsOnTheDeploymentMidRestoreAreRetriedAndTheRunRecovers() throws Exception {
    badReleaseAfterCapturing(withRetry(Retry.none()));
    proxy.inject(onTheDeploymentPatch(Fault.status(409, "application/json", CONFLICT)).times(2));
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = start(engine).await(HANG_GUARD);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(proxy.applied()).isEqualTo(2);
    assertThat(image()).isEqualTo("web:1");
    assertThat(mode()).isEqualTo("v1");
    RollbackAssertions.assertThat(journal).hasIntactRun(result.runId());
    // the module re-read and rewrote the Deployment itself: one attempt of the step
    assertThat(RunHistory.of(journal.read(result.runId())).steps().get(0).attempts()).isEqualTo(1);
  }

  @Test
  void aServerErrorOnTheDeploymentMidRestoreHaltsAtAGateWithTheConfigRestoredAndResumeFinishesIt() throws Exception {
    badReleaseAfterCapturing(withRetry(Retry.none()));
    proxy.inject(onTheDeploymentPatch(Fault.status(500, "application/json", INTERNAL)));
    String runId;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = start(engine);
      runId = run.runId();
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.question()).contains("workloads/undo", "500", "etcdserver: request timed out");
      run.answer(gate.id(), Decision.HALT, "sre");
      RollbackResult halted = run.await(HANG_GUARD);
      assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
    }
    // halfway and nothing lost: the config is back, the workload is still the bad one, both intact
    assertThat(mode()).isEqualTo("v1");
    assertThat(image()).isEqualTo("web:2");
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);

    proxy.heal();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun resumed = engine.resume(runId, plan);
      GateRequest again = resumed.awaitGate(HANG_GUARD);
      resumed.answer(again.id(), Decision.RETRY, "sre");
      assertThat(resumed.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(image()).isEqualTo("web:1");
    assertThat(mode()).isEqualTo("v1");
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);
    assertThat(RunHistory.of(journal.read(runId)).outcome()).contains("RECOVERED");
  }

  @Test
  void aHangingApiServerMidRestoreTimesTheAttemptOutAndTheRetryRecovers() throws Exception {
    badReleaseAfterCapturing(withRetry(Retry.times(2)));
    proxy.inject(onTheDeploymentPatch(Fault.hang()).times(1));
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = start(engine);
      proxy.awaitApplied(1);
      result = run.await(HANG_GUARD);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(image()).isEqualTo("web:1");
    assertThat(mode()).isEqualTo("v1");
    RollbackAssertions.assertThat(journal).hasIntactRun(result.runId());
    RunHistory history = RunHistory.of(journal.read(result.runId()));
    assertThat(history.steps().get(0).attempts()).isEqualTo(2);
  }
}
