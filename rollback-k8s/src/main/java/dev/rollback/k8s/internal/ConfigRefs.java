package dev.rollback.k8s.internal;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** The ConfigMaps and Secrets a pod template references, and the digest a Secret is captured by. */
public final class ConfigRefs {
  private ConfigRefs() {}

  /** A referenced object: {@code configMap} true for a ConfigMap, false for a Secret. Sorts ConfigMaps first, then by name. */
  public record Ref(boolean configMap, String name) implements Comparable<Ref> {
    @Override
    public int compareTo(Ref o) {
      if (configMap != o.configMap) return configMap ? -1 : 1;
      return name.compareTo(o.name);
    }
  }

  /**
   * Every ConfigMap and Secret {@code template} references: containers' and init containers'
   * {@code env[].valueFrom} and {@code envFrom[]}, and {@code configMap}, {@code secret} and
   * {@code projected} volumes. Not image pull secrets (credentials for the registry, not config).
   */
  public static SortedSet<Ref> referencedBy(@Nullable PodTemplateSpec template) {
    SortedSet<Ref> refs = new TreeSet<>();
    if (template == null || template.getSpec() == null) return refs;
    PodSpec spec = template.getSpec();
    List<Container> containers = new ArrayList<>();
    if (spec.getInitContainers() != null) containers.addAll(spec.getInitContainers());
    if (spec.getContainers() != null) containers.addAll(spec.getContainers());
    for (Container c : containers) {
      if (c.getEnv() != null) {
        for (EnvVar e : c.getEnv()) {
          if (e.getValueFrom() == null) continue;
          if (e.getValueFrom().getConfigMapKeyRef() != null) add(refs, true, e.getValueFrom().getConfigMapKeyRef().getName());
          if (e.getValueFrom().getSecretKeyRef() != null) add(refs, false, e.getValueFrom().getSecretKeyRef().getName());
        }
      }
      if (c.getEnvFrom() != null) {
        for (EnvFromSource e : c.getEnvFrom()) {
          if (e.getConfigMapRef() != null) add(refs, true, e.getConfigMapRef().getName());
          if (e.getSecretRef() != null) add(refs, false, e.getSecretRef().getName());
        }
      }
    }
    if (spec.getVolumes() != null) {
      for (Volume v : spec.getVolumes()) {
        if (v.getConfigMap() != null) add(refs, true, v.getConfigMap().getName());
        if (v.getSecret() != null) add(refs, false, v.getSecret().getSecretName());
        if (v.getProjected() != null && v.getProjected().getSources() != null) {
          for (VolumeProjection p : v.getProjected().getSources()) {
            if (p.getConfigMap() != null) add(refs, true, p.getConfigMap().getName());
            if (p.getSecret() != null) add(refs, false, p.getSecret().getName());
          }
        }
      }
    }
    return refs;
  }

  private static void add(SortedSet<Ref> refs, boolean configMap, @Nullable String name) {
    if (name != null && !name.isBlank()) refs.add(new Ref(configMap, name));
  }

  /**
   * {@code sha256:} and the hex SHA-256 of a Secret's data (base64 values as the API returns
   * them), over the keys in order: {@code key=value\n} each. Equal data, equal digest.
   */
  public static String sha256(@Nullable Map<String, String> data) {
    StringBuilder canonical = new StringBuilder();
    new TreeMap<>(data == null ? Map.<String, String>of() : data)
        .forEach((k, v) -> canonical.append(k).append('=').append(v == null ? "" : v).append('\n'));
    return "sha256:" + hex(canonical.toString());
  }

  /**
   * The name of the rollback-owned Secret that keeps a copy of {@code secret}'s data with digest
   * {@code sha256} for run {@code runId}: {@code rollback-kg-<run>-<10 hex digits>}, a valid object name.
   */
  public static String keptName(String runId, String secret, String sha256) {
    String run = runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
    if (run.length() > 40) run = run.substring(0, 40).replaceAll("-+$", "");
    if (run.isEmpty()) run = "run";
    return "rollback-kg-" + run + "-" + hex(secret + "\n" + sha256).substring(0, 10);
  }

  private static String hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
