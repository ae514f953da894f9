package dev.rollback.k8s;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.k8s.internal.Api;
import dev.rollback.k8s.internal.Fencing;
import dev.rollback.k8s.internal.ConfigRefs;
import dev.rollback.k8s.internal.PodChecks;
import dev.rollback.k8s.internal.Templates;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
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
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one workload adapter behind {@link DeploymentRollout} and {@link RevisionedRollout}: a
 * Deployment, StatefulSet or DaemonSet whose state is its {@link WorkloadRevision}.
 *
 * <ul>
 *   <li>{@link #read} captures the current revision (number, hash, template) and the content of
 *       the ConfigMaps and Secrets its template references (Secrets by digest);
 *   <li>{@link #apply} is the undo to a revision as {@code kubectl rollout undo} does it: the
 *       history is found by controller owner reference (ReplicaSets for a Deployment,
 *       ControllerRevisions otherwise), the old template is written back with the
 *       resourceVersion just read (a 409 starts over from a fresh read), nothing is written when
 *       the template already matches; config is restored first, then the template; under a lease
 *       ({@code ctx.lease()}) every write is also conditional on its fencing token (see
 *       {@code Fencing}: the object records the token that wrote it, a higher one refuses the write);
 *   <li>{@link #matches} compares templates without {@code pod-template-hash}, and the content of
 *       the target's config, never revision numbers;
 *   <li>{@link #settled} is the rollout status: complete, progressing, or failed past its
 *       progress deadline.
 * </ul>
 * Immutable apart from a cache of the Secret copies it already made and of the ConfigMaps it last read.
 */
final class Workload implements StateAdapter<WorkloadRevision> {
  private static final Logger log = LoggerFactory.getLogger(Workload.class);
  private static final String REVISION_HASH = "controller-revision-hash";
  /** Label on the Secrets the rollback owns that keep a copy of a captured Secret's data. */
  static final String KEPT_LABEL = "rollback.dev/known-good";

  enum Kind {
    DEPLOYMENT("Deployment", "deployments", "deployment"),
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

  /** Options; {@code with*} on the facades copy them. */
  /** {@code beforeWrite}: a test seam called before each write attempt with what is written ("template", "ConfigMap x"). */
  record Options(boolean resumeIfPaused, int conflictRetries, @Nullable BiConsumer<String, Integer> beforeWrite, boolean forced,
      boolean config, boolean keepSecrets, Duration pollInterval) {
    static Options defaults() {
      return new Options(false, 5, null, false, true, false, Duration.ofMillis(100));
    }
  }

  private final KubernetesClient client;
  private final Kind kind;
  private final String namespace;
  private final String name;
  final Options options;
  private final Set<String> kept = ConcurrentHashMap.newKeySet();
  /**
   * The referenced ConfigMaps as this adapter last read them (a step's undo snapshot, a read-back,
   * a capture), by name: a restore writes one that was seen with other content than its target on
   * that read, without reading it again. Only a hint: the write is conditional on the
   * resourceVersion seen, so a stale one costs a 409 and a fresh read, never a wrong write.
   */
  private final Map<String, Seen> seenConfigMaps = new ConcurrentHashMap<>();

  /** A ConfigMap as last read; null when it did not exist. */
  private record Seen(@Nullable ConfigMap configMap) {}

  Workload(KubernetesClient client, Kind kind, String namespace, String name, Options options) {
    this.client = client;
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.options = options;
  }

  Workload with(Options o) {
    return new Workload(client, kind, namespace, name, o);
  }

  Kind kind() { return kind; }

  @Override
  public String describe() { return kind.kubectl + " " + namespace + "/" + name; }

  /** For step and change names, which must not contain '/'. */
  String label() { return kind.kubectl + " " + name + " in " + namespace; }

  String path() { return "apps/v1 namespaces/" + namespace + "/" + kind.plural + "/" + name; }

  KubernetesSerialization json() { return client.getKubernetesSerialization(); }

  // ------------------------------------------------------------------ reads

  HasMetadata get() {
    String call = "GET " + path();
    HasMetadata o = Api.call(client, call, () -> switch (kind) {
      case DEPLOYMENT -> client.apps().deployments().inNamespace(namespace).withName(name).get();
      case STATEFUL_SET -> client.apps().statefulSets().inNamespace(namespace).withName(name).get();
      case DAEMON_SET -> client.apps().daemonSets().inNamespace(namespace).withName(name).get();
    });
    if (o == null) {
      var ns = Api.call(client, "GET v1 namespaces/" + namespace, () -> client.namespaces().withName(namespace).get());
      String why = ns == null ? "namespace '" + namespace + "' does not exist" : describe() + " does not exist";
      throw new K8sApiException(call + " failed: " + why, call, 404);
    }
    return o;
  }

  static PodTemplateSpec template(HasMetadata o) {
    if (o instanceof Deployment d) return d.getSpec().getTemplate();
    if (o instanceof StatefulSet s) return s.getSpec().getTemplate();
    return ((DaemonSet) o).getSpec().getTemplate();
  }

  static LabelSelector selector(HasMetadata o) {
    if (o instanceof Deployment d) return d.getSpec().getSelector();
    if (o instanceof StatefulSet s) return s.getSpec().getSelector();
    return ((DaemonSet) o).getSpec().getSelector();
  }

  private static boolean paused(HasMetadata o) {
    return o instanceof Deployment d && Boolean.TRUE.equals(d.getSpec().getPaused());
  }

  /**
   * One revision of the history: a ReplicaSet (with the annotations kubectl copies back) or a
   * ControllerRevision (with the stored patch kubectl sends back).
   */
  private record Rev(long revision, @Nullable String hash, PodTemplateSpec template,
      @Nullable Map<String, String> annotations, @Nullable Map<String, Object> patch) {}

  /** The revisions this workload controls (selector, then controller owner reference), oldest first. */
  private List<Rev> history(HasMetadata o) {
    String uid = o.getMetadata().getUid();
    List<Rev> out = new ArrayList<>();
    if (kind == Kind.DEPLOYMENT) {
      List<ReplicaSet> all = Api.call(client, "LIST apps/v1 namespaces/" + namespace + "/replicasets (selector of " + describe() + ")",
          () -> client.apps().replicaSets().inNamespace(namespace).withLabelSelector(selector(o)).list().getItems());
      for (ReplicaSet rs : all) {
        if (!controlledBy(rs, uid)) continue;
        Map<String, String> labels = rs.getMetadata().getLabels();
        Map<String, String> a = rs.getMetadata().getAnnotations();
        out.add(new Rev(Templates.revisionOf(rs.getMetadata()), labels == null ? null : labels.get(Templates.POD_TEMPLATE_HASH),
            rs.getSpec().getTemplate(), a == null ? Map.of() : a, null));
      }
    } else {
      List<ControllerRevision> all = Api.call(client, "LIST apps/v1 namespaces/" + namespace + "/controllerrevisions (selector of "
          + describe() + ")",
          () -> client.apps().controllerRevisions().inNamespace(namespace).withLabelSelector(selector(o)).list().getItems());
      for (ControllerRevision cr : all) {
        if (!controlledBy(cr, uid)) continue;
        Map<String, Object> data = data(cr);
        out.add(new Rev(cr.getRevision(), cr.getMetadata().getName(), templateOf(data), null, data));
      }
    }
    out.sort(Comparator.comparingLong(Rev::revision));
    return out;
  }

  private static boolean controlledBy(HasMetadata o, String uid) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    return refs != null && refs.stream().anyMatch(r -> Boolean.TRUE.equals(r.getController()) && uid.equals(r.getUid()));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> data(ControllerRevision cr) {
    Object d = cr.getData();
    return d instanceof Map<?, ?> map ? (Map<String, Object>) map : json().unmarshal(json().asJson(d), Map.class);
  }

  @SuppressWarnings("unchecked")
  private PodTemplateSpec templateOf(Map<String, Object> data) {
    Map<String, Object> spec = (Map<String, Object>) data.get("spec");
    Map<String, Object> t = new LinkedHashMap<>((Map<String, Object>) spec.get("template"));
    t.remove("$patch");
    return json().unmarshal(json().asJson(t), PodTemplateSpec.class);
  }

  /** The revision the workload runs now: its number, and its hash when a revision of the history has its template. */
  private Rev current(HasMetadata o, List<Rev> history) {
    PodTemplateSpec t = template(o);
    if (kind == Kind.DEPLOYMENT) {
      for (Rev r : history) {
        if (Templates.equalIgnoringHash(json(), r.template(), t)) return new Rev(r.revision(), r.hash(), t, null, null);
      }
      return new Rev(Templates.revisionOf(o.getMetadata()), null, t, null, null);
    }
    if (o instanceof StatefulSet s && s.getStatus() != null && s.getStatus().getUpdateRevision() != null) {
      for (Rev r : history) if (s.getStatus().getUpdateRevision().equals(r.hash())) return r;
    }
    for (Rev r : history) if (Templates.equalIgnoringHash(json(), r.template(), t)) return r;
    return history.isEmpty() ? new Rev(0, null, t, null, null) : history.get(history.size() - 1);
  }

  // ------------------------------------------------------------------ StateAdapter

  @Override
  public WorkloadRevision read(StepContext ctx) {
    return capture(ctx.runId());
  }

  /** The current revision and, unless config is off, the content of the config its template references. */
  WorkloadRevision capture(String runId) {
    HasMetadata o = get();
    Rev cur = current(o, history(o));
    List<ReferencedConfig> config = options.config() ? captureConfig(o, template(o), runId) : List.of();
    return new WorkloadRevision(cur.revision(), cur.hash(), templateJson(template(o)), config);
  }

  String templateJson(PodTemplateSpec t) {
    return json().asJson(Templates.withoutHash(json(), t));
  }

  PodTemplateSpec parse(String template) {
    return json().unmarshal(template, PodTemplateSpec.class);
  }

  @Override
  public void apply(WorkloadRevision target, StepContext ctx) {
    ctx.note(restore(target, ctx.lease()).message());
  }

  /** Restores {@code target}: its config first, then its template, as an undo to that revision. */
  UndoResult restore(WorkloadRevision target) {
    return restore(target, StepLease.none());
  }

  /** {@link #restore(WorkloadRevision)} with every write conditional on {@code lease}. */
  UndoResult restore(WorkloadRevision target, StepLease lease) {
    String what = "revision " + target.revision() + (target.hash() == null ? "" : " (" + hashName() + " " + target.hash() + ")");
    return undo(what, (o, history) -> sourceOf(target, history), target.config(), lease);
  }

  @Override
  public boolean matches(WorkloadRevision target, WorkloadRevision actual) {
    if (!Templates.equalIgnoringHash(json(), parse(target.template()), parse(actual.template()))) return false;
    for (ReferencedConfig want : target.config()) {
      if (actual.config().stream().noneMatch(want::sameContentAs)) return false;
    }
    return true;
  }

  @Override
  public Settled settled(WorkloadRevision target, StepContext ctx) {
    HasMetadata o = get();
    if (!Templates.equalIgnoringHash(json(), parse(target.template()), template(o))) {
      return Settled.notYet("the template of " + describe() + " is not the target's (yet)");
    }
    RolloutStatus s = status(o);
    if (s.isComplete()) return Settled.yes(s.message());
    if (s.isFailed()) return Settled.failed(s.message());
    return Settled.notYet(s.message() + (kind == Kind.STATEFUL_SET && !options.forced()
        ? " (pods stuck on a bad revision? see withForcedRollback())" : ""));
  }

  @Override
  public SnapshotCodec<WorkloadRevision> codec() {
    return SnapshotCodec.of(this::encode, this::decode);
  }

  @Override
  public String describe(WorkloadRevision s) {
    StringBuilder b = new StringBuilder(s.revision() > 0 ? "revision " + s.revision() : "a new revision");
    List<String> parts = new ArrayList<>();
    if (s.hash() != null) parts.add(hashName() + " " + s.hash());
    try {
      PodTemplateSpec t = parse(s.template());
      if (t.getSpec() != null && t.getSpec().getContainers() != null) {
        parts.add(t.getSpec().getContainers().stream().map(c -> c.getName() + "=" + c.getImage()).collect(Collectors.joining(", ")));
      }
    } catch (RuntimeException e) {
      parts.add("an unreadable template");
    }
    if (!s.config().isEmpty()) parts.add("with " + s.config().stream().map(ReferencedConfig::toString).collect(Collectors.joining(", ")));
    return b.append(parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")").toString();
  }

  private String hashName() {
    return kind == Kind.DEPLOYMENT ? "pod-template-hash" : "controller revision";
  }

  Snapshot encode(WorkloadRevision s) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put(Snapshots.KIND, kind.kind);
    v.put(Snapshots.NAMESPACE, namespace);
    v.put(Snapshots.NAME, name);
    v.put(Snapshots.REVISION, Long.toString(s.revision()));
    if (s.hash() != null) v.put(Snapshots.HASH, s.hash());
    v.put(Snapshots.TEMPLATE, s.template());
    if (!s.config().isEmpty()) {
      List<Map<String, Object>> config = new ArrayList<>();
      for (ReferencedConfig c : s.config()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", c.kind().apiKind());
        m.put("name", c.name());
        m.put("resourceVersion", c.resourceVersion());
        if (c.kind() == ReferencedConfig.Kind.CONFIG_MAP) {
          m.put("data", c.data());
          if (!c.binaryData().isEmpty()) m.put("binaryData", c.binaryData());
        } else {
          m.put("sha256", c.sha256());
          if (c.keptIn() != null) m.put("keptIn", c.keptIn());
        }
        config.add(m);
      }
      v.put(Snapshots.CONFIG, json().asJson(config));
    }
    return Snapshot.of(v);
  }

  @SuppressWarnings("unchecked")
  WorkloadRevision decode(Snapshot s) {
    String k = s.get(Snapshots.KIND).orElse(kind.kind);
    String ns = s.get(Snapshots.NAMESPACE).orElse(namespace);
    String n = s.get(Snapshots.NAME).orElse(name);
    if (!k.equals(kind.kind) || !ns.equals(namespace) || !n.equals(name)) {
      throw new IllegalArgumentException("snapshot of " + k + " " + ns + "/" + n + " cannot restore " + describe());
    }
    String template = s.get(Snapshots.TEMPLATE).orElseThrow(() -> new IllegalArgumentException("snapshot of "
        + describe() + " has no '" + Snapshots.TEMPLATE + "': capture it with captureRevision() or the workload adapter"));
    long revision;
    try {
      revision = Long.parseLong(s.get(Snapshots.REVISION).orElse("0"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("snapshot of " + describe() + ": '" + Snapshots.REVISION + "' is not a number: "
          + s.get(Snapshots.REVISION).orElse(""));
    }
    List<ReferencedConfig> config = new ArrayList<>();
    Optional<String> c = s.get(Snapshots.CONFIG);
    if (c.isPresent()) {
      List<Map<String, Object>> list = json().unmarshal(c.get(), List.class);
      for (Map<String, Object> m : list) {
        String ck = String.valueOf(m.get("kind"));
        String cn = String.valueOf(m.get("name"));
        String rv = String.valueOf(m.get("resourceVersion"));
        if ("ConfigMap".equals(ck)) {
          config.add(ReferencedConfig.configMap(cn, rv, strings(m.get("data")), strings(m.get("binaryData"))));
        } else if ("Secret".equals(ck)) {
          config.add(ReferencedConfig.secret(cn, rv, String.valueOf(m.get("sha256")), (String) m.get("keptIn")));
        } else {
          throw new IllegalArgumentException("snapshot of " + describe() + ": config object of kind '" + ck + "'");
        }
      }
    }
    return new WorkloadRevision(revision, s.get(Snapshots.HASH).orElse(null), template, config);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> strings(@Nullable Object o) {
    return o == null ? Map.of() : (Map<String, String>) o;
  }

  // ------------------------------------------------------------------ undo

  /** Where an undo takes the template from. */
  private record Source(long revision, PodTemplateSpec template, @Nullable Map<String, String> annotations,
      @Nullable Map<String, Object> patch) {
    static Source of(Rev r) {
      return new Source(r.revision(), r.template(), r.annotations(), r.patch());
    }
  }

  @FunctionalInterface
  private interface Finder {
    Source find(HasMetadata o, List<Rev> history);
  }

  /** {@code kubectl rollout undo} to {@code target}. */
  UndoResult undo(Revision target) {
    Objects.requireNonNull(target, "target");
    if (target instanceof Revision.Captured c) return restore(decode(c.snapshot()));
    return undo(target.toString(), (o, history) -> Source.of(find(target, o, history)), List.of(), StepLease.none());
  }

  /** The state of revision {@code target} of the history (its config is not known: left alone). */
  WorkloadRevision resolve(Revision target) {
    if (target instanceof Revision.Captured c) return decode(c.snapshot());
    HasMetadata o = get();
    Rev r = find(target, o, history(o));
    return new WorkloadRevision(r.revision(), r.hash(), templateJson(r.template()), List.of());
  }

  private Source sourceOf(WorkloadRevision target, List<Rev> history) {
    if (target.hash() != null) {
      for (Rev r : history) if (target.hash().equals(r.hash())) return Source.of(r);
      if (target.revision() > 0) {
        log.info("{}: the {} of revision {} is gone; restoring its template from the snapshot", describe(),
            kind == Kind.DEPLOYMENT ? "ReplicaSet" : "ControllerRevision", target.revision());
      }
    }
    return new Source(target.revision(), parse(target.template()), null, null);
  }

  private Rev find(Revision target, HasMetadata o, List<Rev> history) {
    List<Rev> numbered = history.stream().filter(r -> r.revision() > 0).toList();
    List<Long> kept = numbered.stream().map(Rev::revision).toList();
    if (target instanceof Revision.Previous) {
      if (numbered.size() < 2) {
        throw new K8sRollbackException("cannot roll back " + describe() + ": it has no previous revision (history: "
            + (kept.isEmpty() ? "empty" : "only revision " + kept.get(0)) + "); nothing to go back to");
      }
      return numbered.get(numbered.size() - 2);
    }
    long n = ((Revision.Numbered) target).number();
    for (Rev r : numbered) if (r.revision() == n) return r;
    throw new K8sRollbackException("cannot roll back " + describe() + " to revision " + n
        + ": it is not in the history (revisions kept: " + kept
        + (o instanceof Deployment d ? ", revisionHistoryLimit " + Optional.ofNullable(d.getSpec().getRevisionHistoryLimit()).orElse(10) : "")
        + ")");
  }

  private UndoResult undo(String what, Finder finder, List<ReferencedConfig> config, StepLease lease) {
    String configDone = null;
    for (int attempt = 1; ; attempt++) {
      HasMetadata o = get();
      boolean paused = paused(o);
      if (paused && !options.resumeIfPaused()) {
        throw new K8sRollbackException("cannot roll back " + describe() + " to " + what
            + ": it is paused, and a paused Deployment does not roll out (kubectl refuses too); resume it first"
            + " (kubectl rollout resume deployment/" + name + " -n " + namespace + ") or use resumingIfPaused()");
      }
      List<Rev> history = history(o);
      long from = current(o, history).revision();
      Source source = finder.find(o, history);
      if (configDone == null) configDone = restoreConfig(config, o, lease);
      String configNote = configDone.isEmpty() ? "" : "; " + configDone;
      PodTemplateSpec template = Templates.withoutHash(json(), source.template());
      if (Templates.equalIgnoringHash(json(), template, template(o)) && !paused) {
        int deleted = options.forced() ? forceStuckPods(source) : 0;
        String msg = "skipped rollback of " + describe() + ": its template already matches revision " + source.revision()
            + configNote + (deleted > 0 ? "; deleted " + deleted + " stuck pod(s)" : "");
        log.info(msg);
        return new UndoResult(describe(), from, source.revision(), true, attempt - 1, msg);
      }
      if (options.beforeWrite() != null) options.beforeWrite().accept("template", attempt);
      Fencing.check(lease, o, describe());
      try {
        write(o, source, template, paused, lease);
      } catch (K8sApiException e) {
        if (e.code() == 409 && attempt <= options.conflictRetries()) {
          log.info("{} changed while rolling it back (409 on attempt {}): reading it again", describe(), attempt);
          continue;
        }
        throw e;
      }
      int deleted = options.forced() ? forceStuckPods(source) : 0;
      String msg = "rolled back " + describe() + " from revision " + from + " to the template of revision "
          + source.revision() + (paused ? " and resumed it" : "") + configNote
          + (attempt > 1 ? " (after " + (attempt - 1) + " conflict(s))" : "")
          + (deleted > 0 ? "; deleted " + deleted + " pod(s) stuck on another revision" : "");
      log.info(msg);
      return new UndoResult(describe(), from, source.revision(), false, attempt, msg);
    }
  }

  /** One write carrying the resourceVersion read, so a concurrent writer makes it fail with 409. */
  private void write(HasMetadata o, Source source, PodTemplateSpec template, boolean paused, StepLease lease) {
    String call = "PATCH " + path();
    if (kind == Kind.DEPLOYMENT) {
      Deployment d = (Deployment) o;
      List<Map<String, Object>> ops = new ArrayList<>();
      ops.add(op("replace", "/metadata/resourceVersion", d.getMetadata().getResourceVersion()));
      ops.add(op("replace", "/spec/template", template));
      Map<String, String> current = d.getMetadata().getAnnotations() == null ? Map.of() : d.getMetadata().getAnnotations();
      ops.add(op("add", "/metadata/annotations", Fencing.annotated(source.annotations() == null ? current
          : Templates.rollbackAnnotations(current, source.annotations()), lease)));
      if (paused) ops.add(op("replace", "/spec/paused", false));
      // resource(d): fabric8 sends the PATCH alone (withName(..).patch would GET the object first)
      Api.run(client, call, () -> client.apps().deployments().inNamespace(namespace).resource(d)
          .patch(PatchContext.of(PatchType.JSON), json().asJson(ops)));
      return;
    }
    String body;
    PatchType type;
    if (source.patch() != null) {
      // the ControllerRevision's stored patch, as kubectl sends it back
      Map<String, Object> patch = new LinkedHashMap<>(source.patch());
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("resourceVersion", o.getMetadata().getResourceVersion());
      if (lease.isPresent()) meta.put("annotations", Map.of(Fencing.ANNOTATION, Fencing.value(lease)));
      patch.put("metadata", meta);
      body = json().asJson(patch);
      type = PatchType.STRATEGIC_MERGE;
    } else {
      List<Map<String, Object>> ops = new ArrayList<>();
      ops.add(op("replace", "/metadata/resourceVersion", o.getMetadata().getResourceVersion()));
      ops.add(op("replace", "/spec/template", template));
      ops.addAll(Fencing.patch(lease, o));
      body = json().asJson(ops);
      type = PatchType.JSON;
    }
    Api.run(client, call, () -> {
      if (o instanceof StatefulSet s) client.apps().statefulSets().inNamespace(namespace).resource(s).patch(PatchContext.of(type), body);
      else client.apps().daemonSets().inNamespace(namespace).resource((DaemonSet) o).patch(PatchContext.of(type), body);
    });
  }

  static Map<String, Object> op(String op, String path, @Nullable Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("path", path);
    if (value != null || !"remove".equals(op)) m.put("value", value);
    return m;
  }

  /** Waits for the controller to observe the restored template, then deletes non-Ready pods of other revisions. */
  private int forceStuckPods(Source to) {
    Instant end = Instant.now().plusSeconds(30);
    String update = null;
    while (Instant.now().isBefore(end)) {
      StatefulSet s = (StatefulSet) get();
      long gen = s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
      if (s.getStatus() != null && s.getStatus().getObservedGeneration() != null && s.getStatus().getObservedGeneration() >= gen) {
        update = s.getStatus().getUpdateRevision();
        break;
      }
      Poll.pause(null, options.pollInterval(), "the controller to observe " + describe());
    }
    if (update == null) update = "";
    int deleted = 0;
    for (Pod p : PodChecks.pods(client, namespace, selector(get()), describe())) {
      String rev = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(REVISION_HASH);
      if (!update.equals(rev) && !PodChecks.isReady(p) && p.getMetadata().getDeletionTimestamp() == null) {
        String pod = p.getMetadata().getName();
        Api.run(client, "DELETE v1 namespaces/" + namespace + "/pods/" + pod,
            () -> client.pods().inNamespace(namespace).withName(pod).delete());
        log.info("forced rollback of {}: deleted pod {} stuck on revision {} (restoring revision {})", describe(), pod, rev,
            to.revision());
        deleted++;
      }
    }
    return deleted;
  }

  // ------------------------------------------------------------------ config

  private List<ReferencedConfig> captureConfig(HasMetadata owner, PodTemplateSpec t, String runId) {
    List<ReferencedConfig> out = new ArrayList<>();
    for (ConfigRefs.Ref ref : ConfigRefs.referencedBy(t)) {
      HasMetadata obj = getConfig(ref.configMap(), ref.name(), true);
      if (ref.configMap()) seenConfigMaps.put(ref.name(), new Seen((ConfigMap) obj));
      if (obj == null) {
        log.debug("{}: {} {} is referenced but does not exist (an optional reference): not captured", describe(),
            ref.configMap() ? "ConfigMap" : "Secret", ref.name());
        continue;
      }
      String rv = obj.getMetadata().getResourceVersion();
      if (obj instanceof ConfigMap cm) {
        out.add(ReferencedConfig.configMap(ref.name(), rv, orEmpty(cm.getData()), orEmpty(cm.getBinaryData())));
      } else {
        Secret s = (Secret) obj;
        String digest = ConfigRefs.sha256(s.getData());
        out.add(ReferencedConfig.secret(ref.name(), rv, digest, options.keepSecrets() ? keep(owner, s, digest, runId) : null));
      }
    }
    return out;
  }

  private static Map<String, String> orEmpty(@Nullable Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private String configPath(boolean configMap, String n) {
    return "v1 namespaces/" + namespace + "/" + (configMap ? "configmaps/" : "secrets/") + n;
  }

  private @Nullable HasMetadata getConfig(boolean configMap, String n, boolean forCapture) {
    String call = "GET " + configPath(configMap, n);
    try {
      return Api.call(client, call, () -> configMap ? client.configMaps().inNamespace(namespace).withName(n).get()
          : client.secrets().inNamespace(namespace).withName(n).get());
    } catch (K8sApiException e) {
      if (e.code() == 403 && forCapture) {
        throw new K8sApiException(e.getMessage() + "; " + describe() + " references it, and its referenced config is"
            + " captured with its revision: grant 'get' on " + (configMap ? "configmaps" : "secrets")
            + " or capture the template alone with withoutConfig()", call, 403, e);
      }
      throw e;
    }
  }

  /** Makes sure a rollback-owned Secret holds a copy of {@code s}'s data; returns its name. */
  private String keep(HasMetadata owner, Secret s, String digest, String runId) {
    String keptName = ConfigRefs.keptName(runId, s.getMetadata().getName(), digest);
    if (kept.contains(keptName)) return keptName;
    OwnerReference ref = new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind(kind.kind).withName(name)
        .withUid(owner.getMetadata().getUid()).withController(false).withBlockOwnerDeletion(false).build();
    Secret copy = new SecretBuilder().withNewMetadata().withName(keptName).withNamespace(namespace)
        .withLabels(Map.of(KEPT_LABEL, "true"))
        .withAnnotations(Map.of("rollback.dev/kept-from", s.getMetadata().getName(), "rollback.dev/run", runId,
            "rollback.dev/sha256", digest))
        .withOwnerReferences(ref).endMetadata()
        .withType("Opaque").withData(orEmpty(s.getData())).build();
    try {
      Api.run(client, "POST v1 namespaces/" + namespace + "/secrets (" + keptName + ")",
          () -> client.secrets().inNamespace(namespace).resource(copy).create());
      log.info("{}: kept the data of Secret {} ({}) in Secret {}", describe(), s.getMetadata().getName(), digest, keptName);
    } catch (K8sApiException e) {
      if (e.code() != 409) throw e; // 409: already kept (same run, same content)
    }
    kept.add(keptName);
    return keptName;
  }

  /**
   * One object to write: on {@code fresh} (read or seen) with a resourceVersion precondition, or,
   * when {@code blind}, as a patch that makes it hold {@code data} whatever it holds now (see
   * {@link #writeBlind}), {@code fresh} being what a capture saw.
   */
  private record ConfigWrite(ReferencedConfig target, @Nullable HasMetadata fresh, Map<String, String> data, boolean blind) {}

  /**
   * Puts every object of {@code target} back to its captured content, each with a resourceVersion
   * precondition from a fresh read (a 409 reads it again), a deleted one recreated. Every object is
   * read and checked before any is written: a Secret whose content changed and was not kept fails
   * the restore before anything changed. Returns what it did, for the undo's message ("" for nothing).
   *
   * <p>A ConfigMap this adapter last saw with other content than its target (and mutable), or
   * missing, is not read again: its restore is a single PATCH whose resourceVersion precondition
   * is the one seen, its fencing check made on what was seen, so the write lands only on exactly
   * the object checked (or a single create). When it was written since (a 409), or created since it
   * was seen missing (a 409 on the create), the restore falls back to a fresh read, a new check and
   * a conditional write: a newer lease holder's token still refuses it, a concurrent writer's
   * content is still replaced. A ConfigMap seen with its target's content, and every Secret, is
   * read again: skipping a write on the strength of an earlier read would miss a write made since.
   *
   * <p>Except without a lease (a direct {@code undo(Revision.captured(..))} after the capture): a
   * ConfigMap seen with its target's content is not read but patched once with that content (a
   * JSON patch testing that it is still the object seen, by uid): the API server writes nothing
   * when it still holds that content, and puts it back when it was changed since. With a lease, the
   * write must record the fencing token, and a patch that records it writes an unchanged object
   * too; so with a lease it is read again.
   */
  private String restoreConfig(List<ReferencedConfig> target, HasMetadata owner, StepLease lease) {
    if (target.isEmpty()) return "";
    List<ConfigWrite> writes = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (ReferencedConfig c : target) {
      boolean cm = c.kind() == ReferencedConfig.Kind.CONFIG_MAP;
      Seen seen = cm ? seenConfigMaps.remove(c.name()) : null; // used at most once: a write makes it stale
      boolean seenChanged = seen != null && (seen.configMap() == null
          || !sameContent(c, seen.configMap()) && !Boolean.TRUE.equals(seen.configMap().getImmutable()));
      if (cm && !lease.isPresent() && seen != null && seen.configMap() != null && !seenChanged) {
        writes.add(new ConfigWrite(c, seen.configMap(), c.data(), true)); // seen with its target's content
        continue;
      }
      HasMetadata fresh = seenChanged ? seen.configMap() : getConfig(cm, c.name(), false);
      if (fresh != null && sameContent(c, fresh)) continue;
      if (cm) {
        if (fresh instanceof ConfigMap m && Boolean.TRUE.equals(m.getImmutable())) {
          problems.add("ConfigMap " + namespace + "/" + c.name() + " is immutable and its content changed since it was captured"
              + " (resourceVersion " + c.resourceVersion() + "): " + deleteAndRetry(c));
          continue;
        }
        writes.add(new ConfigWrite(c, fresh, c.data(), false));
        continue;
      }
      String now = fresh == null ? "it was deleted" : "its data digest is now " + short12(ConfigRefs.sha256(((Secret) fresh).getData()));
      if (c.keptIn() == null) {
        problems.add("Secret " + namespace + "/" + c.name() + " changed since it was captured (" + now + ", captured "
            + short12(c.sha256()) + " at resourceVersion " + c.resourceVersion() + ") and only its digest was kept, not its"
            + " content: put its old content back yourself (kubectl -n " + namespace + " edit secret " + c.name()
            + ") and retry the step, or capture Secrets with withSecretContentKept() so the rollback keeps a copy in a"
            + " Secret it owns in this namespace");
        continue;
      }
      Secret copy = (Secret) getConfig(false, c.keptIn(), false);
      if (copy == null || !ConfigRefs.sha256(copy.getData()).equals(c.sha256())) {
        problems.add("Secret " + namespace + "/" + c.name() + " changed since it was captured (" + now + ") and its kept copy "
            + c.keptIn() + (copy == null ? " was deleted" : " no longer holds the captured content (digest "
            + short12(ConfigRefs.sha256(copy.getData())) + ", captured " + short12(c.sha256()) + ")")
            + ": put its old content back yourself (kubectl -n " + namespace + " edit secret " + c.name() + ") and retry the step");
        continue;
      }
      writes.add(new ConfigWrite(c, fresh, orEmpty(copy.getData()), false));
    }
    if (!problems.isEmpty()) {
      throw new K8sRollbackException("cannot restore the config of " + describe() + " (nothing was written): "
          + String.join("; ", problems));
    }
    List<String> done = new ArrayList<>();
    for (ConfigWrite w : writes) {
      String d = writeConfig(w, lease, done);
      if (!d.isEmpty()) done.add(d);
    }
    return done.isEmpty() ? "" : String.join(", ", done);
  }

  private static String short12(@Nullable String digest) {
    return digest == null ? "?" : digest.substring(0, Math.min(digest.length(), 19)) + "…";
  }

  private boolean sameContent(ReferencedConfig c, HasMetadata fresh) {
    if (fresh instanceof ConfigMap cm) {
      return c.data().equals(orEmpty(cm.getData())) && c.binaryData().equals(orEmpty(cm.getBinaryData()));
    }
    return ConfigRefs.sha256(((Secret) fresh).getData()).equals(c.sha256());
  }

  /**
   * Writes one object's captured content: a PATCH with the resourceVersion read, or a create when
   * it is gone; a blind write first tries {@link #writeBlind}. Returns what it did ("" for nothing);
   * {@code done}: what this restore already wrote, for an error.
   */
  private String writeConfig(ConfigWrite w, StepLease lease, List<String> done) {
    ReferencedConfig c = w.target();
    boolean cm = c.kind() == ReferencedConfig.Kind.CONFIG_MAP;
    HasMetadata fresh = w.fresh();
    int first = 1;
    if (w.blind()) {
      first = 2;
      if (options.beforeWrite() != null) options.beforeWrite().accept(c.kind().apiKind() + " " + c.name(), 1);
      lease.check();
      try {
        return writeBlind(c, (ConfigMap) fresh);
      } catch (K8sApiException e) {
        // 404: deleted since it was seen; 422: the uid test failed (deleted and recreated since), or the API
        // server refused the content (an immutable ConfigMap): read it and decide as for any other
        if (e.code() != 404 && e.code() != 422) throw e;
        log.info("{}: {} is not the object captured ({}): reading it again", describe(), c, e.getMessage());
        fresh = getConfig(true, c.name(), false);
        if (fresh != null && sameContent(c, fresh)) {
          seenConfigMaps.put(c.name(), new Seen((ConfigMap) fresh));
          return "";
        }
        if (fresh instanceof ConfigMap m && Boolean.TRUE.equals(m.getImmutable())) {
          throw new K8sRollbackException("cannot restore the config of " + describe() + " ("
              + (done.isEmpty() ? "nothing was written" : "already done: " + String.join(", ", done)) + "): ConfigMap "
              + namespace + "/" + c.name() + " was recreated immutable with other content since it was captured"
              + " (resourceVersion " + c.resourceVersion() + "): " + deleteAndRetry(c));
        }
      }
    }
    for (int attempt = first; ; attempt++) {
      if (options.beforeWrite() != null) options.beforeWrite().accept(c.kind().apiKind() + " " + c.name(), attempt);
      Fencing.check(lease, fresh, c.kind().apiKind() + " " + namespace + "/" + c.name());
      try {
        if (fresh == null) {
          String call = "POST v1 namespaces/" + namespace + (cm ? "/configmaps (" : "/secrets (") + c.name() + ")";
          if (cm) {
            ConfigMap m = new ConfigMapBuilder().withNewMetadata().withName(c.name()).withNamespace(namespace)
                .withAnnotations(lease.isPresent() ? Fencing.annotated(null, lease) : null).endMetadata()
                .withData(c.data().isEmpty() ? null : c.data()).withBinaryData(c.binaryData().isEmpty() ? null : c.binaryData()).build();
            Api.run(client, call, () -> client.configMaps().inNamespace(namespace).resource(m).create());
          } else {
            Secret s = new SecretBuilder().withNewMetadata().withName(c.name()).withNamespace(namespace)
                .withAnnotations(lease.isPresent() ? Fencing.annotated(null, lease) : null).endMetadata()
                .withData(w.data()).build();
            Api.run(client, call, () -> client.secrets().inNamespace(namespace).resource(s).create());
          }
          log.info("{}: recreated {} from the captured content", describe(), c);
          return "recreated " + c;
        }
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(op("replace", "/metadata/resourceVersion", fresh.getMetadata().getResourceVersion()));
        ops.addAll(Fencing.patch(lease, fresh));
        Map<String, String> data = cm ? c.data() : w.data();
        Map<String, String> now = cm ? ((ConfigMap) fresh).getData() : ((Secret) fresh).getData();
        // fabric8 reads an absent map as an empty one: only remove what the object has
        if (!data.isEmpty()) ops.add(op("add", "/data", data));
        else if (now != null && !now.isEmpty()) ops.add(op("remove", "/data", null));
        if (cm) {
          Map<String, String> binaryNow = ((ConfigMap) fresh).getBinaryData();
          if (!c.binaryData().isEmpty()) ops.add(op("add", "/binaryData", c.binaryData()));
          else if (binaryNow != null && !binaryNow.isEmpty()) ops.add(op("remove", "/binaryData", null));
        }
        String body = json().asJson(ops);
        HasMetadata f = fresh;
        HasMetadata written = Api.call(client, "PATCH " + configPath(cm, c.name()), () -> f instanceof ConfigMap m
            ? client.configMaps().inNamespace(namespace).resource(m).patch(PatchContext.of(PatchType.JSON), body)
            : client.secrets().inNamespace(namespace).resource((Secret) f).patch(PatchContext.of(PatchType.JSON), body));
        if (written instanceof ConfigMap m) seenConfigMaps.put(c.name(), new Seen(m)); // the response is the read-back
        log.info("{}: restored {} to its content captured at resourceVersion {}", describe(), c, c.resourceVersion());
        return "restored " + c;
      } catch (K8sApiException e) {
        if (e.code() != 409 || attempt - first + 1 > options.conflictRetries()) throw e;
        log.info("{}: {} changed while restoring it (409 on attempt {}): reading it again", describe(), c, attempt);
        fresh = getConfig(cm, c.name(), false);
        if (fresh != null && sameContent(c, fresh)) return "restored " + c + " (by someone else meanwhile)";
      }
    }
  }

  /** What to do about an immutable ConfigMap whose content is not the captured one. */
  private String deleteAndRetry(ReferencedConfig c) {
    return "delete it (kubectl -n " + namespace + " delete configmap " + c.name()
        + ") and retry the step, which recreates it with the captured content";
  }

  /**
   * One JSON patch making ConfigMap {@code seen} hold {@code c}'s content: a {@code test} that it is
   * still the object seen (its uid), then {@code data} and {@code binaryData} replaced. The API
   * server writes nothing when the result equals what it holds (the resourceVersion stays), so an
   * unchanged ConfigMap costs this one request and no write; a changed one is put back in the
   * same request. 404 when it was deleted, 422 when the test fails (recreated since) or the content
   * is refused (immutable): the caller reads it again. Returns what it did ("" when it held that
   * content since the capture).
   */
  private String writeBlind(ReferencedConfig c, ConfigMap seen) {
    List<Map<String, Object>> ops = new ArrayList<>();
    ops.add(op("test", "/metadata/uid", seen.getMetadata().getUid()));
    // an empty map is stored as no map: the same object as one without it
    ops.add(op("add", "/data", c.data()));
    ops.add(op("add", "/binaryData", c.binaryData()));
    String body = json().asJson(ops);
    ConfigMap now = Api.call(client, "PATCH " + configPath(true, c.name()),
        () -> client.configMaps().inNamespace(namespace).resource(seen).patch(PatchContext.of(PatchType.JSON), body));
    seenConfigMaps.put(c.name(), new Seen(now)); // the response is the read-back
    String was = seen.getMetadata().getResourceVersion();
    if (Objects.equals(was, now.getMetadata().getResourceVersion())) return "";
    log.info("{}: {} was written since it was captured (resourceVersion {}, now {}): it holds its captured content again",
        describe(), c, was, now.getMetadata().getResourceVersion());
    return "restored " + c;
  }

  // ------------------------------------------------------------------ rollout status

  RolloutStatus rolloutStatus() {
    return status(get());
  }

  /**
   * Waits for the rollout as {@code kubectl rollout status} does: one GET, then a watch from its
   * resourceVersion, each event judged by {@link #status} as it arrives (no poll interval). A
   * watch the server ends (or a 410 Gone) starts over from a GET. Returns on a complete or failed
   * rollout, or when {@code timeout} has passed (the last status seen).
   *
   * <p>Without permission to watch (403), it polls every {@code pollInterval} instead. Not from
   * the resourceVersion of the undo's own PATCH: replaying the events since an
   * earlier write could find a rollout complete that a later write has replaced since.
   */
  RolloutStatus awaitRollout(Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      HasMetadata o = get();
      RolloutStatus s = status(o);
      if (s.isComplete() || s.isFailed() || System.nanoTime() - end >= 0) return s;
      BlockingQueue<Optional<HasMetadata>> events = new LinkedBlockingQueue<>(); // empty: the watch ended
      Watcher<HasMetadata> watcher = new Watcher<>() {
        @Override public void eventReceived(Action action, HasMetadata resource) {
          if (action == Action.ADDED || action == Action.MODIFIED) events.add(Optional.of(resource));
          else if (action == Action.DELETED || action == Action.ERROR) events.add(Optional.empty());
        }
        @Override public void onClose(WatcherException cause) {
          events.add(Optional.empty());
        }
        @Override public void onClose() {
          events.add(Optional.empty());
        }
      };
      String rv = o.getMetadata().getResourceVersion();
      String call = "WATCH " + path() + " from resourceVersion " + rv;
      Watch started;
      try {
        started = Api.call(client, call, () -> watch(rv, watcher));
      } catch (K8sApiException e) {
        if (e.code() != 403) throw e;
        log.warn("{}: cannot watch it ({}): polling every {} instead", describe(), e.getMessage(), options.pollInterval());
        Duration left = Duration.ofNanos(Math.max(0, end - System.nanoTime()));
        return Poll.rollout(this::rolloutStatus, left, options.pollInterval(), null, describe());
      }
      try (Watch w = started) {
        for (int received = 0; ; received++) {
          long left = end - System.nanoTime();
          if (left <= 0) return s;
          Optional<HasMetadata> e = events.poll(left, TimeUnit.NANOSECONDS);
          if (e == null) return s;
          if (e.isEmpty()) { // ended: read again, not at once when it ended before any event
            if (received == 0) Poll.pause(null, options.pollInterval(), "the rollout of " + describe());
            break;
          }
          s = status(e.get());
          if (s.isComplete() || s.isFailed()) return s;
          log.debug("{}: {}", describe(), s.message());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted while waiting for the rollout of " + describe());
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Watch watch(String resourceVersion, Watcher<HasMetadata> watcher) {
    Watcher raw = watcher;
    return switch (kind) {
      case DEPLOYMENT -> client.apps().deployments().inNamespace(namespace).withName(name).watch(resourceVersion, raw);
      case STATEFUL_SET -> client.apps().statefulSets().inNamespace(namespace).withName(name).watch(resourceVersion, raw);
      case DAEMON_SET -> client.apps().daemonSets().inNamespace(namespace).withName(name).watch(resourceVersion, raw);
    };
  }

  RolloutStatus status(HasMetadata o) {
    if (o instanceof Deployment d) return statusOf(d);
    long gen = o.getMetadata().getGeneration() == null ? 0 : o.getMetadata().getGeneration();
    if (o instanceof StatefulSet s) {
      var st = s.getStatus();
      if (st == null || st.getObservedGeneration() == null || st.getObservedGeneration() < gen) {
        return progressing("waiting for the controller to observe " + describe());
      }
      int replicas = s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
      int ready = n(st.getReadyReplicas());
      if (ready < replicas) return progressing(ready + " of " + replicas + " pods of " + describe() + " are ready");
      if (!Objects.equals(st.getUpdateRevision(), st.getCurrentRevision())) {
        return progressing("rolling update of " + describe() + ": " + n(st.getUpdatedReplicas()) + " pods at revision "
            + st.getUpdateRevision());
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

  /** A Deployment's rollout as {@code kubectl rollout status} judges it. */
  static RolloutStatus statusOf(Deployment d) {
    String what = "deployment " + d.getMetadata().getNamespace() + "/" + d.getMetadata().getName();
    var st = d.getStatus();
    long gen = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
    if (st == null || st.getObservedGeneration() == null || st.getObservedGeneration() < gen) {
      return progressing("waiting for the controller to observe " + what);
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
    if (updated < desired) return progressing(updated + " out of " + desired + " new replicas of " + what + " have been updated");
    if (replicas > updated) return progressing((replicas - updated) + " old replicas of " + what + " are pending termination");
    if (available < updated) return progressing(available + " of " + updated + " updated replicas of " + what + " are available");
    return new RolloutStatus(RolloutStatus.State.COMPLETE, what + " successfully rolled out");
  }

  private static int n(@Nullable Integer i) { return i == null ? 0 : i; }

  private static RolloutStatus progressing(String message) {
    return new RolloutStatus(RolloutStatus.State.PROGRESSING, message);
  }

  // ------------------------------------------------------------------ targets of changes

  /** The current template with {@code container}'s image set: the target of a set-image change (config left alone). */
  WorkloadRevision withImage(String container, String image) {
    PodTemplateSpec t = Templates.withoutHash(json(), template(get()));
    List<Container> all = new ArrayList<>(t.getSpec().getContainers());
    if (t.getSpec().getInitContainers() != null) all.addAll(t.getSpec().getInitContainers());
    Container c = all.stream().filter(x -> container.equals(x.getName())).findFirst().orElseThrow(() ->
        new K8sRollbackException("cannot set the image of container '" + container + "' of " + describe()
            + ": it has no such container (containers: " + all.stream().map(Container::getName).toList() + ")"));
    c.setImage(image);
    return new WorkloadRevision(0, null, json().asJson(t), List.of());
  }

  /** The template a JSON merge patch would give, as the API server computes it (a dry run: nothing is written). */
  WorkloadRevision patched(String mergePatchJson) {
    String call = "PATCH " + path() + "?dryRun=All";
    Deployment d = Api.call(client, call, () -> client.apps().deployments().inNamespace(namespace).withName(name).dryRun()
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatchJson));
    return new WorkloadRevision(0, null, templateJson(d.getSpec().getTemplate()), List.of());
  }

  @Override
  public String toString() {
    return "Workload[" + describe() + "]";
  }
}
