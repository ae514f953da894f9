package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.engine.ManualClock;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The coordination.k8s.io/v1 Lease on a real API server, on virtual time. */
class KubernetesLeaseIT {
  static RealCluster cluster;
  static String ns;

  @BeforeAll
  static void startCluster() {
    cluster = RealCluster.get();
    ns = cluster.namespace("lease");
  }

  @AfterAll
  static void dropNamespace() {
    cluster.client.namespaces().withName(ns).delete();
  }

  @Test
  void anotherReplicaTakesOverWhenTheHolderStopsRenewingAndTheOldGrantIsFencedOff() {
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-11-26T12:00:00Z"));
    KubernetesLease lease = KubernetesLease.in(cluster.client, ns).withClock(clock);

    LeaseGrant a = lease.tryAcquire("guard", "replica-a", Duration.ofSeconds(10)).orElseThrow();
    assertThat(a.fencingToken()).isEqualTo(1);
    assertThat(lease.tryAcquire("guard", "replica-b", Duration.ofSeconds(10))).as("held by a").isEmpty();

    clock.advance(Duration.ofSeconds(8));
    LeaseGrant renewed = lease.renew(a, Duration.ofSeconds(10)).orElseThrow();
    assertThat(renewed.fencingToken()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(8));
    assertThat(lease.tryAcquire("guard", "replica-b", Duration.ofSeconds(10))).as("renewed 8 s ago").isEmpty();

    clock.advance(Duration.ofSeconds(3)); // a stopped renewing: 11 s since its renewal
    LeaseGrant b = lease.tryAcquire("guard", "replica-b", Duration.ofSeconds(10)).orElseThrow();

    assertThat(b.fencingToken()).isEqualTo(2);
    assertThat(lease.renew(a, Duration.ofSeconds(10))).as("a lost the lease").isEmpty();
    lease.release(a); // does nothing: b holds it
    var stored = cluster.client.leases().inNamespace(ns).withName("guard").get().getSpec();
    assertThat(stored.getHolderIdentity()).isEqualTo("replica-b");
    assertThat(stored.getLeaseTransitions()).isEqualTo(2);

    lease.release(b);
    LeaseGrant c = lease.tryAcquire("guard", "replica-c", Duration.ofSeconds(10)).orElseThrow();
    assertThat(c.fencingToken()).isEqualTo(3);
  }

  @Test
  void ofTwoReplicasRacingForAnExpiredLeaseOnlyOneGetsIt() throws Exception {
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-11-26T12:00:00Z"));
    KubernetesLease lease = KubernetesLease.in(cluster.client, ns).withClock(clock);
    lease.tryAcquire("race", "old", Duration.ofSeconds(1)).orElseThrow();
    clock.advance(Duration.ofSeconds(5));

    var results = new java.util.concurrent.ConcurrentLinkedQueue<Boolean>();
    Thread[] threads = new Thread[4];
    for (int i = 0; i < threads.length; i++) {
      String holder = "r" + i;
      threads[i] = new Thread(() -> results.add(lease.tryAcquire("race", holder, Duration.ofSeconds(30)).isPresent()));
      threads[i].start();
    }
    for (Thread t : threads) t.join(30_000);

    assertThat(results).hasSize(4);
    assertThat(results.stream().filter(x -> x).count()).isEqualTo(1);
    assertThat(cluster.client.leases().inNamespace(ns).withName("race").get().getSpec().getLeaseTransitions()).isEqualTo(2);
  }
}
