package dev.rollback.k8s;

import dev.rollback.Change;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.k8s.internal.Api;
import dev.rollback.k8s.internal.PodChecks;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/**
 * One Deployment: undo with {@code kubectl rollout undo} parity, changes for releases that revert
 * to the captured revision, rollout waiting and health checks. Immutable; {@code with*} return copies.
 *
 * <p>An undo reads the Deployment, lists its ReplicaSets (by selector, then kept only when the
 * Deployment is their controller owner), and sends one JSON patch carrying the old template
 * (without {@code pod-template-hash}), the annotations kubectl restores, and the Deployment's
 * resourceVersion, so a concurrent writer makes it fail with 409 and it starts over from a fresh read.
 *
 * <p>The steps and changes are derived by {@link StateSteps} from two adapters:
 * {@link #revisionAdapter()} (the revision: template and referenced config) and
 * {@link #replicasAdapter()}. They journal what they found (undo snapshot), reconcile by reading
 * back, and wait until the rollout is complete (up to {@link #withRolloutTimeout the rollout timeout}).
 * The revision captured at release start includes the ConfigMaps and Secrets the pod template
 * references, restored before the template (see {@link #withSecretContentKept()} and {@link #withoutConfig()}).
 */
public final class DeploymentRollout {
  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Workload workload;
  private final Duration rolloutTimeout;
  private final boolean hostsThisProcess;

  DeploymentRollout(KubernetesClient client, String namespace, String name) {
    this(client, namespace, name, new Workload(client, Workload.Kind.DEPLOYMENT, namespace, name,
        Workload.Options.defaults()), Duration.ofMinutes(5), false);
  }

