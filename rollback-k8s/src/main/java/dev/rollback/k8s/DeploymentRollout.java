package dev.rollback.k8s;

import dev.rollback.Change;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.k8s.internal.Api;
import dev.rollback.k8s.internal.PodChecks;
import dev.rollback.k8s.internal.Templates;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Deployment: undo with {@code kubectl rollout undo} parity, changes for releases that revert
 * to the captured revision, rollout waiting and health checks. Immutable; {@code with*} return copies.
 *
 * <p>An undo reads the Deployment, lists its ReplicaSets (by selector, then kept only when the
 * Deployment is their controller owner), and sends one JSON patch carrying the old template
 * (without {@code pod-template-hash}), the annotations kubectl restores, and the Deployment's
 * resourceVersion, so a concurrent writer makes it fail with 409 and it starts over from a fresh read.
 */
public final class DeploymentRollout {
  private static final Logger log = LoggerFactory.getLogger(DeploymentRollout.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final boolean resumeIfPaused;
  private final Duration rolloutTimeout;
  private final Duration pollInterval;
  private final int conflictRetries;
  private final @Nullable IntConsumer beforeWrite;
  private final boolean hostsThisProcess;

  DeploymentRollout(KubernetesClient client, String namespace, String name) {
    this(client, namespace, name, false, Duration.ofMinutes(5), Duration.ofMillis(100), 5, null, false);
  }

  private DeploymentRollout(KubernetesClient client, String namespace, String name, boolean resumeIfPaused,
      Duration rolloutTimeout, Duration pollInterval, int conflictRetries, @Nullable IntConsumer beforeWrite,
      boolean hostsThisProcess) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.resumeIfPaused = resumeIfPaused;
    this.rolloutTimeout = rolloutTimeout;
    this.pollInterval = pollInterval;
    this.conflictRetries = conflictRetries;
    this.beforeWrite = beforeWrite;
    this.hostsThisProcess = hostsThisProcess;
  }

  /** A paused Deployment is resumed by the undo (in the same patch) instead of refused. */
  public DeploymentRollout resumingIfPaused() {
    return new DeploymentRollout(client, namespace, name, true, rolloutTimeout, pollInterval, conflictRetries, beforeWrite, hostsThisProcess);
  }

