package dev.rollback.k8s;

import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.HealthCheck;
import dev.rollback.k8s.internal.Api;
import dev.rollback.k8s.internal.PodChecks;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A StatefulSet or DaemonSet, rolled back through its ControllerRevisions as {@code kubectl
 * rollout undo} does: the revisions it controls (selector, then controller owner reference), the
 * chosen one's stored template patch sent back as a strategic merge patch (with the object's
 * resourceVersion, so a concurrent writer causes a 409 and a fresh start), nothing written when the
 * template already matches. For a StatefulSet, {@link #withForcedRollback()} also deletes the pods
 * stuck on another revision that are not Ready, which an OrderedReady StatefulSet otherwise waits on
 * forever (kubernetes/kubernetes#67250). Immutable.
 */
public final class RevisionedRollout {
  private static final Logger log = LoggerFactory.getLogger(RevisionedRollout.class);
  private static final String REVISION_HASH = "controller-revision-hash";

  enum Kind {
    STATEFUL_SET("StatefulSet", "statefulsets", "statefulset"),
    DAEMON_SET("DaemonSet", "daemonsets", "daemonset");

    final String kind;
    final String plural;
    final String kubectl;

    Kind(String kind, String plural, String kubectl) {
      this.kind = kind;
      this.plural = plural;
      this.kubectl = kubectl;
    }
  }

  private final KubernetesClient client;
  private final Kind kind;
  private final String namespace;
  private final String name;
  private final boolean forced;
  private final Duration rolloutTimeout;
  private final Duration pollInterval;
  private final int conflictRetries;

  RevisionedRollout(KubernetesClient client, Kind kind, String namespace, String name) {
    this(client, kind, namespace, name, false, Duration.ofMinutes(5), Duration.ofMillis(100), 5);
  }

  private RevisionedRollout(KubernetesClient client, Kind kind, String namespace, String name, boolean forced,
      Duration rolloutTimeout, Duration pollInterval, int conflictRetries) {
    this.client = client;
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.forced = forced;
    this.rolloutTimeout = rolloutTimeout;
    this.pollInterval = pollInterval;
    this.conflictRetries = conflictRetries;
  }

  /**
   * StatefulSets only, explicit opt-in: after the template is restored, delete this StatefulSet's
   * pods that run another revision and are not Ready, so the controller recreates them.
   */
  public RevisionedRollout withForcedRollback() {
    if (kind != Kind.STATEFUL_SET) {
      throw new IllegalStateException("forced rollback applies to StatefulSets only, not to " + describe());
    }
    return new RevisionedRollout(client, kind, namespace, name, true, rolloutTimeout, pollInterval, conflictRetries);
  }

  /** How long steps wait for the rollout (default 5 min); {@link Duration#ZERO} to not wait. */
  public RevisionedRollout withRolloutTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("rollout timeout must not be negative: " + timeout);
    return new RevisionedRollout(client, kind, namespace, name, forced, timeout, pollInterval, conflictRetries);
  }

  public String namespace() { return namespace; }
  public String name() { return name; }

  /** e.g. {@code statefulset shop/db}. */
  public String describe() { return kind.kubectl + " " + namespace + "/" + name; }

  private String label() { return kind.kubectl + " " + name + " in " + namespace; }

  private String path() { return "apps/v1 namespaces/" + namespace + "/" + kind.plural + "/" + name; }

  private KubernetesSerialization json() { return client.getKubernetesSerialization(); }

  // ------------------------------------------------------------------ reads

  private HasMetadata read() {
    String call = "GET " + path();
    HasMetadata o = Api.call(call, () -> kind == Kind.STATEFUL_SET
        ? client.apps().statefulSets().inNamespace(namespace).withName(name).get()
        : client.apps().daemonSets().inNamespace(namespace).withName(name).get());
    if (o == null) {
      var ns = Api.call("GET v1 namespaces/" + namespace, () -> client.namespaces().withName(namespace).get());
      String why = ns == null ? "namespace '" + namespace + "' does not exist" : describe() + " does not exist";
      throw new K8sApiException(call + " failed: " + why, call, 404);
    }
    return o;
  }

  private static PodTemplateSpec template(HasMetadata o) {
    return o instanceof StatefulSet s ? s.getSpec().getTemplate() : ((DaemonSet) o).getSpec().getTemplate();
  }

  private static LabelSelector selector(HasMetadata o) {
    return o instanceof StatefulSet s ? s.getSpec().getSelector() : ((DaemonSet) o).getSpec().getSelector();
  }

  private List<ControllerRevision> history(HasMetadata o) {
    String uid = o.getMetadata().getUid();
    List<ControllerRevision> all = Api.call("LIST apps/v1 namespaces/" + namespace + "/controllerrevisions (selector of " + describe() + ")",
        () -> client.apps().controllerRevisions().inNamespace(namespace).withLabelSelector(selector(o)).list().getItems());
    List<ControllerRevision> owned = new ArrayList<>();
    for (ControllerRevision cr : all) {
      List<OwnerReference> refs = cr.getMetadata().getOwnerReferences();
      if (refs != null && refs.stream().anyMatch(r -> Boolean.TRUE.equals(r.getController()) && uid.equals(r.getUid()))) {
        owned.add(cr);
      }
    }
    owned.sort(Comparator.comparingLong(ControllerRevision::getRevision));
    return owned;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> data(ControllerRevision cr) {
    Object d = cr.getData();
    Map<String, Object> m = d instanceof Map<?, ?> map ? (Map<String, Object>) map : json().unmarshal(json().asJson(d), Map.class);
    return m;
  }

  @SuppressWarnings("unchecked")
  private PodTemplateSpec templateOf(ControllerRevision cr) {
    Map<String, Object> spec = (Map<String, Object>) data(cr).get("spec");
    Map<String, Object> t = new LinkedHashMap<>((Map<String, Object>) spec.get("template"));
    t.remove("$patch");
    return json().unmarshal(json().asJson(t), PodTemplateSpec.class);
  }

  private @Nullable ControllerRevision current(HasMetadata o, List<ControllerRevision> history) {
    if (o instanceof StatefulSet s && s.getStatus() != null && s.getStatus().getUpdateRevision() != null) {
      for (ControllerRevision cr : history) {
        if (cr.getMetadata().getName().equals(s.getStatus().getUpdateRevision())) return cr;
      }
    }
    for (ControllerRevision cr : history) {
      if (json().asJson(templateOf(cr)).equals(json().asJson(template(o)))) return cr;
    }
    return history.isEmpty() ? null : history.get(history.size() - 1);
  }

  /** The current revision as a journaled snapshot (revision number, ControllerRevision name, template). */
  public Snapshot captureRevision() {
    HasMetadata o = read();
    ControllerRevision cr = current(o, history(o));
    Map<String, String> v = new LinkedHashMap<>();
    v.put(Snapshots.KIND, kind.kind);
    v.put(Snapshots.NAMESPACE, namespace);
    v.put(Snapshots.NAME, name);
    v.put(Snapshots.REVISION, cr == null ? "0" : Long.toString(cr.getRevision()));
    if (cr != null) v.put(Snapshots.HASH, cr.getMetadata().getName());
    v.put(Snapshots.TEMPLATE, json().asJson(template(o)));
    return Snapshot.of(v);
  }

  // ------------------------------------------------------------------ undo

  /** Rolls back to {@code target}; refused or impossible undos throw {@link K8sRollbackException}. */
  public UndoResult undo(Revision target) {
    Objects.requireNonNull(target, "target");
    for (int attempt = 1; ; attempt++) {
      HasMetadata o = read();
      List<ControllerRevision> history = history(o);
      ControllerRevision cur = current(o, history);
      long currentRevision = cur == null ? 0 : cur.getRevision();
      ControllerRevision to = find(target, history);
      PodTemplateSpec restored = templateOf(to);
      if (json().asJson(restored).equals(json().asJson(template(o))) || restored.equals(template(o))) {
        String msg = "skipped rollback of " + describe() + ": its template already matches revision " + to.getRevision();
        log.info(msg);
        int deleted = forced ? forceStuckPods(to) : 0;
        return new UndoResult(describe(), currentRevision, to.getRevision(), true, attempt - 1,
            msg + (deleted > 0 ? "; deleted " + deleted + " stuck pod(s)" : ""));
      }
      Map<String, Object> patch = new LinkedHashMap<>(data(to));
      patch.put("metadata", Map.of("resourceVersion", o.getMetadata().getResourceVersion()));
      String call = "PATCH " + path();
      try {
        Api.run(call, () -> {
          if (kind == Kind.STATEFUL_SET) {
            client.apps().statefulSets().inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), json().asJson(patch));
          } else {
            client.apps().daemonSets().inNamespace(namespace).withName(name)
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), json().asJson(patch));
          }
        });
      } catch (K8sApiException e) {
        if (e.code() == 409 && attempt <= conflictRetries) {
          log.info("{} changed while rolling it back (409 on attempt {}): reading it again", describe(), attempt);
          continue;
        }
        throw e;
      }
      int deleted = forced ? forceStuckPods(to) : 0;
      String msg = "rolled back " + describe() + " from revision " + currentRevision + " to the template of revision "
          + to.getRevision() + (deleted > 0 ? "; deleted " + deleted + " pod(s) stuck on another revision" : "");
      log.info(msg);
      return new UndoResult(describe(), currentRevision, to.getRevision(), false, attempt, msg);
    }
  }

  private ControllerRevision find(Revision target, List<ControllerRevision> history) {
    List<Long> kept = history.stream().map(ControllerRevision::getRevision).toList();
    if (target instanceof Revision.Previous) {
      if (history.size() < 2) {
        throw new K8sRollbackException("cannot roll back " + describe() + ": it has no previous revision (history: "
            + (kept.isEmpty() ? "empty" : "only revision " + kept.get(0)) + "); nothing to go back to");
      }
      return history.get(history.size() - 2);
    }
    if (target instanceof Revision.Numbered n) {
      for (ControllerRevision cr : history) if (cr.getRevision() == n.number()) return cr;
      throw new K8sRollbackException("cannot roll back " + describe() + " to revision " + n.number()
          + ": it is not in the history (revisions kept: " + kept + ")");
    }
    Snapshot s = ((Revision.Captured) target).snapshot();
    String k = s.get(Snapshots.KIND).orElse(kind.kind);
    if (!k.equals(kind.kind) || !s.get(Snapshots.NAME).orElse(name).equals(name)
        || !s.get(Snapshots.NAMESPACE).orElse(namespace).equals(namespace)) {
      throw new IllegalArgumentException("snapshot of " + k + " " + s.get(Snapshots.NAMESPACE).orElse("?") + "/"
          + s.get(Snapshots.NAME).orElse("?") + " cannot restore " + describe());
    }
    Optional<String> hash = s.get(Snapshots.HASH);
    if (hash.isPresent()) {
      for (ControllerRevision cr : history) if (cr.getMetadata().getName().equals(hash.get())) return cr;
    }
    throw new K8sRollbackException("cannot roll back " + describe() + " to " + target
        + ": its ControllerRevision is no longer in the history (revisions kept: " + kept + ")");
  }

  /** Waits for the controller to observe the restored template, then deletes non-Ready pods of other revisions. */
  private int forceStuckPods(ControllerRevision to) {
    Instant end = Instant.now().plusSeconds(30);
    String update = null;
    while (Instant.now().isBefore(end)) {
      StatefulSet s = (StatefulSet) read();
      long gen = s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
      if (s.getStatus() != null && s.getStatus().getObservedGeneration() != null && s.getStatus().getObservedGeneration() >= gen) {
        update = s.getStatus().getUpdateRevision();
        break;
      }
      Poll.pause(null, pollInterval, "the controller to observe " + describe());
    }
    if (update == null) update = to.getMetadata().getName();
    int deleted = 0;
    for (Pod p : PodChecks.pods(client, namespace, selector(read()), describe())) {
      String rev = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(REVISION_HASH);
      if (!update.equals(rev) && !PodChecks.isReady(p) && p.getMetadata().getDeletionTimestamp() == null) {
        String pod = p.getMetadata().getName();
        Api.run("DELETE v1 namespaces/" + namespace + "/pods/" + pod,
            () -> client.pods().inNamespace(namespace).withName(pod).delete());
        log.info("forced rollback of {}: deleted pod {} stuck on revision {}", describe(), pod, rev);
        deleted++;
      }
    }
    return deleted;
  }

  // ------------------------------------------------------------------ rollout status

  /** The rollout as {@code kubectl rollout status} judges it. */
  public RolloutStatus rolloutStatus() {
    HasMetadata o = read();
    long gen = o.getMetadata().getGeneration() == null ? 0 : o.getMetadata().getGeneration();
    if (o instanceof StatefulSet s) {
      var st = s.getStatus();
      if (st == null || st.getObservedGeneration() == null || st.getObservedGeneration() < gen) {
        return progressing("waiting for the controller to observe " + describe());
      }
      int replicas = s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
      int ready = st.getReadyReplicas() == null ? 0 : st.getReadyReplicas();
      if (ready < replicas) return progressing(ready + " of " + replicas + " pods of " + describe() + " are ready");
      if (!Objects.equals(st.getUpdateRevision(), st.getCurrentRevision())) {
        int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
        return progressing("rolling update of " + describe() + ": " + updated + " pods at revision " + st.getUpdateRevision());
      }
      return new RolloutStatus(RolloutStatus.State.COMPLETE, describe() + " rolled out (revision " + st.getCurrentRevision() + ")");
    }
    DaemonSet d = (DaemonSet) o;
    var st = d.getStatus();
    if (st == null || st.getObservedGeneration() == null || st.getObservedGeneration() < gen) {
      return progressing("waiting for the controller to observe " + describe());
    }
    int desired = n(st.getDesiredNumberScheduled());
    if (n(st.getUpdatedNumberScheduled()) < desired) {
      return progressing(n(st.getUpdatedNumberScheduled()) + " of " + desired + " pods of " + describe() + " updated");
    }
    if (n(st.getNumberAvailable()) < desired) {
      return progressing(n(st.getNumberAvailable()) + " of " + desired + " updated pods of " + describe() + " available");
    }
    return new RolloutStatus(RolloutStatus.State.COMPLETE, describe() + " rolled out");
  }

  private static int n(@Nullable Integer i) { return i == null ? 0 : i; }

  private static RolloutStatus progressing(String message) {
    return new RolloutStatus(RolloutStatus.State.PROGRESSING, message);
  }

  /** Polls until complete or {@code timeout} passes (then the last status). */
  public RolloutStatus awaitRollout(Duration timeout) {
    return await(timeout, null);
  }

  private RolloutStatus await(Duration timeout, @Nullable StepContext ctx) {
    return Poll.rollout(this::rolloutStatus, timeout, pollInterval, ctx, describe());
  }

  private void awaitOrFail(StepContext ctx) {
    if (rolloutTimeout.isZero()) return;
    RolloutStatus s = await(rolloutTimeout, ctx);
    if (!s.isComplete()) {
      throw new K8sRollbackException("rollout of " + describe() + " did not complete within " + rolloutTimeout + ": " + s.message()
          + (kind == Kind.STATEFUL_SET && !forced ? " (pods stuck on a bad revision? see withForcedRollback())" : ""));
    }
    ctx.note(s.message());
  }

  // ------------------------------------------------------------------ steps and checks

  /** A step that rolls back to {@code target} and waits; its undo rolls forward to the revision it replaced. */
  public Step undoStep(Revision target) {
    Objects.requireNonNull(target, "target");
    return Step.builder("undo " + label())
        .captureForUndo(ctx -> captureRevision())
        .execute(ctx -> { ctx.note(undo(target).message()); awaitOrFail(ctx); })
        .undo(ctx -> { ctx.note(undo(Revision.captured(ctx.undoSnapshot().orElseThrow())).message()); awaitOrFail(ctx); })
        .describedAs("roll " + describe() + " back to " + target)
        .build();
  }

  /** A step that captures the revision at release start and rolls back to it when run. */
  public Step undoToKnownGood() {
    return Step.builder("undo " + label() + " to known-good")
        .captureKnownGood(ctx -> captureRevision())
        .captureForUndo(ctx -> captureRevision())
        .execute(ctx -> {
          Snapshot known = ctx.knownGood().orElseThrow(() -> new K8sRollbackException(
              "no known-good revision of " + describe() + " was captured when the release started"));
          ctx.note(undo(Revision.captured(known)).message());
          awaitOrFail(ctx);
        })
        .undo(ctx -> { ctx.note(undo(Revision.captured(ctx.undoSnapshot().orElseThrow())).message()); awaitOrFail(ctx); })
        .describedAs("roll " + describe() + " back to the revision captured at release start")
        .build();
  }

  /** DOWN when a container of its pods restarted more than {@code maxRestarts} times (crash loop). */
  public HealthCheck restarts(int maxRestarts) {
    if (maxRestarts < 0) throw new IllegalArgumentException("maxRestarts must not be negative: " + maxRestarts);
    return PodChecks.restarts("container restarts of " + describe(), client, namespace, describe(),
        () -> new PodChecks.Shape(selector(read()), 0), maxRestarts);
  }

  @Override
  public String toString() {
    return "RevisionedRollout[" + describe() + "]";
  }
}
