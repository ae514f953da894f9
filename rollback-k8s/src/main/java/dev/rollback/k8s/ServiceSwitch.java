package dev.rollback.k8s;

import dev.rollback.Change;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.k8s.internal.Api;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Blue/green by Service selector: a {@link Change} that points the Service at other pods
 * (e.g. {@code version=green}) and whose revert restores the selector captured at release start.
 * The selector is replaced whole (a JSON patch, not a merge), guarded by the resourceVersion read.
 */
public final class ServiceSwitch {
  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  ServiceSwitch(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  public String describe() { return "service " + namespace + "/" + name; }

  private String path() { return "v1 namespaces/" + namespace + "/services/" + name; }

  /** The Service's selector now. */
  public Map<String, String> selector() {
    String call = "GET " + path();
    Service s = Api.call(call, () -> client.services().inNamespace(namespace).withName(name).get());
    if (s == null) throw new K8sApiException(call + " failed: " + describe() + " does not exist", call, 404);
    return s.getSpec().getSelector() == null ? Map.of() : Map.copyOf(s.getSpec().getSelector());
  }

  /** Replaces the selector with {@code selector}. */
  public void select(Map<String, String> selector) {
    Objects.requireNonNull(selector, "selector");
    if (selector.isEmpty()) throw new IllegalArgumentException("selector of " + describe() + " must not be empty");
    var json = client.getKubernetesSerialization();
    List<Map<String, Object>> ops = List.of(Map.of("op", "replace", "path", "/spec/selector", "value", selector));
    Api.run("PATCH " + path(), () -> client.services().inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON), json.asJson(ops)));
  }

  /** A change that switches the Service to {@code selector}; its revert restores the captured selector. */
  public Change switchTo(Map<String, String> selector) {
    Map<String, String> target = Map.copyOf(new LinkedHashMap<>(selector));
    var json = client.getKubernetesSerialization();
    String label = "switch service " + name + " in " + namespace + " to " + target;
    Step apply = Step.builder("apply").execute(ctx -> select(target)).idempotent().describedAs(label).build();
    Step revert = Step.builder("revert").execute(ctx -> {
      @SuppressWarnings("unchecked")
      Map<String, String> back = json.unmarshal(ctx.knownGood().orElseThrow().require(Snapshots.SELECTOR), Map.class);
      select(back);
    }).idempotent().describedAs("switch " + describe() + " back").build();
    return Change.of(label.replace('/', '-'), apply, revert)
        .capturingKnownGood(ctx -> Snapshot.of(Map.of(Snapshots.KIND, "Service", Snapshots.NAMESPACE, namespace,
            Snapshots.NAME, name, Snapshots.SELECTOR, json.asJson(selector()))));
  }

  @Override
  public String toString() {
    return "ServiceSwitch[" + namespace + "/" + name + "]";
  }
}
