package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.FailurePolicy;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.report.RunReport;
import dev.rollback.test.ScriptedCheck;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Configuration rolled back with the workload, on the real API server and controller manager: the
 * ConfigMaps and Secrets a pod template references are captured with its revision and restored
 * before it (Argo Rollouts #1297, #2669: a rollback otherwise puts the old pods on the new config).
 */
class ConfigRollbackIT {
  static final String OLD_PASSWORD = "correct-horse-7f3a";
  static final String NEW_PASSWORD = "battery-staple-9c1e";

  static RealCluster cluster;
  static KubernetesClient client;
  static Kubernetes k8s;
  static String ns;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    client = cluster.client;
    k8s = Kubernetes.using(client);
    ns = cluster.namespace("config");
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  static void configMap(String name, Map<String, String> data) {
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata()
        .withData(data).build()).create();
  }

  static void secret(String name, String password) {
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .withStringData(Map.of("password", password)).build()).create();
  }

  static Map<String, String> data(String configMap) {
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(configMap).get();
    return cm == null ? null : cm.getData();
  }

  static String password(String secret) {
    Secret s = client.secrets().inNamespace(ns).withName(secret).get();
    return new String(Base64.getDecoder().decode(s.getData().get("password")), StandardCharsets.UTF_8);
  }

  /** A Deployment whose app container reads {@code configMap} through envFrom and, if given, {@code secret} through an env secretKeyRef. */
  static DeploymentRollout create(String name, String configMap, String secret) {
    var container = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("app").withImage("app:1")
        .addNewEnvFrom().withNewConfigMapRef().withName(configMap).endConfigMapRef().endEnvFrom();
    if (secret != null) {
      container.addNewEnv().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef().withName(secret)
          .withKey("password").endSecretKeyRef().endValueFrom().endEnv();
    }
    client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withReplicas(1)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
        .withSpec(new PodSpecBuilder().addToContainers(container.build()).build())
        .endTemplate().endSpec().build()).create();
    DeploymentRollout d = k8s.deployment(ns, name).withRolloutTimeout(Duration.ofSeconds(60));
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).as("first rollout of " + name).isTrue();
    return d;
  }

  static String image(String deployment) {
    return client.apps().deployments().inNamespace(ns).withName(deployment).get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getImage();
  }

  static void setConfig(String configMap, String key, String value) {
    client.configMaps().inNamespace(ns).withName(configMap).edit(cm -> new ConfigMapBuilder(cm).addToData(key, value).build());
  }

  static void setPassword(String secret, String password) {
    client.secrets().inNamespace(ns).withName(secret).edit(s -> new SecretBuilder(s)
        .addToData("password", Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8))).build());
  }

  /** A release change that edits config the way a CI pipeline does, outside the workload (its own revert does nothing). */
  static Change editOutside(String what, Runnable edit) {
    return Change.of(what, ctx -> edit.run(), ctx -> { });
  }

  @Test
  void undoingAReleaseThatChangedAConfigMapAndTheImagePutsBackBothConfigFirst() {
    configMap("shop-config", Map.of("greeting", "hello"));
    List<String> writes = new CopyOnWriteArrayList<>();
    DeploymentRollout d = create("shop", "shop-config", null).withBeforeAnyWrite((what, attempt) -> writes.add(what));

    Release release = Release.builder("shop 2")
        .change(editOutside("greet in French", () -> setConfig("shop-config", "greeting", "bonjour")))
        .change(d.setImage("app", "app:2"))
        .healthGate(ScriptedCheck.answering("shop smoke test", HealthStatus.DOWN)).within(Duration.ofMillis(300))
        .withRevertFailurePolicy(FailurePolicy.CONTINUE)
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.run(release);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(data("shop-config")).containsEntry("greeting", "hello");
    assertThat(image("shop")).isEqualTo("app:1");
    assertThat(writes).as("the apply writes the template; the revert writes the ConfigMap, then the template")
        .containsExactly("template", "ConfigMap shop-config", "template");
    assertThat(d.rolloutStatus().isComplete()).isTrue();
  }

  @Test
  void aKustomizeNameHashReleaseIsUndoneByRestoringTheReferenceAndADeletedConfigMapIsRecreated() {
    configMap("web-config-5f8k2", Map.of("feature", "off"));
    DeploymentRollout d = create("web", "web-config-5f8k2", null);
    Snapshot known = d.captureRevision();
    // kustomize: new content, new name; the Deployment now references it and the old one is pruned
    configMap("web-config-9h4m7", Map.of("feature", "on"));
    client.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.JSON),
        "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/envFrom/0/configMapRef/name\",\"value\":\"web-config-9h4m7\"},"
            + "{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"app:2\"}]");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
    client.configMaps().inNamespace(ns).withName("web-config-5f8k2").delete();

    UndoResult r = d.undo(Revision.captured(known));

    assertThat(r.message()).contains("recreated ConfigMap web-config-5f8k2");
    assertThat(data("web-config-5f8k2")).isEqualTo(Map.of("feature", "off"));
    assertThat(data("web-config-9h4m7")).as("the new one is left alone").isEqualTo(Map.of("feature", "on"));
    var envFrom = client.apps().deployments().inNamespace(ns).withName("web").get().getSpec().getTemplate().getSpec()
        .getContainers().get(0).getEnvFrom();
    assertThat(envFrom).singleElement().satisfies(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo("web-config-5f8k2"));
    assertThat(image("web")).isEqualTo("app:1");
    assertThat(d.awaitRollout(Duration.ofSeconds(60)).isComplete()).isTrue();
  }

  @Test
  void aConfigMapWrittenByAnotherClientWhileRestoringIsRestoredFromAFreshRead() {
    configMap("race-config", Map.of("limit", "10"));
    DeploymentRollout d = create("race", "race-config", null);
    Snapshot known = d.captureRevision();
    setConfig("race-config", "limit", "20");
    List<String> attempts = new CopyOnWriteArrayList<>();

    UndoResult r = d.withBeforeAnyWrite((what, attempt) -> {
      attempts.add(what + " #" + attempt);
      if (what.equals("ConfigMap race-config") && attempt == 1) {
        client.configMaps().inNamespace(ns).withName("race-config").edit(cm -> new ConfigMapBuilder(cm)
            .editMetadata().addToLabels("touched", "by-someone-else").endMetadata().build());
      }
    }).undo(Revision.captured(known));

    assertThat(attempts).containsExactly("ConfigMap race-config #1", "ConfigMap race-config #2");
    assertThat(r.skipped()).as("the template already matched").isTrue();
    ConfigMap after = client.configMaps().inNamespace(ns).withName("race-config").get();
    assertThat(after.getData()).containsEntry("limit", "10");
    assertThat(after.getMetadata().getLabels()).containsEntry("touched", "by-someone-else");
  }

  @Test
  void aSecretIsCapturedByDigestAndAChangedOneIsNotRestoredWithoutTheOptInNorEverJournaled() {
    configMap("pay-config", Map.of("currency", "EUR"));
    secret("pay-db", OLD_PASSWORD);
    DeploymentRollout d = create("pay", "pay-config", "pay-db");
    InMemoryJournal journal = InMemoryJournal.create();

    Release release = Release.builder("pay 2")
        .change(editOutside("rotate the database password", () -> setPassword("pay-db", NEW_PASSWORD)))
        .change(d.setImage("app", "app:2"))
        .healthGate(ScriptedCheck.answering("pay smoke test", HealthStatus.DOWN)).within(Duration.ofMillis(300))
        .withRevertFailurePolicy(FailurePolicy.CONTINUE)
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = engine.run(release);
    }

    assertThat(result.outcome()).as(result.summary()).isNotEqualTo(RunOutcome.RECOVERED);
    StepOutcome revert = result.step("set image app=app:2 on deployment pay in " + ns + "/revert");
    assertThat(revert).isInstanceOf(StepOutcome.Failed.class);
    assertThat(((StepOutcome.Failed) revert).error())
        .contains("Secret " + ns + "/pay-db changed since it was captured")
        .contains("only its digest was kept")
        .contains("withSecretContentKept()")
        .contains("nothing was written");
    assertThat(password("pay-db")).isEqualTo(NEW_PASSWORD);
    assertThat(image("pay")).as("nothing written: the template waits for its config").isEqualTo("app:2");
    assertNoSecretValueIn(journal, result);
    assertThat(new String(journal.bytes(result.runId()), StandardCharsets.UTF_8)).contains("sha256:");
  }

  @Test
  void withTheOptInAChangedSecretIsRestoredFromTheCopyTheRollbackKeptAndStillNeverJournaled() {
    configMap("bill-config", Map.of("currency", "EUR"));
    secret("bill-db", OLD_PASSWORD);
    DeploymentRollout d = create("bill", "bill-config", "bill-db").withSecretContentKept();
    InMemoryJournal journal = InMemoryJournal.create();

    Release release = Release.builder("bill 2")
        .change(editOutside("rotate the database password", () -> setPassword("bill-db", NEW_PASSWORD)))
        .change(d.setImage("app", "app:2"))
        .healthGate(ScriptedCheck.answering("bill smoke test", HealthStatus.DOWN)).within(Duration.ofMillis(300))
        .withRevertFailurePolicy(FailurePolicy.CONTINUE)
        .build();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = engine.run(release);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(password("bill-db")).isEqualTo(OLD_PASSWORD);
    assertThat(image("bill")).isEqualTo("app:1");
    List<Secret> kept = client.secrets().inNamespace(ns).withLabel(Workload.KEPT_LABEL, "true").list().getItems().stream()
        .filter(s -> "bill-db".equals(s.getMetadata().getAnnotations().get("rollback.dev/kept-from"))).toList();
    assertThat(kept).isNotEmpty().allSatisfy(s -> assertThat(s.getMetadata().getName()).startsWith("rollback-kg-"));
    String journaled = new String(journal.bytes(result.runId()), StandardCharsets.UTF_8);
    assertThat(journaled).contains(kept.get(0).getMetadata().getName());
    assertNoSecretValueIn(journal, result);
  }

  @Test
  void aSnapshotThatBelongsToAnotherWorkloadIsRefusedNamingBoth() {
    configMap("one-config", Map.of("k", "v"));
    DeploymentRollout one = create("one", "one-config", null);
    Snapshot known = one.captureRevision();

    assertThatThrownBy(() -> k8s.deployment(ns, "other").undo(Revision.captured(known)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("snapshot of Deployment " + ns + "/one cannot restore deployment " + ns + "/other");
  }

  static void assertNoSecretValueIn(InMemoryJournal journal, RollbackResult result) {
    String journaled = new String(journal.bytes(result.runId()), StandardCharsets.UTF_8);
    RunReport report = RunReport.of(journal, result.runId());
    for (String value : List.of(OLD_PASSWORD, NEW_PASSWORD)) {
      String b64 = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
      assertThat(journaled).as("journal bytes").doesNotContain(value).doesNotContain(b64);
      assertThat(report.toJson()).as("JSON report").doesNotContain(value).doesNotContain(b64);
      assertThat(report.toMarkdown()).as("Markdown report").doesNotContain(value).doesNotContain(b64);
      assertThat(result.summary()).as("result summary").doesNotContain(value).doesNotContain(b64);
    }
  }
}
