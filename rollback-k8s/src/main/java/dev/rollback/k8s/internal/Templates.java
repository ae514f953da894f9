package dev.rollback.k8s.internal;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Pod-template helpers with kubectl's semantics (polymorphichelpers/rollback.go). */
public final class Templates {
  private Templates() {}

  public static final String POD_TEMPLATE_HASH = "pod-template-hash";
  public static final String REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

  /** Annotations kubectl never copies from the old ReplicaSet onto the Deployment. */
  public static final Set<String> ANNOTATIONS_TO_SKIP = Set.of(
      "kubectl.kubernetes.io/last-applied-configuration",
      REVISION_ANNOTATION,
      "deployment.kubernetes.io/revision-history",
      "deployment.kubernetes.io/desired-replicas",
      "deployment.kubernetes.io/max-replicas",
      "deprecated.deployment.rollback.to");

  /** A copy of {@code template} without the {@code pod-template-hash} label. */
  public static PodTemplateSpec withoutHash(KubernetesSerialization json, PodTemplateSpec template) {
    PodTemplateSpec copy = json.clone(template);
    if (copy.getMetadata() == null) copy.setMetadata(new ObjectMeta());
    Map<String, String> labels = copy.getMetadata().getLabels();
    if (labels != null && labels.containsKey(POD_TEMPLATE_HASH)) {
      Map<String, String> l = new LinkedHashMap<>(labels);
      l.remove(POD_TEMPLATE_HASH);
      copy.getMetadata().setLabels(l);
    }
    return copy;
  }

  /** kubectl's equalIgnoreHash: equal once both lose their pod-template-hash label. */
  public static boolean equalIgnoringHash(KubernetesSerialization json, PodTemplateSpec a, PodTemplateSpec b) {
    return json.asJson(withoutHash(json, a)).equals(json.asJson(withoutHash(json, b)))
        || withoutHash(json, a).equals(withoutHash(json, b));
  }

  /**
   * The annotations kubectl's rollback sets on the Deployment: the skip-listed ones the
   * Deployment already has, plus every other annotation of the old ReplicaSet.
   */
  public static Map<String, String> rollbackAnnotations(Map<String, String> deployment, Map<String, String> replicaSet) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : ANNOTATIONS_TO_SKIP) {
      String v = deployment.get(k);
      if (v != null) out.put(k, v);
    }
    replicaSet.forEach((k, v) -> {
      if (!ANNOTATIONS_TO_SKIP.contains(k)) out.put(k, v);
    });
    return out;
  }

  public static long revisionOf(ObjectMeta meta) {
    if (meta == null || meta.getAnnotations() == null) return 0;
    String v = meta.getAnnotations().get(REVISION_ANNOTATION);
    if (v == null) return 0;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
