package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.guard.GuardState;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.test.LeaseRace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many replicas, one incident, on a real API server: 50 guards of one service, each with its own
 * KubernetesLease, fire at once; exactly one acts, the others stand down. Not timed: the figures
 * are in docs/benchmarks/leases.md (scripts/bench/leases.sh).
 */
@org.junit.jupiter.api.Timeout(300)
class KubernetesLeaseRaceIT {
  static RealCluster cluster;
  static String ns;
  static final List<KubernetesClient> clients = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    ns = cluster.namespace("lease-race");
    // ten HTTP clients for fifty replicas: each replica has its own lease, the connections are shared by five
    for (int i = 0; i < 10; i++) clients.add(cluster.client(cluster.env.get("KUBE_TOKEN")));
  }

  @AfterAll
  static void dropNamespace() {
    clients.forEach(KubernetesClient::close);
    cluster.client.namespaces().withName(ns).delete();
  }

  @Test
  void ofFiftyGuardsRacingOnAKubernetesLeaseExactlyOneActsInEveryTrial() throws Exception {
    LeaseRace race = LeaseRace.of(50, i -> KubernetesLease.in(clients.get(i % clients.size()), ns), InMemoryJournal.create());
    for (int trial = 0; trial < 3; trial++) {
      LeaseRace.Result r = race.race(Deployment.of("checkout-" + trial, "2.4.0")); // a service per trial: the loop cap counts per service

      assertThat(r.acted()).as("trial %d: %s", trial, r).isEqualTo(1);
      assertThat(r.states()).as("trial %d: %s", trial, r)
          .containsEntry(GuardState.ROLLED_BACK, 1).containsEntry(GuardState.STOOD_DOWN, 49);
    }
  }

  @Test
  void whenTheReplicaActingDiesAnotherTakesItsRunOverWithinTheTtlAndOneRenewInterval() throws Exception {
    LeaseRace.Takeover t = LeaseRace.of(10, i -> KubernetesLease.in(clients.get(i % clients.size()), ns), InMemoryJournal.create())
        .withLeaseTtl(Duration.ofSeconds(3)).takeover(Deployment.of("checkout", "3.0.0"));

    assertThat(t.successor()).isNotEqualTo(t.holder());
    assertThat(t.completedRuns()).isEqualTo(1);
    // the Lease stores whole seconds: TTL 3 s, renewed every 1 s
    assertThat(t.takeover()).isLessThanOrEqualTo(Duration.ofSeconds(3 + 1));
  }
}
