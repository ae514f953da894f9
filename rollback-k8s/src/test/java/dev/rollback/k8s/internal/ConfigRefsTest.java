package dev.rollback.k8s.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigRefsTest {

  @Test
  void findsEveryConfigMapAndSecretATemplateReferencesConfigMapsFirst() {
    PodTemplateSpec t = new PodTemplateSpecBuilder().withNewSpec()
        .addNewInitContainer().withName("init").withImage("init:1")
        .addNewEnvFrom().withNewSecretRef().withName("init-secret").endSecretRef().endEnvFrom().endInitContainer()
        .addNewContainer().withName("app").withImage("app:1")
        .addNewEnv().withName("A").withNewValueFrom().withNewConfigMapKeyRef().withName("env-cm").withKey("a").endConfigMapKeyRef()
        .endValueFrom().endEnv()
        .addNewEnv().withName("B").withNewValueFrom().withNewSecretKeyRef().withName("env-secret").withKey("b").endSecretKeyRef()
        .endValueFrom().endEnv()
        .addNewEnv().withName("PLAIN").withValue("no reference").endEnv()
        .addNewEnvFrom().withNewConfigMapRef().withName("envfrom-cm").endConfigMapRef().endEnvFrom()
        .endContainer()
        .addNewVolume().withName("v1").withNewConfigMap().withName("volume-cm").endConfigMap().endVolume()
        .addNewVolume().withName("v2").withNewSecret().withSecretName("volume-secret").endSecret().endVolume()
        .addNewVolume().withName("v3").withNewProjected()
        .addNewSource().withNewConfigMap().withName("projected-cm").endConfigMap().endSource()
        .addNewSource().withNewSecret().withName("projected-secret").endSecret().endSource()
        .addNewSource().withNewConfigMap().withName("env-cm").endConfigMap().endSource()
        .endProjected().endVolume()
        .addNewVolume().withName("v4").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec().build();

    assertThat(ConfigRefs.referencedBy(t)).extracting(r -> (r.configMap() ? "ConfigMap " : "Secret ") + r.name())
        .containsExactly("ConfigMap env-cm", "ConfigMap envfrom-cm", "ConfigMap projected-cm", "ConfigMap volume-cm",
            "Secret env-secret", "Secret init-secret", "Secret projected-secret", "Secret volume-secret");
  }

  @Test
  void aSecretsDigestDependsOnItsDataNotOnKeyOrder() {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("a", "MQ==");
    ab.put("b", "Mg==");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("b", "Mg==");
    ba.put("a", "MQ==");

    assertThat(ConfigRefs.sha256(ab)).isEqualTo(ConfigRefs.sha256(ba)).startsWith("sha256:").hasSize(7 + 64);
    assertThat(ConfigRefs.sha256(Map.of("a", "MQ=="))).isNotEqualTo(ConfigRefs.sha256(ab));
    assertThat(ConfigRefs.sha256(Map.of("a", "Mg==", "b", "MQ=="))).isNotEqualTo(ConfigRefs.sha256(ab));
  }

  @Test
  void aKeptCopyIsNamedByRunSecretAndContentAsAValidObjectName() {
    String name = ConfigRefs.keptName("Release_2.4.0-" + "x".repeat(80), "db-creds", "sha256:00");

    assertThat(name).startsWith("rollback-kg-release-2-4-0-").matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
    assertThat(ConfigRefs.keptName("run", "db-creds", "sha256:01")).isNotEqualTo(ConfigRefs.keptName("run", "db-creds", "sha256:00"));
    assertThat(ConfigRefs.keptName("run", "db-creds", "sha256:00")).isEqualTo(ConfigRefs.keptName("run", "db-creds", "sha256:00"));
  }
}
