package dev.rollback.k8s.bench;

import dev.rollback.Deployment;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.k8s.KubernetesLease;
import dev.rollback.k8s.RealCluster;
import dev.rollback.test.CountingLease;
import dev.rollback.test.LeaseRace;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Lease benchmark on a real kube-apiserver (scripts/bench/leases.sh): 50 guards of one service
 * racing on a Lease, TRIALS times; TAKEOVERS times the holder dying mid-run; then 200 guards of 20
 * services (10 replicas each) firing in the same instant, FLEET times: every service must act
 * exactly once and no guard may stay stuck on lease errors (429s are retried after their
 * Retry-After). Clients without fabric8's own retries, so every 429 reaches the guard.
 * Usage: KubernetesLeaseBenchmark [TRIALS] [TAKEOVERS] [FLEET]
 */
public final class KubernetesLeaseBenchmark {
  private KubernetesLeaseBenchmark() {}

  public static void main(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int takeovers = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int fleet = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    RealCluster cluster = RealCluster.get();
    String ns = cluster.namespace("lease-bench");
    List<KubernetesClient> clients = new ArrayList<>();
    for (int i = 0; i < 20; i++) clients.add(cluster.client(cluster.env.get("KUBE_TOKEN")));
    try {
      LeaseRace.of(50, i -> KubernetesLease.in(clients.get(i % clients.size()), ns), InMemoryJournal.create())
          .race(Deployment.of("warm-up", "0"));
      CountingLease.Counts counts = new CountingLease.Counts();
      LeaseRace race = LeaseRace.of(50, i -> CountingLease.wrap(KubernetesLease.in(clients.get(i % clients.size()), ns), counts),
          InMemoryJournal.create());
      int exactlyOne = 0;
      List<Duration> settled = new ArrayList<>();
      for (int t = 0; t < trials; t++) {
        LeaseRace.Result r = race.race(Deployment.of("checkout-" + t, "2.4.0")); // a service per trial: the loop cap counts per service
        if (r.acted() == 1) exactlyOne++;
        settled.add(r.elapsed());
        System.out.printf("kubernetes race %d: %d acted, states %s, all settled in %d ms%s%n", t, r.acted(), r.states(),
            r.elapsed().toMillis(), r.acted() == 1 && r.states().getOrDefault(dev.rollback.guard.GuardState.ROLLED_BACK, 0) == 1
                ? "" : " " + r.details());
      }
      System.out.printf("kubernetes: 50 guards x %d trials: exactly one acted in %d of %d; settled median %d ms, max %d ms;"
          + " lease %s%n", trials, exactlyOne, trials, median(settled).toMillis(), Collections.max(settled).toMillis(), counts);

      Duration ttl = Duration.ofSeconds(6);
      for (int t = 0; t < takeovers; t++) {
        LeaseRace.Takeover k = LeaseRace.of(10, i -> KubernetesLease.in(clients.get(i % clients.size()), ns),
            InMemoryJournal.create()).withLeaseTtl(ttl).takeover(Deployment.of("payments-" + t, "9.0"));
        System.out.printf("kubernetes takeover %d: replica-%d died mid-step, replica-%d resumed the run after %d ms"
            + " (bound: TTL %d s + renew interval %d s = %d ms); %d run completed%n", t, k.holder(), k.successor(),
            k.takeover().toMillis(), ttl.toSeconds(), ttl.dividedBy(3).toSeconds(), ttl.plus(ttl.dividedBy(3)).toMillis(),
            k.completedRuns());
      }

      for (int t = 0; t < fleet; t++) {
        CountingLease.Counts fc = new CountingLease.Counts();
        CyclicBarrier together = new CyclicBarrier(20);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<LeaseRace.Result>> results = new ArrayList<>();
        for (int s = 0; s < 20; s++) {
          int service = s;
          int round = t;
          results.add(pool.submit(() -> LeaseRace.of(10,
              i -> CountingLease.wrap(KubernetesLease.in(clients.get((service + i) % clients.size()), ns), fc),
              InMemoryJournal.create()).withStartBarrier(together).withTimeout(Duration.ofMinutes(3))
              .race(Deployment.of("svc-" + service, "1." + round))));
        }
        int servicesOk = 0;
        int stuck = 0;
        Duration slowest = Duration.ZERO;
        for (Future<LeaseRace.Result> f : results) {
          LeaseRace.Result r = f.get();
          if (r.acted() == 1) servicesOk++;
          int ended = r.states().entrySet().stream().filter(e -> switch (e.getKey()) {
            case ROLLED_BACK, ROLLBACK_FAILED, STOOD_DOWN -> true;
            default -> false;
          }).mapToInt(java.util.Map.Entry::getValue).sum();
          stuck += 10 - ended;
          if (r.elapsed().compareTo(slowest) > 0) slowest = r.elapsed();
        }
        pool.shutdown();
        System.out.printf("kubernetes fleet %d: 200 guards of 20 services fired together: %d of 20 services acted exactly once,"
            + " %d guards not ended, slowest service settled in %d ms; lease %s%n", t, servicesOk, stuck, slowest.toMillis(), fc);
      }
    } finally {
      clients.forEach(KubernetesClient::close);
      cluster.client.namespaces().withName(ns).delete();
      System.exit(0); // the shutdown hook stops the control plane this benchmark started
    }
  }

  static Duration median(List<Duration> ds) {
    List<Duration> s = new ArrayList<>(ds);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
