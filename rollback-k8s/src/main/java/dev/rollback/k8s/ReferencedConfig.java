package dev.rollback.k8s;

import dev.rollback.k8s.internal.ConfigRefs;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A ConfigMap or Secret that a workload's pod template references (env {@code valueFrom},
 * {@code envFrom}, volumes, projected volumes), as captured with the workload's revision.
 *
 * <p>A ConfigMap is captured with its content. A Secret is captured by a SHA-256 digest of its
 * data only, so no secret value reaches the journal or a report; its content is kept only with
 * the opt-in {@code withSecretContentKept()}, in a Secret the rollback owns in the same namespace,
 * named by {@link #keptIn()}.
 *
 * @param kind            ConfigMap or Secret
 * @param name            the object's name in the workload's namespace
 * @param resourceVersion its resourceVersion when captured (restores write with a fresh one as precondition)
 * @param data            a ConfigMap's {@code data}; empty for a Secret
 * @param binaryData      a ConfigMap's {@code binaryData} (base64); empty for a Secret
 * @param sha256          a Secret's data digest ({@code sha256:} and 64 hex digits); null for a ConfigMap
 * @param keptIn          the rollback-owned Secret holding a copy of a Secret's data, or null
 */
public record ReferencedConfig(Kind kind, String name, String resourceVersion, Map<String, String> data,
    Map<String, String> binaryData, @Nullable String sha256, @Nullable String keptIn) {

  public enum Kind { CONFIG_MAP("ConfigMap"), SECRET("Secret");

    private final String apiKind;

    Kind(String apiKind) { this.apiKind = apiKind; }

    /** {@code ConfigMap} or {@code Secret}, as the API names it. */
    public String apiKind() { return apiKind; }
  }

  public ReferencedConfig {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    data = Map.copyOf(new TreeMap<>(Objects.requireNonNull(data, "data")));
    binaryData = Map.copyOf(new TreeMap<>(Objects.requireNonNull(binaryData, "binaryData")));
    if (kind == Kind.SECRET) {
      if (sha256 == null) throw new IllegalArgumentException("Secret " + name + " needs a sha256 digest");
      if (!data.isEmpty() || !binaryData.isEmpty()) {
        throw new IllegalArgumentException("Secret " + name + " is captured by digest only, never with its data");
      }
    } else if (keptIn != null) {
      throw new IllegalArgumentException("only a Secret's content is kept elsewhere, not ConfigMap " + name + "'s");
    }
  }

  public static ReferencedConfig configMap(String name, String resourceVersion, Map<String, String> data,
      Map<String, String> binaryData) {
    return new ReferencedConfig(Kind.CONFIG_MAP, name, resourceVersion, data, binaryData, null, null);
  }

  public static ReferencedConfig secret(String name, String resourceVersion, String sha256, @Nullable String keptIn) {
    return new ReferencedConfig(Kind.SECRET, name, resourceVersion, Map.of(), Map.of(), sha256, keptIn);
  }

  /** Same object with the same content (data, or digest); resourceVersions and where a copy is kept do not count. */
  public boolean sameContentAs(ReferencedConfig other) {
    return kind == other.kind && name.equals(other.name) && data.equals(other.data)
        && binaryData.equals(other.binaryData) && Objects.equals(sha256, other.sha256);
  }

  /**
   * e.g. {@code ConfigMap app-config (content sha256:9c1e04d7a2b3…)} or {@code Secret db-creds
   * (sha256:3f2a9c1b04d7…)}: names and short digests, never a value.
   */
  @Override
  public String toString() {
    String digest = sha256 != null ? sha256 : ConfigRefs.sha256(new TreeMap<>(Map.of("data", ConfigRefs.sha256(data),
        "binaryData", ConfigRefs.sha256(binaryData))));
    return kind.apiKind() + " " + name + " (" + (sha256 == null ? "content " : "") + digest.substring(0, Math.min(digest.length(), 19)) + "…)";
  }
}
