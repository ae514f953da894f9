package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.LeaseLostException;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepLease;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.k8s.internal.Fencing;
import dev.rollback.test.ScriptedCheck;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.FakeStepLease;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What restoring config costs, on the real API server: a ConfigMap the adapter last read (a step's
 * undo snapshot, the read-back of the release's change) with other content than its target is
 * written without reading it again, one PATCH; one seen with its target's content is, under a
 * lease, read again (one GET) and not written, and without one (a direct undo after the capture)
 * patched with its target's content, one PATCH that the API server turns into no write when it is
 * unchanged. The PATCH of a changed one carries the resourceVersion seen as its precondition: a
 * ConfigMap written since (by anyone, a newer lease holder included) is read again and decided
 * afresh. Requests are counted by a fabric8 interceptor on the client the module uses.
 */
class ConfigRestoreRoundTripsIT {
  private static final String LEASE = "rollback-guard-shop@2";
  static RealCluster cluster;
  static KubernetesClient client;
  static KubernetesClient counted;
  static final List<String> requests = new CopyOnWriteArrayList<>();
  static String ns;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    client = cluster.client;
    ns = cluster.namespace("roundtrips");
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(cluster.env.get("KUBE_SERVER"))
        .withOauthToken(cluster.env.get("KUBE_TOKEN")).withTrustCerts(true).withDisableHostnameVerification(true)
        .withRequestRetryBackoffLimit(0).build();
    counted = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String path = request.uri().getPath();
            String in = "/namespaces/" + ns + "/";
            requests.add(request.method() + " " + (path.contains(in) ? path.substring(path.indexOf(in) + in.length()) : path));
          }
        })).build();
  }

  @AfterAll
  static void dropNamespace() {
    if (counted != null) counted.close();
    client.namespaces().withName(ns).delete();
  }

  /** A Deployment reading {@code name-env} (envFrom) and {@code name-files} (a volume), rolled out, on the counted client. */
  static DeploymentRollout create(String name) {
    for (String cm : List.of(name + "-env", name + "-files")) {
      client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(cm).endMetadata()
          .withData(Map.of("MODE", "v1")).build()).create();
    }
    var container = new ContainerBuilder().withName("app").withImage("app:1")
        .addNewEnvFrom().withNewConfigMapRef().withName(name + "-env").endConfigMapRef().endEnvFrom()
        .addNewVolumeMount().withName("files").withMountPath("/etc/app").endVolumeMount().build();
    client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withNewSpec().addToContainers(container)
        .addNewVolume().withName("files").withNewConfigMap().withName(name + "-files").endConfigMap().endVolume()
        .endSpec().endTemplate().endSpec().build()).create();
    DeploymentRollout d = Kubernetes.using(counted).deployment(ns, name).withRolloutTimeout(Duration.ZERO);
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout of " + name).isTrue();
    return d;
  }

  static void setMode(String configMap, String mode) {
    client.configMaps().inNamespace(ns).withName(configMap).edit(c -> new ConfigMapBuilder(c).addToData("MODE", mode).build());
  }

  static void setImage(String deployment, String image) {
    client.apps().deployments().inNamespace(ns).withName(deployment).edit(d -> new DeploymentBuilder(d).editSpec()
        .editTemplate().editSpec().editFirstContainer().withImage(image).endContainer().endSpec().endTemplate().endSpec()
        .build());
  }

  static ConfigMap configMap(String name) {
    return client.configMaps().inNamespace(ns).withName(name).get();
  }

  /**
   * Runs {@code step} as the engine runs a first attempt, its undo snapshot then its action in one
   * context, and returns the requests of the restore: up to the workload's PATCH, as the step then
   * reads the revision back.
   */
  static List<String> requestsOfTheRestore(Step step, FakeStepContext ctx, String deployment) throws Exception {
    step.undoCapture().orElseThrow().capture(ctx);
    requests.clear();
    step.action().run(ctx);
    int write = requests.indexOf("PATCH deployments/" + deployment);
    return List.copyOf(write < 0 ? requests : requests.subList(0, write + 1));
  }

  static FakeStepContext context(Snapshot knownGood, StepLease lease) {
    return FakeStepContext.builder().withKnownGood(knownGood).withLease(lease).build();
  }

  @Test
  void aChangedConfigMapCostsTheRestoreOnePatchAfterTheStepsOwnRead() throws Exception {
    DeploymentRollout d = create("changed");
    Snapshot known = d.captureRevision();
    setMode("changed-env", "v2");
    setMode("changed-files", "v2");
    setImage("changed", "app:2");

    List<String> restore = requestsOfTheRestore(d.undoToKnownGood(), context(known, FakeStepLease.held(LEASE, "pod-1", 1)), "changed");

    assertThat(restore).as("the requests of the restore").containsExactly(
        "GET deployments/changed", "GET replicasets",
        "PATCH configmaps/changed-env", "PATCH configmaps/changed-files", "PATCH deployments/changed");
    assertThat(configMap("changed-env").getData()).containsEntry("MODE", "v1");
    assertThat(configMap("changed-files").getData()).containsEntry("MODE", "v1");
    assertThat(configMap("changed-env").getMetadata().getAnnotations()).containsEntry(Fencing.ANNOTATION, "1 " + LEASE);
  }

  @Test
  void theEnginesRevertOfAReleaseWritesAChangedConfigMapWithoutReadingItAgain() {
    DeploymentRollout d = create("release");
    Release release = Release.builder("release 2")
        .change(Change.of("pipeline edits the config", ctx -> setMode("release-env", "v2"), ctx -> { }))
        .change(d.setImage("app", "app:2"))
        .healthGate(ScriptedCheck.answering("smoke test", HealthStatus.DOWN)).within(Duration.ofMillis(300))
        .build();
    String[] filesBefore = {configMap("release-files").getMetadata().getResourceVersion()};
    requests.clear();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(release);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(configMap("release-env").getData()).containsEntry("MODE", "v1");
    int patch = requests.indexOf("PATCH configmaps/release-env");
    assertThat(patch).as("the ConfigMap's restore in " + requests).isPositive();
    assertThat(requests.subList(patch - 6, patch + 3)).as("the apply's read-back, then the revert")
        .containsExactly("GET deployments/release", "GET replicasets", "GET configmaps/release-env",
            "GET configmaps/release-files", // the read-back of app:2, after the pipeline's edit: release-env changed
            "GET deployments/release", "GET replicasets",
            "PATCH configmaps/release-env", // seen changed: written at once, on the resourceVersion seen
            "PATCH configmaps/release-files", // seen with its target's content, no lease: patched with it, a no-op
            "PATCH deployments/release");
    assertThat(configMap("release-files").getMetadata().getResourceVersion()).as("release-files unchanged: not written")
        .isEqualTo(filesBefore[0]);
  }

  @Test
  void anUnchangedConfigMapCostsTheRestoreOneReadAndNoWrite() throws Exception {
    DeploymentRollout d = create("same");
    Snapshot known = d.captureRevision();
    setImage("same", "app:2");
    String before = configMap("same-env").getMetadata().getResourceVersion();

    List<String> restore = requestsOfTheRestore(d.undoToKnownGood(), context(known, FakeStepLease.held(LEASE, "pod-1", 1)), "same");

    assertThat(restore).as("the requests of the restore").containsExactly(
        "GET deployments/same", "GET replicasets", "GET configmaps/same-env", "GET configmaps/same-files",
        "PATCH deployments/same");
    assertThat(configMap("same-env").getMetadata().getResourceVersion()).as("no write").isEqualTo(before);
  }

  @Test
  void aConfigMapWrittenBetweenTheStepsReadAndItsRestoreIsReadAgainAndStillRestored() throws Exception {
    DeploymentRollout d = create("race");
    Snapshot known = d.captureRevision();
    setMode("race-env", "v2");
    setImage("race", "app:2");
    Step step = d.undoToKnownGood();
    FakeStepContext ctx = context(known, StepLease.none());
    step.undoCapture().orElseThrow().capture(ctx);
    setMode("race-env", "v3"); // a pipeline writes again after the step read it
    setMode("race-files", "v3"); // and changes the one the step saw unchanged
    requests.clear();

    step.action().run(ctx);

    assertThat(requests.subList(0, requests.indexOf("PATCH deployments/race") + 1)).as("the requests of the restore")
        .containsExactly("GET deployments/race", "GET replicasets",
            "PATCH configmaps/race-env", // seen changed: written at once, on the resourceVersion seen: a 409
            "GET configmaps/race-env", "PATCH configmaps/race-env", // read again, written again
            "PATCH configmaps/race-files", // seen unchanged, no lease: patched with its captured content
            "PATCH deployments/race");
    assertThat(configMap("race-env").getData()).as("seen changed, changed again: restored from a fresh read")
        .containsEntry("MODE", "v1");
    assertThat(configMap("race-files").getData()).as("seen unchanged, then changed: restored by the one patch")
        .containsEntry("MODE", "v1");
  }

  @Test
  void aNewerLeaseHoldersTokenOnTheConfigMapStillRefusesTheRestore() throws Exception {
    DeploymentRollout d = create("fenced");
    Snapshot known = d.captureRevision();
    setMode("fenced-env", "v2");
    setImage("fenced", "app:2");
    Step step = d.undoToKnownGood();
    FakeStepContext stale = context(known, FakeStepLease.held(LEASE, "pod-1", 1)); // has not noticed
    step.undoCapture().orElseThrow().capture(stale);
    // pod-2 took the lease over and restored the ConfigMap to what it decided, after pod-1 read it
    client.configMaps().inNamespace(ns).withName("fenced-env").edit(c -> new ConfigMapBuilder(c).addToData("MODE", "v9")
        .editMetadata().addToAnnotations(Fencing.ANNOTATION, "2 " + LEASE).endMetadata().build());
    String taken = configMap("fenced-env").getMetadata().getResourceVersion();
    requests.clear();

    assertThatThrownBy(() -> step.action().run(stale)).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("fenced-env carries fencing token 2", "the write was refused");

    assertThat(requests).as("the conditional PATCH fails on the resourceVersion; the fresh read refuses")
        .containsSubsequence("PATCH configmaps/fenced-env", "GET configmaps/fenced-env")
        .doesNotContain("PATCH deployments/fenced");
    assertThat(configMap("fenced-env").getMetadata().getResourceVersion()).isEqualTo(taken);
    assertThat(configMap("fenced-env").getData()).containsEntry("MODE", "v9");

    // the token already on the object when the step reads it: refused without a write
    FakeStepContext again = context(known, FakeStepLease.held(LEASE, "pod-1", 1));
    assertThatThrownBy(() -> requestsOfTheRestore(step, again, "fenced")).isInstanceOf(LeaseLostException.class);
    assertThat(requests).noneMatch(r -> r.startsWith("PATCH"));
    assertThat(configMap("fenced-env").getMetadata().getResourceVersion()).isEqualTo(taken);
  }

  /** The requests of {@code undo}, up to the Deployment's PATCH. */
  static List<String> requestsOf(Runnable undo, String deployment) {
    requests.clear();
    undo.run();
    int write = requests.indexOf("PATCH deployments/" + deployment);
    return List.copyOf(write < 0 ? requests : requests.subList(0, write + 1));
  }

  @Test
  void aDirectUndoToTheCapturedRevisionPutsBackEachChangedConfigMapWithOnePatch() {
    DeploymentRollout d = create("direct");
    Snapshot known = d.captureRevision();
    setMode("direct-env", "v2");
    setMode("direct-files", "v2");
    setImage("direct", "app:2");
    UndoResult[] result = new UndoResult[1];

    List<String> undo = requestsOf(() -> result[0] = d.undo(Revision.captured(known)), "direct");

    assertThat(undo).as("the requests of the undo: no read of a ConfigMap before its write").containsExactly(
        "GET deployments/direct", "GET replicasets",
        "PATCH configmaps/direct-env", "PATCH configmaps/direct-files", "PATCH deployments/direct");
    assertThat(configMap("direct-env").getData()).containsEntry("MODE", "v1");
    assertThat(configMap("direct-files").getData()).containsEntry("MODE", "v1");
    assertThat(result[0].message()).as("the changes written since the capture are replaced, and said so")
        .contains("restored ConfigMap direct-env", "restored ConfigMap direct-files");
  }

  @Test
  void aDirectUndoLeavesAnUnchangedConfigMapUnwrittenInTheSameOneRequest() {
    DeploymentRollout d = create("direct-same");
    Snapshot known = d.captureRevision();
    setImage("direct-same", "app:2");
    String env = configMap("direct-same-env").getMetadata().getResourceVersion();
    String files = configMap("direct-same-files").getMetadata().getResourceVersion();
    UndoResult[] result = new UndoResult[1];

    List<String> undo = requestsOf(() -> result[0] = d.undo(Revision.captured(known)), "direct-same");

    assertThat(undo).as("the requests of the undo").containsExactly("GET deployments/direct-same", "GET replicasets",
        "PATCH configmaps/direct-same-env", "PATCH configmaps/direct-same-files", "PATCH deployments/direct-same");
    assertThat(configMap("direct-same-env").getMetadata().getResourceVersion()).as("no write").isEqualTo(env);
    assertThat(configMap("direct-same-files").getMetadata().getResourceVersion()).as("no write").isEqualTo(files);
    assertThat(result[0].message()).doesNotContain("ConfigMap");
  }

  @Test
  void aConfigMapDeletedOrRecreatedSinceTheCaptureIsReadAgainAndRestored() {
    DeploymentRollout d = create("gone");
    Snapshot known = d.captureRevision();
    client.configMaps().inNamespace(ns).withName("gone-env").delete();
    client.configMaps().inNamespace(ns).withName("gone-files").delete();
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("gone-files").endMetadata()
        .withData(Map.of("MODE", "v7")).build()).create(); // another object of the same name
    setImage("gone", "app:2");

    List<String> undo = requestsOf(() -> d.undo(Revision.captured(known)), "gone");

    assertThat(undo).as("the requests of the undo").containsExactly("GET deployments/gone", "GET replicasets",
        "PATCH configmaps/gone-env", "GET configmaps/gone-env", "POST configmaps", // 404: recreated
        "PATCH configmaps/gone-files", "GET configmaps/gone-files", "PATCH configmaps/gone-files", // 422 on the uid test
        "PATCH deployments/gone");
    assertThat(configMap("gone-env").getData()).containsEntry("MODE", "v1");
    assertThat(configMap("gone-files").getData()).containsEntry("MODE", "v1");
  }

  @Test
  void underALeaseAConfigMapOnlySeenByTheCaptureIsReadAndANewerTokenOnItStillRefusesTheRestore() {
    DeploymentRollout d = create("leased");
    Snapshot known = d.captureRevision();
    // pod-2 took the lease over and wrote the ConfigMap after this replica's capture
    client.configMaps().inNamespace(ns).withName("leased-env").edit(c -> new ConfigMapBuilder(c).addToData("MODE", "v9")
        .editMetadata().addToAnnotations(Fencing.ANNOTATION, "2 " + LEASE).endMetadata().build());
    String taken = configMap("leased-env").getMetadata().getResourceVersion();
    setImage("leased", "app:2");
    FakeStepContext stale = context(known, FakeStepLease.held(LEASE, "pod-1", 1));
    WorkloadRevision target = d.revisionAdapter().codec().decode(known);
    requests.clear();

    assertThatThrownBy(() -> d.revisionAdapter().apply(target, stale)).isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("leased-env carries fencing token 2", "the write was refused");

    assertThat(requests).as("read, not patched blind: the write must record the token, so it is decided on a read")
        .contains("GET configmaps/leased-env").noneMatch(r -> r.startsWith("PATCH"));
    assertThat(configMap("leased-env").getMetadata().getResourceVersion()).isEqualTo(taken);
  }

  @Test
  void awaitingTheRolloutReadsOnceThenWatchesInsteadOfPolling() {
    DeploymentRollout d = create("wait");
    setImage("wait", "app:2");
    requests.clear();

    RolloutStatus s = d.awaitRollout(Duration.ofSeconds(60));

    assertThat(s.isComplete()).as(s.message()).isTrue();
    assertThat(requests).as("one GET, then one watch from its resourceVersion, for a rollout of several status changes")
        .containsExactly("GET deployments/wait", "GET deployments");
  }
}