  /** How long steps wait for the rollout to complete (default 5 min); {@link Duration#ZERO} to not wait. */
  public DeploymentRollout withRolloutTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("rollout timeout must not be negative: " + timeout);
    return new DeploymentRollout(client, namespace, name, resumeIfPaused, timeout, pollInterval, conflictRetries, beforeWrite, hostsThisProcess);
  }

  /** How often a rollout wait reads the Deployment (default 100 ms). */
  public DeploymentRollout withPollInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("poll interval must be positive: " + interval);
    return new DeploymentRollout(client, namespace, name, resumeIfPaused, rolloutTimeout, interval, conflictRetries, beforeWrite, hostsThisProcess);
  }

  /** How many times an undo starts over after a 409 conflict (default 5). */
  public DeploymentRollout withConflictRetries(int retries) {
    if (retries < 0) throw new IllegalArgumentException("conflict retries must not be negative: " + retries);
    return new DeploymentRollout(client, namespace, name, resumeIfPaused, rolloutTimeout, pollInterval, retries, beforeWrite, hostsThisProcess);
  }

  /**
   * This Deployment runs the process that executes the plan (a guard inside the app): its undo
   * and revert steps are marked {@code mayTerminateHost()}, so the engine journals before them and
   * a replica that takes over resumes the run.
   */
  public DeploymentRollout hostingThisProcess() {
    return new DeploymentRollout(client, namespace, name, resumeIfPaused, rolloutTimeout, pollInterval, conflictRetries,
        beforeWrite, true);
  }

  /** Whether {@link #hostingThisProcess()} was set. */
  public boolean hostsThisProcess() { return hostsThisProcess; }

  private Step.Builder host(Step.Builder b) {
    return hostsThisProcess ? b.mayTerminateHost() : b;
  }

  /** Test seam: runs before each write attempt of an undo (with the attempt number). */
  DeploymentRollout withBeforeWrite(IntConsumer hook) {
    return new DeploymentRollout(client, namespace, name, resumeIfPaused, rolloutTimeout, pollInterval, conflictRetries, hook, hostsThisProcess);
  }

  public String namespace() { return namespace; }
  public String name() { return name; }

  /** {@code deployment NAMESPACE/NAME}. */
  public String describe() { return "deployment " + namespace + "/" + name; }

  /** For step and change names, which must not contain '/': {@code deployment NAME in NAMESPACE}. */
  private String label() { return "deployment " + name + " in " + namespace; }

  // ------------------------------------------------------------------ reads

  private String path() {
    return "apps/v1 namespaces/" + namespace + "/deployments/" + name;
  }

  Deployment read() {
    String call = "GET " + path();
    Deployment d = Api.call(call, () -> client.apps().deployments().inNamespace(namespace).withName(name).get());
    if (d == null) throw notFound(call);
    return d;
  }

  private K8sApiException notFound(String call) {
    var ns = Api.call("GET v1 namespaces/" + namespace, () -> client.namespaces().withName(namespace).get());
    if (ns == null) {
      return new K8sApiException(call + " failed: namespace '" + namespace + "' does not exist", call, 404);
    }
    return new K8sApiException(call + " failed: " + describe() + " does not exist", call, 404);
  }

  /** The ReplicaSets this Deployment controls: selected by its selector, kept only when it is their controller owner. */
  List<ReplicaSet> ownedReplicaSets(Deployment d) {
    String uid = d.getMetadata().getUid();
    List<ReplicaSet> all = Api.call("LIST apps/v1 namespaces/" + namespace + "/replicasets (selector of " + describe() + ")",
        () -> client.apps().replicaSets().inNamespace(namespace).withLabelSelector(d.getSpec().getSelector()).list().getItems());
    List<ReplicaSet> owned = new ArrayList<>();
    for (ReplicaSet rs : all) {
      List<OwnerReference> refs = rs.getMetadata().getOwnerReferences();
      if (refs == null) continue;
      for (OwnerReference r : refs) {
        if (Boolean.TRUE.equals(r.getController()) && uid.equals(r.getUid())) {
          owned.add(rs);
          break;
        }
      }
    }
    return owned;
  }

  private KubernetesSerialization json() {
    return client.getKubernetesSerialization();
  }

  /**
   * The current revision as a journaled snapshot: revision number, pod-template-hash of its
   * ReplicaSet, and the pod template itself (so it can be restored after its ReplicaSet is pruned).
   */
  public Snapshot captureRevision() {
    Deployment d = read();
    long revision = Templates.revisionOf(d.getMetadata());
    Map<String, String> v = new LinkedHashMap<>();
    v.put(Snapshots.KIND, "Deployment");
    v.put(Snapshots.NAMESPACE, namespace);
    v.put(Snapshots.NAME, name);
    v.put(Snapshots.REVISION, Long.toString(revision));
    for (ReplicaSet rs : ownedReplicaSets(d)) {
      if (Templates.equalIgnoringHash(json(), rs.getSpec().getTemplate(), d.getSpec().getTemplate())) {
        Map<String, String> labels = rs.getMetadata().getLabels();
        if (labels != null && labels.get(Templates.POD_TEMPLATE_HASH) != null) {
          v.put(Snapshots.HASH, labels.get(Templates.POD_TEMPLATE_HASH));
        }
        v.put(Snapshots.REVISION, Long.toString(Templates.revisionOf(rs.getMetadata())));
        break;
      }
    }
    v.put(Snapshots.TEMPLATE, json().asJson(Templates.withoutHash(json(), d.getSpec().getTemplate())));
    return Snapshot.of(v);
  }

  // ------------------------------------------------------------------ undo

  /**
   * Rolls back to {@code target} as {@code kubectl rollout undo} does; returns what it did. Throws
   * {@link K8sRollbackException} when the undo is refused (paused, no such revision) and
   * {@link K8sApiException} when an API call fails.
   */
  public UndoResult undo(Revision target) {
    Objects.requireNonNull(target, "target");
    for (int attempt = 1; ; attempt++) {
      Deployment d = read();
      boolean paused = Boolean.TRUE.equals(d.getSpec().getPaused());
      if (paused && !resumeIfPaused) {
        throw new K8sRollbackException("cannot roll back " + describe() + " to " + target
            + ": it is paused, and a paused Deployment does not roll out (kubectl refuses too); resume it first"
            + " (kubectl rollout resume deployment/" + name + " -n " + namespace + ") or use resumingIfPaused()");
      }
      long current = Templates.revisionOf(d.getMetadata());
      List<ReplicaSet> owned = ownedReplicaSets(d);
      Source source = find(target, d, owned, current);
      PodTemplateSpec template = Templates.withoutHash(json(), source.template());
      if (Templates.equalIgnoringHash(json(), template, d.getSpec().getTemplate()) && !paused) {
        String msg = "skipped rollback of " + describe() + ": its template already matches revision " + source.revision();
        log.info(msg);
        return new UndoResult(describe(), current, source.revision(), true, attempt - 1, msg);
      }
      List<Map<String, Object>> ops = new ArrayList<>();
      ops.add(op("replace", "/metadata/resourceVersion", d.getMetadata().getResourceVersion()));
      ops.add(op("replace", "/spec/template", template));
      Map<String, String> current0 = d.getMetadata().getAnnotations() == null ? Map.of() : d.getMetadata().getAnnotations();
      ops.add(op("add", "/metadata/annotations", source.annotations() == null ? current0
          : Templates.rollbackAnnotations(current0, source.annotations())));
      if (paused) ops.add(op("replace", "/spec/paused", false));
      if (beforeWrite != null) beforeWrite.accept(attempt);
      String call = "PATCH " + path();
      try {
        // resource(d): fabric8 sends the PATCH alone (withName(..).patch would GET the object first)
        Api.run(call, () -> client.apps().deployments().inNamespace(namespace).resource(d)
            .patch(PatchContext.of(PatchType.JSON), json().asJson(ops)));
      } catch (K8sApiException e) {
        if (e.code() == 409 && attempt <= conflictRetries) {
          log.info("{} changed while rolling it back (409 on attempt {}): reading it again", describe(), attempt);
          continue;
        }
        throw e;
      }
      String msg = "rolled back " + describe() + " from revision " + current + " to the template of revision "
          + source.revision() + (paused ? " and resumed it" : "") + (attempt > 1 ? " (after " + (attempt - 1) + " conflict(s))" : "");
      log.info(msg);
      return new UndoResult(describe(), current, source.revision(), false, attempt, msg);
    }
  }

  private record Source(long revision, PodTemplateSpec template, @Nullable Map<String, String> annotations) {}

  private Source find(Revision target, Deployment d, List<ReplicaSet> owned, long current) {
    List<ReplicaSet> byRevision = new ArrayList<>(owned);
    byRevision.removeIf(rs -> Templates.revisionOf(rs.getMetadata()) <= 0);
    byRevision.sort(Comparator.comparingLong((ReplicaSet rs) -> Templates.revisionOf(rs.getMetadata())).reversed());
    List<Long> kept = byRevision.stream().map(rs -> Templates.revisionOf(rs.getMetadata())).sorted().toList();
    if (target instanceof Revision.Previous) {
      if (byRevision.size() < 2) {
        throw new K8sRollbackException("cannot roll back " + describe() + ": it has no previous revision (history: "
            + (kept.isEmpty() ? "empty" : "only revision " + kept.get(0)) + "); nothing to go back to");
      }
      return source(byRevision.get(1));
    }
    if (target instanceof Revision.Numbered n) {
      for (ReplicaSet rs : byRevision) {
        if (Templates.revisionOf(rs.getMetadata()) == n.number()) return source(rs);
      }
      throw new K8sRollbackException("cannot roll back " + describe() + " to revision " + n.number()
          + ": it is not in the history (revisions kept: " + kept + ", revisionHistoryLimit "
          + Optional.ofNullable(d.getSpec().getRevisionHistoryLimit()).orElse(10) + ")");
    }
    Snapshot s = ((Revision.Captured) target).snapshot();
    checkSnapshot(s);
    Optional<String> hash = s.get(Snapshots.HASH);
    if (hash.isPresent()) {
      for (ReplicaSet rs : owned) {
        Map<String, String> labels = rs.getMetadata().getLabels();
        if (labels != null && hash.get().equals(labels.get(Templates.POD_TEMPLATE_HASH))) return source(rs);
      }
    }
    Optional<String> template = s.get(Snapshots.TEMPLATE);
    if (template.isPresent()) {
      log.info("{}: the ReplicaSet of captured revision {} is gone; restoring its template from the snapshot",
          describe(), s.get(Snapshots.REVISION).orElse("?"));
      return new Source(Long.parseLong(s.get(Snapshots.REVISION).orElse("0")),
          json().unmarshal(template.get(), PodTemplateSpec.class), null);
    }
    throw new K8sRollbackException("cannot roll back " + describe() + " to " + target
        + ": no ReplicaSet with that pod-template-hash remains (revisions kept: " + kept + ") and the snapshot holds no template");
  }

  private void checkSnapshot(Snapshot s) {
    String kind = s.get(Snapshots.KIND).orElse("Deployment");
    String ns = s.get(Snapshots.NAMESPACE).orElse(namespace);
    String n = s.get(Snapshots.NAME).orElse(name);
    if (!kind.equals("Deployment") || !ns.equals(namespace) || !n.equals(name)) {
      throw new IllegalArgumentException("snapshot of " + kind + " " + ns + "/" + n + " cannot restore " + describe());
    }
  }

  private static Source source(ReplicaSet rs) {
    Map<String, String> a = rs.getMetadata().getAnnotations();
    return new Source(Templates.revisionOf(rs.getMetadata()), rs.getSpec().getTemplate(), a == null ? Map.of() : a);
  }

  private static Map<String, Object> op(String op, String path, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("path", path);
    m.put("value", value);
    return m;
  }

  // ------------------------------------------------------------------ rollout status

  /** The rollout as {@code kubectl rollout status} judges it, from one read. */
  public RolloutStatus rolloutStatus() {
    return statusOf(read());
  }

  static RolloutStatus statusOf(Deployment d) {
    String what = "deployment " + d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
    var st = d.getStatus();
    long gen = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
    if (st == null || st.getObservedGeneration() == null || st.getObservedGeneration() < gen) {
      return new RolloutStatus(RolloutStatus.State.PROGRESSING, "waiting for the controller to observe " + what);
    }
    if (st.getConditions() != null) {
      for (DeploymentCondition c : st.getConditions()) {
        if ("Progressing".equals(c.getType()) && "ProgressDeadlineExceeded".equals(c.getReason())) {
          return new RolloutStatus(RolloutStatus.State.FAILED, what + " exceeded its progress deadline: " + c.getMessage());
        }
      }
    }
    int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    int updated = n(st.getUpdatedReplicas());
    int replicas = n(st.getReplicas());
    int available = n(st.getAvailableReplicas());
    if (updated < desired) {
      return new RolloutStatus(RolloutStatus.State.PROGRESSING, updated + " out of " + desired + " new replicas of " + what + " have been updated");
    }
    if (replicas > updated) {
      return new RolloutStatus(RolloutStatus.State.PROGRESSING, (replicas - updated) + " old replicas of " + what + " are pending termination");
    }
    if (available < updated) {
      return new RolloutStatus(RolloutStatus.State.PROGRESSING, available + " of " + updated + " updated replicas of " + what + " are available");
    }
    return new RolloutStatus(RolloutStatus.State.COMPLETE, what + " successfully rolled out");
  }

  private static int n(@Nullable Integer i) {
    return i == null ? 0 : i;
  }

  /**
   * Polls until the rollout completes or fails, or {@code timeout} passes (then the last,
   * still progressing, status). Stops early when {@code ctx} is cancelled.
   */
  public RolloutStatus awaitRollout(Duration timeout) {
    return await(timeout, null);
  }

  private RolloutStatus await(Duration timeout, @Nullable StepContext ctx) {
    return Poll.rollout(this::rolloutStatus, timeout, pollInterval, ctx, describe());
  }

  /** Waits (up to the rollout timeout) and throws when the rollout failed or did not complete. */
  private void awaitOrFail(StepContext ctx) {
    if (rolloutTimeout.isZero()) return;
    RolloutStatus s = await(rolloutTimeout, ctx);
    if (s.isFailed()) throw new K8sRollbackException("rollout of " + describe() + " failed: " + s.message());
    if (!s.isComplete()) {
      throw new K8sRollbackException("rollout of " + describe() + " did not complete within " + rolloutTimeout + ": " + s.message());
    }
    ctx.note(s.message());
  }

  // ------------------------------------------------------------------ steps

  /** A step that rolls back to {@code target} and waits for the rollout; its own undo rolls forward again. */
  public Step undoStep(Revision target) {
    Objects.requireNonNull(target, "target");
    return host(Step.builder("undo " + label()))
        .captureForUndo(ctx -> captureRevision())
        .execute(ctx -> {
          UndoResult r = undo(target);
          ctx.note(r.message());
          awaitOrFail(ctx);
        })
        .undo(ctx -> {
          UndoResult r = undo(Revision.captured(ctx.undoSnapshot().orElseThrow()));
          ctx.note(r.message());
          awaitOrFail(ctx);
        })
        .describedAs("roll " + describe() + " back to " + target)
        .build();
  }

  /**
   * A step that captures the current revision when the release starts (or the guard is armed) and
   * rolls back to it when run.
   */
  public Step undoToKnownGood() {
    return host(Step.builder("undo " + label() + " to known-good"))
        .captureKnownGood(ctx -> captureRevision())
        .captureForUndo(ctx -> captureRevision())
        .execute(ctx -> {
          Snapshot known = ctx.knownGood().orElseThrow(() -> new K8sRollbackException(
              "no known-good revision of " + describe() + " was captured when the release started"));
          UndoResult r = undo(Revision.captured(known));
          ctx.note(r.message());
          awaitOrFail(ctx);
        })
        .undo(ctx -> {
          UndoResult r = undo(Revision.captured(ctx.undoSnapshot().orElseThrow()));
          ctx.note(r.message());
          awaitOrFail(ctx);
        })
        .describedAs("roll " + describe() + " back to the revision captured at release start")
        .build();
  }

  /** A change that sets {@code container}'s image; its revert restores the revision captured at release start. */
  public Change setImage(String container, String image) {
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(image, "image");
    Map<String, Object> patch = Map.of("spec", Map.of("template", Map.of("spec",
        Map.of("containers", List.of(Map.of("name", container, "image", image))))));
    return change("set image " + container + "=" + image + " on " + label(), PatchType.STRATEGIC_MERGE, json().asJson(patch));
  }

  /** A change that applies a JSON merge patch to the Deployment; its revert restores the captured revision. */
  public Change patch(String description, String mergePatchJson) {
    Objects.requireNonNull(mergePatchJson, "mergePatchJson");
    return change(description, PatchType.JSON_MERGE, mergePatchJson);
  }

  private Change change(String description, PatchType type, String body) {
    Step apply = host(Step.builder("apply"))
        .execute(ctx -> {
          Api.run("PATCH " + path(), () -> client.apps().deployments().inNamespace(namespace).withName(name)
              .patch(PatchContext.of(type), body));
          awaitOrFail(ctx);
        })
        .describedAs(description)
        .build();
    Step revert = host(Step.builder("revert"))
        .execute(ctx -> {
          Snapshot known = ctx.knownGood().orElseThrow(() -> new K8sRollbackException(
              "no known-good revision of " + describe() + " was captured when the release started"));
          UndoResult r = undo(Revision.captured(known));
          ctx.note(r.message());
          awaitOrFail(ctx);
        })
        .describedAs("revert " + description)
        .build();
    return Change.of(description, apply, revert).capturingKnownGood(ctx -> captureRevision());
  }

  /** A change that scales to {@code replicas}; its revert restores the replica count captured at release start. */
  public Change scale(int replicas) {
    if (replicas < 0) throw new IllegalArgumentException("replicas must not be negative: " + replicas);
    Step apply = Step.builder("apply").execute(ctx -> { scaleTo(replicas); awaitOrFail(ctx); })
        .describedAs("scale " + describe() + " to " + replicas).build();
    Step revert = Step.builder("revert").execute(ctx -> {
      int back = Integer.parseInt(ctx.knownGood().orElseThrow().require(Snapshots.REPLICAS));
      scaleTo(back);
      awaitOrFail(ctx);
    }).describedAs("scale " + describe() + " back").build();
    return Change.of("scale " + label() + " to " + replicas, apply, revert).capturingKnownGood(ctx -> {
      Integer r = read().getSpec().getReplicas();
      return Snapshot.of(Snapshots.REPLICAS, Integer.toString(r == null ? 1 : r));
    });
  }

  private void scaleTo(int replicas) {
    Api.run("PATCH " + path(), () -> client.apps().deployments().inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}"));
  }

  /** A step that pauses the Deployment; undone by resuming it. */
  public Step pause() {
    return Step.builder("pause " + label()).execute(ctx -> setPaused(true)).undo(ctx -> setPaused(false))
        .idempotent().build();
  }

  /** A step that resumes the Deployment; undone by pausing it. */
  public Step resume() {
    return Step.builder("resume " + label()).execute(ctx -> setPaused(false)).undo(ctx -> setPaused(true))
        .idempotent().build();
  }

  void setPaused(boolean paused) {
    Api.run("PATCH " + path(), () -> client.apps().deployments().inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":" + paused + "}}"));
  }

  // ------------------------------------------------------------------ health

  /** UP when the rollout is complete, DOWN when it exceeded its progress deadline, DEGRADED while progressing. */
  public HealthCheck rolloutHealth() {
    String check = "rollout of " + describe();
    return new HealthCheck() {
      @Override public String name() { return check; }
      @Override public Health check() {
        Instant start = Instant.now();
        try {
          RolloutStatus s = rolloutStatus();
          HealthStatus hs = s.isComplete() ? HealthStatus.UP : s.isFailed() ? HealthStatus.DOWN : HealthStatus.DEGRADED;
          return Health.of(check, hs, Duration.between(start, Instant.now()), s.message());
        } catch (RuntimeException e) {
          return Health.of(check, HealthStatus.UNKNOWN, Duration.between(start, Instant.now()), e.getMessage());
        }
      }
      @Override public String toString() { return "HealthCheck[" + check + "]"; }
    };
  }

  /** UP when at least {@code minRatio} (0..1] of the desired replicas have a Ready pod. */
  public HealthCheck readyPods(double minRatio) {
    if (!(minRatio > 0 && minRatio <= 1)) throw new IllegalArgumentException("minRatio must be in (0, 1]: " + minRatio);
    return PodChecks.readyRatio("ready pods of " + describe(), client, namespace, describe(), this::shape, minRatio);
  }

  /**
   * DOWN when a container of the Deployment's pods restarted more than {@code maxRestarts} times:
   * detects a crash loop without waiting for the progress deadline (which restarts can keep resetting).
   */
  public HealthCheck restarts(int maxRestarts) {
    if (maxRestarts < 0) throw new IllegalArgumentException("maxRestarts must not be negative: " + maxRestarts);
    return PodChecks.restarts("container restarts of " + describe(), client, namespace, describe(), this::shape, maxRestarts);
  }

  private PodChecks.Shape shape() {
    Deployment d = read();
    return new PodChecks.Shape(d.getSpec().getSelector(), d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas());
  }

  @Override
  public String toString() {
    return "DeploymentRollout[" + namespace + "/" + name + "]";
  }
}
