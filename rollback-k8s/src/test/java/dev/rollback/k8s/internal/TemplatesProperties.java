package dev.rollback.k8s.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** kubectl's annotation copy and hash-blind template equality, over arbitrary annotations and labels. */
class TemplatesProperties {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  @Provide
  Arbitrary<Map<String, String>> annotations() {
    List<String> keys = new ArrayList<>(Templates.ANNOTATIONS_TO_SKIP);
    keys.addAll(List.of("change-cause", "team.example/owner", "a", "b/c"));
    return Arbitraries.maps(Arbitraries.of(keys), Arbitraries.strings().alpha().ofMaxLength(5)).ofMaxSize(8);
  }

  @Property
  void theDeploymentKeepsItsSkipListedAnnotationsAndTakesEveryOtherOneFromTheReplicaSet(
      @ForAll("annotations") Map<String, String> deployment, @ForAll("annotations") Map<String, String> replicaSet) {
    Map<String, String> out = Templates.rollbackAnnotations(deployment, replicaSet);

    for (String k : Templates.ANNOTATIONS_TO_SKIP) {
      assertThat(out.get(k)).as(k).isEqualTo(deployment.get(k));
    }
    replicaSet.forEach((k, v) -> {
      if (!Templates.ANNOTATIONS_TO_SKIP.contains(k)) assertThat(out).containsEntry(k, v);
    });
    out.keySet().forEach(k -> assertThat(Templates.ANNOTATIONS_TO_SKIP.contains(k) || replicaSet.containsKey(k)).as(k).isTrue());
  }

  @Property
  void templatesThatDifferOnlyInTheirPodTemplateHashAreEqual(
      @ForAll("annotations") Map<String, String> labels, @ForAll String hash, @ForAll boolean sameImage) {
    Map<String, String> withHash = new HashMap<>(labels);
    withHash.put(Templates.POD_TEMPLATE_HASH, hash);
    PodTemplateSpec a = template(labels, "app:1");
    PodTemplateSpec b = template(withHash, sameImage ? "app:1" : "app:2");

    assertThat(Templates.equalIgnoringHash(JSON, a, b)).isEqualTo(sameImage);
    assertThat(Templates.withoutHash(JSON, b).getMetadata().getLabels()).doesNotContainKey(Templates.POD_TEMPLATE_HASH);
  }

  private static PodTemplateSpec template(Map<String, String> labels, String image) {
    return new PodTemplateSpecBuilder().withNewMetadata().withLabels(labels).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec().build();
  }
}
