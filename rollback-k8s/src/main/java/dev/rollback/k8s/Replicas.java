package dev.rollback.k8s;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.k8s.internal.Fencing;
import dev.rollback.k8s.internal.Api;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Deployment's replica count as a {@link StateAdapter}: set with the resourceVersion just read
 * (a 409 reads again), nothing written when it already has the count; settled when the rollout
 * is complete.
 */
final class Replicas implements StateAdapter<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Replicas.class);

  private final KubernetesClient client;
  private final Workload workload;
  private final String namespace;
  private final String name;

  Replicas(KubernetesClient client, Workload workload, String namespace, String name) {
    this.client = client;
    this.workload = workload;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public String describe() {
    return "replicas of " + workload.describe();
  }

  private static int replicas(Deployment d) {
    return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }

  @Override
  public Integer read(StepContext ctx) {
    return replicas((Deployment) workload.get());
  }

  @Override
  public void apply(Integer target, StepContext ctx) {
    for (int attempt = 1; ; attempt++) {
      Deployment d = (Deployment) workload.get();
      if (replicas(d) == target) return;
      Fencing.check(ctx.lease(), d, workload.describe());
      List<Map<String, Object>> ops = new java.util.ArrayList<>(List.of(
          Workload.op("replace", "/metadata/resourceVersion", d.getMetadata().getResourceVersion()),
          Workload.op("add", "/spec/replicas", target)));
      ops.addAll(Fencing.patch(ctx.lease(), d));
      String body = workload.json().asJson(ops);
      try {
        Api.run(client, "PATCH " + workload.path(), () -> client.apps().deployments().inNamespace(namespace).resource(d)
            .patch(PatchContext.of(PatchType.JSON), body));
        ctx.note("scaled " + workload.describe() + " from " + replicas(d) + " to " + target);
        return;
      } catch (K8sApiException e) {
        if (e.code() != 409 || attempt > workload.options.conflictRetries()) throw e;
        log.info("{} changed while scaling it (409 on attempt {}): reading it again", workload.describe(), attempt);
      }
    }
  }

  @Override
  public SnapshotCodec<Integer> codec() {
    return SnapshotCodec.of(
        n -> Snapshot.of(Map.of(Snapshots.KIND, "Deployment", Snapshots.NAMESPACE, namespace, Snapshots.NAME, name,
            Snapshots.REPLICAS, Integer.toString(n))),
        s -> {
          String v = s.require(Snapshots.REPLICAS);
          try {
            return Integer.parseInt(v);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + Snapshots.REPLICAS + "' of " + workload.describe() + " is not a number: " + v);
          }
        });
  }

  @Override
  public Settled settled(Integer target, StepContext ctx) {
    Deployment d = (Deployment) workload.get();
    if (replicas(d) != target) return Settled.notYet(workload.describe() + " has " + replicas(d) + " replicas, not " + target);
    RolloutStatus s = Workload.statusOf(d);
    if (s.isComplete()) return Settled.yes(s.message());
    if (s.isFailed()) return Settled.failed(s.message());
    return Settled.notYet(s.message());
  }

  @Override
  public String describe(Integer n) {
    return n + (n == 1 ? " replica" : " replicas");
  }

  @Override
  public String toString() {
    return "Replicas[" + workload.describe() + "]";
  }
}
