package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Deployment;
import dev.rollback.LeaseLostException;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.k8s.internal.Fencing;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.FakeStepLease;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fencing on the real API server: a write under a lease records its fencing token on the object in
 * the same request (with the resourceVersion read as precondition), and a replica that lost the
 * lease, whether it noticed or not, writes nothing afterwards.
 */
class KubernetesFencingIT {
  private static final String LEASE = "rollback-guard-front@2";
  static RealCluster cluster;
  static KubernetesClient client;
  static String ns;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    client = cluster.client;
    ns = cluster.namespace("fencing");
  }

  @AfterAll
  static void dropNamespace() {
    client.namespaces().withName(ns).delete();
  }

  private static StateAdapter<Map<String, String>> service(String name) {
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withSelector(Map.of("app", name, "color", "blue")).addNewPort().withPort(80).endPort().endSpec()
        .build()).create();
    return Kubernetes.using(client).service(ns, name).selectorAdapter();
  }

  private static String resourceVersion(String service) {
    return client.services().inNamespace(ns).withName(service).get().getMetadata().getResourceVersion();
  }

  private static FakeStepContext under(FakeStepLease lease) {
    return FakeStepContext.builder().withLease(lease).build();
  }

  @Test
  void aWriteUnderALeaseRecordsItsTokenAndAStaleHolderThatHasNotNoticedIsRefused() throws Exception {
    StateAdapter<Map<String, String>> front = service("front-stale");
    FakeStepLease stale = FakeStepLease.held(LEASE, "pod-1", 1); // still reads as held: pod-1 has not noticed
    FakeStepLease current = FakeStepLease.held(LEASE, "pod-2", 2);

    front.apply(Map.of("app", "front-stale", "color", "green"), under(current));
    String afterTakeover = resourceVersion("front-stale");
    assertThat(client.services().inNamespace(ns).withName("front-stale").get().getMetadata().getAnnotations())
        .containsEntry(Fencing.ANNOTATION, "2 " + LEASE);

    assertThatThrownBy(() -> front.apply(Map.of("app", "front-stale", "color", "blue"), under(stale)))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("carries fencing token 2", "the write was refused");
    assertThat(resourceVersion("front-stale")).as("the Service after the refused write").isEqualTo(afterTakeover);
    assertThat(front.read(FakeStepContext.create())).containsEntry("color", "green");

    // the same holder, or a token of another lease, is not refused
    front.apply(Map.of("app", "front-stale", "color", "blue"), under(FakeStepLease.held("another-lease", "x", 1)));
    assertThat(front.read(FakeStepContext.create())).containsEntry("color", "blue");
  }

  @Test
  void aStaleHolderIsRefusedOnADeploymentItsReplicasAndItsPause() throws Exception {
    client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName("api").endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().withMatchLabels(Map.of("app", "api")).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "api")).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("api:1").endContainer().endSpec().endTemplate()
        .endSpec().build()).create();
    DeploymentRollout api = Kubernetes.using(client).deployment(ns, "api");
    FakeStepLease stale = FakeStepLease.held(LEASE, "pod-1", 1);
    FakeStepLease current = FakeStepLease.held(LEASE, "pod-2", 2);

    api.replicasAdapter().apply(2, under(current));
    long generation = client.apps().deployments().inNamespace(ns).withName("api").get().getMetadata().getGeneration();

    assertThatThrownBy(() -> api.replicasAdapter().apply(5, under(stale))).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> api.pause().action().run(under(stale))).isInstanceOf(LeaseLostException.class);
    WorkloadRevision now = api.revisionAdapter().read(FakeStepContext.create());
    var json = client.getKubernetesSerialization();
    var t = json.unmarshal(now.template(), io.fabric8.kubernetes.api.model.PodTemplateSpec.class);
    t.getSpec().getContainers().get(0).setImage("api:2");
    WorkloadRevision other = new WorkloadRevision(0, null, json.asJson(t), List.of());
    assertThatThrownBy(() -> api.revisionAdapter().apply(other, under(stale))).isInstanceOf(LeaseLostException.class);

    var d = client.apps().deployments().inNamespace(ns).withName("api").get();
    assertThat(d.getMetadata().getGeneration()).as("no spec write after the takeover").isEqualTo(generation);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(d.getMetadata().getAnnotations()).containsEntry(Fencing.ANNOTATION, "2 " + LEASE);
  }

  @Test
  void aHolderWhoseKubernetesLeaseIsTakenOverMidStepWritesNothingAfterwards() throws Exception {
    StateAdapter<Map<String, String>> front = service("front-takeover");
    Duration ttl = Duration.ofSeconds(3);
    KubernetesLease leases = KubernetesLease.in(client, ns);
    LeaseGrant mine = leases.tryAcquire(LEASE, "pod-1", ttl).orElseThrow();
    // pod-1 switches the Service green, blue, green, holding each for half a minute
    RollbackPlan plan = RollbackPlan.builder("switch").step(StateSteps.on(front)
        .sequence("switch", List.of(Map.of("app", "front-takeover", "color", "green"),
            Map.of("app", "front-takeover", "color", "blue"), Map.of("app", "front-takeover", "color", "green")))
        .withPause(Duration.ofSeconds(30)).toStep()).build();

    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      RollbackRun run = engine.start(plan, Deployment.of("front", "2"),
          RunOptions.defaults().withReason("pod-1 switches").withLease(leases, mine, ttl));
      org.awaitility.Awaitility.await("pod-1's first target").atMost(Duration.ofSeconds(30))
          .until(() -> "green".equals(front.read(FakeStepContext.create()).get("color")));

      // pod-2, whose clock runs 5 s ahead, judges the lease expired and takes it over on the API server
      KubernetesLease ahead = KubernetesLease.in(client, ns).withClock(Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5)));
      LeaseGrant theirs = ahead.tryAcquire(LEASE, "pod-2", ttl).orElseThrow();
      assertThat(theirs.fencingToken()).isEqualTo(2);
      front.apply(Map.of("app", "front-takeover", "color", "blue"), under(FakeStepLease.held(LEASE, "pod-2", 2)));
      String afterTheirs = resourceVersion("front-takeover");

      RollbackResult r = run.await(Duration.ofSeconds(30));

      assertThat(r.outcome()).as(r.summary()).isEqualTo(RunOutcome.CANCELLED);
      assertThat(r.summary()).contains("lost the lease " + LEASE + " (fencing token 1)");
      assertThat(resourceVersion("front-takeover")).as("the Service after pod-1 stopped").isEqualTo(afterTheirs);
      var lease = client.leases().inNamespace(ns).withName(KubernetesLease.objectName(LEASE)).get().getSpec();
      assertThat(lease.getHolderIdentity()).as("pod-1 did not release pod-2's lease").isEqualTo("pod-2");
    }
  }
}
