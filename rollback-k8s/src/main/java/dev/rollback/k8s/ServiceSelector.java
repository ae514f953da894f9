package dev.rollback.k8s;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.k8s.internal.Fencing;
import dev.rollback.k8s.internal.Api;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Service's selector as a {@link StateAdapter}: replaced whole (a JSON patch, not a merge)
 * with the resourceVersion just read (a 409 reads again); nothing written when it already matches.
 * Under a lease the write also records its fencing token on the Service, and a higher token
 * recorded there refuses it.
 */
final class ServiceSelector implements StateAdapter<Map<String, String>> {
  private static final Logger log = LoggerFactory.getLogger(ServiceSelector.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final int conflictRetries = 5;

  ServiceSelector(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public String describe() { return "service " + namespace + "/" + name; }

  private String path() { return "v1 namespaces/" + namespace + "/services/" + name; }

  Service get() {
    String call = "GET " + path();
    Service s = Api.call(client, call, () -> client.services().inNamespace(namespace).withName(name).get());
    if (s == null) throw new K8sApiException(call + " failed: " + describe() + " does not exist", call, 404);
    return s;
  }

  private static Map<String, String> selector(Service s) {
    return s.getSpec().getSelector() == null ? Map.of() : Map.copyOf(s.getSpec().getSelector());
  }

  @Override
  public Map<String, String> read(StepContext ctx) {
    return current();
  }

  Map<String, String> current() {
    return selector(get());
  }

  @Override
  public void apply(Map<String, String> target, StepContext ctx) {
    select(target, ctx.lease());
  }

  void select(Map<String, String> target) {
    select(target, StepLease.none());
  }

  /** Switches the selector, conditional on {@code lease}'s fencing token (see the class comment). */
  void select(Map<String, String> target, StepLease lease) {
    if (target.isEmpty()) throw new IllegalArgumentException("selector of " + describe() + " must not be empty");
    var json = client.getKubernetesSerialization();
    for (int attempt = 1; ; attempt++) {
      Service s = get();
      if (selector(s).equals(target)) return;
      Fencing.check(lease, s, describe());
      List<Map<String, Object>> ops = new java.util.ArrayList<>(List.of(
          Workload.op("replace", "/metadata/resourceVersion", s.getMetadata().getResourceVersion()),
          Workload.op("add", "/spec/selector", new TreeMap<>(target))));
      ops.addAll(Fencing.patch(lease, s));
      String body = json.asJson(ops);
      try {
        Api.run(client, "PATCH " + path(), () -> client.services().inNamespace(namespace).resource(s)
            .patch(PatchContext.of(PatchType.JSON), body));
        return;
      } catch (K8sApiException e) {
        if (e.code() != 409 || attempt > conflictRetries) throw e;
        log.info("{} changed while switching it (409 on attempt {}): reading it again", describe(), attempt);
      }
    }
  }

  @Override
  public SnapshotCodec<Map<String, String>> codec() {
    var json = client.getKubernetesSerialization();
    return SnapshotCodec.of(
        sel -> Snapshot.of(Map.of(Snapshots.KIND, "Service", Snapshots.NAMESPACE, namespace, Snapshots.NAME, name,
            Snapshots.SELECTOR, json.asJson(new TreeMap<>(sel)))),
        s -> {
          @SuppressWarnings("unchecked")
          Map<String, String> sel = json.unmarshal(s.require(Snapshots.SELECTOR), Map.class);
          return Map.copyOf(sel);
        });
  }

  @Override
  public String describe(Map<String, String> selector) {
    return "selector " + new TreeMap<>(selector);
  }

  @Override
  public String toString() {
    return "ServiceSelector[" + namespace + "/" + name + "]";
  }
}