  private DeploymentRollout(KubernetesClient client, String namespace, String name, Workload workload,
      Duration rolloutTimeout, boolean hostsThisProcess) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.workload = workload;
    this.rolloutTimeout = rolloutTimeout;
    this.hostsThisProcess = hostsThisProcess;
  }

  private DeploymentRollout with(Workload.Options o) {
    return new DeploymentRollout(client, namespace, name, workload.with(o), rolloutTimeout, hostsThisProcess);
  }

  /** A paused Deployment is resumed by the undo (in the same patch) instead of refused. */
  public DeploymentRollout resumingIfPaused() {
    Workload.Options o = workload.options;
    return with(new Workload.Options(true, o.conflictRetries(), o.beforeWrite(), o.forced(), o.config(), o.keepSecrets(),
        o.pollInterval()));
  }

  /** How long steps wait for the rollout to complete (default 5 min); {@link Duration#ZERO} to not wait. */
  public DeploymentRollout withRolloutTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("rollout timeout must not be negative: " + timeout);
    return new DeploymentRollout(client, namespace, name, workload, timeout, hostsThisProcess);
  }

  /**
   * How often the steps' rollout wait reads the Deployment (default 100 ms); {@link #awaitRollout}
   * watches instead, and polls at this interval only when it may not watch.
   */
  public DeploymentRollout withPollInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("poll interval must be positive: " + interval);
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), o.forced(), o.config(),
        o.keepSecrets(), interval));
  }

  /** How many times an undo starts over after a 409 conflict (default 5). */
  public DeploymentRollout withConflictRetries(int retries) {
    if (retries < 0) throw new IllegalArgumentException("conflict retries must not be negative: " + retries);
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), retries, o.beforeWrite(), o.forced(), o.config(), o.keepSecrets(),
        o.pollInterval()));
  }

  /**
   * Opt-in: when a revision is captured, the data of each Secret its template references is copied
   * into a Secret the rollback owns in the same namespace ({@code rollback-kg-<run>-<digest>},
   * labelled {@code rollback.dev/known-good=true}, owned by the Deployment so it goes with it), and
   * the snapshot names that copy; a restore then puts the captured content back. Without it, only a
   * SHA-256 digest of each Secret's data is captured, and a restore whose Secret content changed
   * fails naming the Secret. Secret values never reach the journal either way.
   */
  public DeploymentRollout withSecretContentKept() {
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), o.forced(), true, true,
        o.pollInterval()));
  }

  /**
   * Captures and restores the pod template alone, leaving the ConfigMaps and Secrets it references
   * as they are (and needing no permission to read them).
   */
  public DeploymentRollout withoutConfig() {
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), o.beforeWrite(), o.forced(), false, false,
        o.pollInterval()));
  }

  /**
   * This Deployment runs the process that executes the plan (a guard inside the app): its undo
   * and revert steps are marked {@code mayTerminateHost()}, so the engine journals before them and
   * a replica that takes over resumes the run.
   */
  public DeploymentRollout hostingThisProcess() {
    return new DeploymentRollout(client, namespace, name, workload, rolloutTimeout, true);
  }

  /** Whether {@link #hostingThisProcess()} was set. */
  public boolean hostsThisProcess() { return hostsThisProcess; }

  private Step host(Step s) {
    return hostsThisProcess ? s.withMayTerminateHost() : s;
  }

  private Change host(Change c) {
    return hostsThisProcess ? c.withApply(c.apply().withMayTerminateHost()).withRevert(c.revert().withMayTerminateHost()) : c;
  }

  /** Test seam: runs before each write attempt of an undo (with the attempt number). */
  DeploymentRollout withBeforeWrite(IntConsumer hook) {
    return withBeforeAnyWrite((what, attempt) -> {
      if (what.equals("template")) hook.accept(attempt);
    });
  }

  /** Test seam: runs before each write attempt of an undo, config included, with what is written ("template", "ConfigMap x"). */
  DeploymentRollout withBeforeAnyWrite(BiConsumer<String, Integer> hook) {
    Workload.Options o = workload.options;
    return with(new Workload.Options(o.resumeIfPaused(), o.conflictRetries(), hook, o.forced(), o.config(), o.keepSecrets(),
        o.pollInterval()));
  }

  public String namespace() { return namespace; }
  public String name() { return name; }

  /** {@code deployment NAMESPACE/NAME}. */
  public String describe() { return workload.describe(); }

  // ------------------------------------------------------------------ adapters

  /**
   * The Deployment's revision as a {@link StateAdapter}: read captures the current revision and
   * the config its template references; apply is the undo to a revision (config first, then the
   * template); settled is the rollout status. For {@link StateSteps} and the adapter contract test.
   */
  public StateAdapter<WorkloadRevision> revisionAdapter() { return workload; }

  /** The Deployment's replica count as a {@link StateAdapter}; settled when the rollout is complete. */
  public StateAdapter<Integer> replicasAdapter() {
    return new Replicas(client, workload, namespace(), name());
  }

  private <S> StateSteps<S> steps(StateAdapter<S> adapter) {
    StateSteps<S> steps = StateSteps.on(adapter);
    return rolloutTimeout.isZero() ? steps : steps.awaitingSettled(rolloutTimeout, workload.options.pollInterval());
  }

  // ------------------------------------------------------------------ reads

  Deployment read() {
    return (Deployment) workload.get();
  }

  /**
   * The current revision as a journaled snapshot: revision number, pod-template-hash of its
   * ReplicaSet, the pod template itself (so it can be restored after its ReplicaSet is pruned),
   * and the referenced config (unless {@link #withoutConfig()}).
   */
  public Snapshot captureRevision() {
    return workload.encode(workload.capture("capture"));
  }

  // ------------------------------------------------------------------ undo

  /**
   * Rolls back to {@code target} as {@code kubectl rollout undo} does; returns what it did. A
   * {@linkplain Revision#captured captured} revision also puts back the config captured with it,
   * before the template. Throws {@link K8sRollbackException} when the undo is refused (paused, no
   * such revision, a changed Secret whose content was not kept) and {@link K8sApiException} when
   * an API call fails.
   */
  public UndoResult undo(Revision target) {
    return workload.undo(target);
  }

  // ------------------------------------------------------------------ rollout status

  /** The rollout as {@code kubectl rollout status} judges it, from one read. */
  public RolloutStatus rolloutStatus() {
    return workload.rolloutStatus();
  }

  static RolloutStatus statusOf(Deployment d) {
    return Workload.statusOf(d);
  }

  /**
   * Waits until the rollout completes or fails, or {@code timeout} passes (then the last, still
   * progressing, status), as {@code kubectl rollout status} does: one GET, then a watch from its
   * resourceVersion, each change judged as it arrives. Without RBAC permission to {@code watch}
   * Deployments it polls every {@link #withPollInterval poll interval} instead.
   */
  public RolloutStatus awaitRollout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return workload.awaitRollout(timeout);
  }

  // ------------------------------------------------------------------ steps

  /**
   * A step that rolls back to {@code target} and waits for the rollout; its own undo rolls
   * forward again. The revision it resolves when it first runs is journaled, so a retry or a
   * resume goes to the same one (after the undo, "the previous revision" is another).
   */
  public Step undoStep(Revision target) {
    Objects.requireNonNull(target, "target");
    return host(steps(workload).restoreComputed("undo " + workload.label(), ctx -> workload.resolve(target))
        .withDescription("roll " + describe() + " back to " + target));
  }

  /**
   * A step that captures the current revision (and its config) when the release starts or the
   * guard is armed, and rolls back to it when run.
   */
  public Step undoToKnownGood() {
    return host(steps(workload).restoreKnownGood("undo " + workload.label() + " to known-good")
        .withDescription("roll " + describe() + " back to the revision captured at release start"));
  }

  /** A change that sets {@code container}'s image; its revert restores the revision captured at release start. */
  public Change setImage(String container, String image) {
    Objects.requireNonNull(container, "container");
    Objects.requireNonNull(image, "image");
    String description = "set image " + container + "=" + image + " on " + workload.label();
    // a change's name is a step path segment: an image from a registry path ("registry/app:1") has '/'
    return change(description, steps(workload).change(description.replace('/', '-'),
        ctx -> workload.withImage(container, image)));
  }

  /**
   * A change that applies a JSON merge patch to the Deployment's pod template
   * ({@code {"spec":{"template":…}}}); its revert restores the captured revision. The template
   * the patch gives is computed by the API server (a dry run) when the change is applied and
   * journaled, so a retry or a resume aims at the same template.
   *
   * @throws IllegalArgumentException when the patch is not JSON or changes anything but
   *     {@code spec.template} (a revision restores the template; use {@link #scale} for replicas)
   */
  public Change patch(String description, String mergePatchJson) {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(mergePatchJson, "mergePatchJson");
    requireTemplateOnly(mergePatchJson);
    return change(description, steps(workload).change(description, ctx -> workload.patched(mergePatchJson)));
  }

  private void requireTemplateOnly(String patch) {
    Map<?, ?> top;
    try {
      top = client.getKubernetesSerialization().unmarshal(patch, Map.class);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("patch of " + describe() + " is not a JSON object: " + e.getMessage(), e);
    }
    Object spec = top == null ? null : top.get("spec");
    if (top == null || !top.keySet().equals(Set.of("spec")) || !(spec instanceof Map<?, ?> m) || !m.keySet().equals(Set.of("template"))) {
      throw new IllegalArgumentException("patch of " + describe() + " may change spec.template only (its revert restores the"
          + " pod template captured at release start), got: " + patch + "; use scale() for replicas, or a step of your own");
    }
  }

  private Change change(String description, Change c) {
    return host(c.withApply(c.apply().withDescription(description))
        .withRevert(c.revert().withDescription("revert " + description + ": restore the revision of " + describe()
            + " captured at release start")));
  }

  /** A change that scales to {@code replicas}; its revert restores the replica count captured at release start. */
  public Change scale(int replicas) {
    if (replicas < 0) throw new IllegalArgumentException("replicas must not be negative: " + replicas);
    Change c = steps(replicasAdapter()).change("scale " + workload.label() + " to " + replicas, replicas);
    return c.withApply(c.apply().withDescription("scale " + describe() + " to " + replicas))
        .withRevert(c.revert().withDescription("scale " + describe() + " back to the replica count captured at release start"));
  }

  /** A step that pauses the Deployment; undone by resuming it. */
  public Step pause() {
    return Step.builder("pause " + workload.label()).execute(ctx -> setPaused(true, ctx.lease()))
        .undo(ctx -> setPaused(false, ctx.lease())).idempotent().build();
  }

  /** A step that resumes the Deployment; undone by pausing it. */
  public Step resume() {
    return Step.builder("resume " + workload.label()).execute(ctx -> setPaused(false, ctx.lease()))
        .undo(ctx -> setPaused(true, ctx.lease())).idempotent().build();
  }

  void setPaused(boolean paused) {
    setPaused(paused, dev.rollback.StepLease.none());
  }

  /** Pauses or resumes; under a lease, with the resourceVersion just read and the fencing token recorded (see {@code Fencing}). */
  void setPaused(boolean paused, dev.rollback.StepLease lease) {
    if (!lease.isPresent()) {
      Api.run(client, "PATCH " + workload.path(), () -> client.apps().deployments().inNamespace(namespace()).withName(name())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":" + paused + "}}"));
      return;
    }
    var d = (io.fabric8.kubernetes.api.model.apps.Deployment) workload.get();
    dev.rollback.k8s.internal.Fencing.check(lease, d, describe());
    java.util.List<java.util.Map<String, Object>> ops = new java.util.ArrayList<>(java.util.List.of(
        Workload.op("replace", "/metadata/resourceVersion", d.getMetadata().getResourceVersion()),
        Workload.op("add", "/spec/paused", paused)));
    ops.addAll(dev.rollback.k8s.internal.Fencing.patch(lease, d));
    String body = workload.json().asJson(ops);
    Api.run(client, "PATCH " + workload.path(), () -> client.apps().deployments().inNamespace(namespace()).resource(d)
        .patch(PatchContext.of(PatchType.JSON), body));
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
    return PodChecks.readyRatio("ready pods of " + describe(), client, namespace(), describe(), this::shape, minRatio);
  }

  /**
   * DOWN when a container of the Deployment's pods restarted more than {@code maxRestarts} times:
   * detects a crash loop without waiting for the progress deadline (which restarts can keep resetting).
   */
  public HealthCheck restarts(int maxRestarts) {
    if (maxRestarts < 0) throw new IllegalArgumentException("maxRestarts must not be negative: " + maxRestarts);
    return PodChecks.restarts("container restarts of " + describe(), client, namespace(), describe(), this::shape, maxRestarts);
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
