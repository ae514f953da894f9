package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.guard.LeaseGrant;
import dev.rollback.guard.LeaseUnavailableException;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An overloaded API server on the lease's path: a real HTTP 429 with the Status body kube-apiserver
 * sends when its in-flight limit is reached ({@code details.retryAfterSeconds}), put in front of the
 * real server by a {@link FaultProxy}, reaches the guard as a {@link LeaseUnavailableException}
 * carrying the server's delay (how a guard then waits is {@code LeaseAcquisitionTest}'s, in core).
 */
class KubernetesLeaseOverloadIT {
  /** What kube-apiserver answers past {@code --max-mutating-requests-inflight} (it sends Retry-After: 2 too). */
  private static final String TOO_MANY = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
      + "\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\","
      + "\"details\":{\"retryAfterSeconds\":2},\"code\":429}";

  RealCluster cluster;
  FaultProxy proxy;
  KubernetesClient proxied;
  String ns;

  @BeforeEach
  void proxyTheApiServer() throws Exception {
    cluster = RealCluster.get();
    ns = cluster.namespace("overload");
    proxy = FaultProxy.https(URI.create(cluster.server()).getPort());
    // fabric8's own retries off, as in the lease benchmark: the 429 reaches the lease as it came
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(proxy.uri().toString())
        .withOauthToken(cluster.env.get("KUBE_TOKEN")).withTrustCerts(true).withDisableHostnameVerification(true)
        .withRequestRetryBackoffLimit(0).withRequestTimeout(10_000).build();
    proxied = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterEach
  void stop() {
    proxied.close();
    proxy.close();
    cluster.client.namespaces().withName(ns).delete();
  }

  @Test
  void aTooManyRequestsAnswerIsLeaseUnavailableWithTheServersRetryAfterAndTheNextAttemptTakesTheLease() {
    KubernetesLease lease = KubernetesLease.in(proxied, ns);
    proxy.inject(Fault.status(429, "application/json", TOO_MANY)
        .matching("a request for the lease", r -> r.target().contains("/leases")).times(1));

    assertThatThrownBy(() -> lease.tryAcquire("guard", "replica-a", Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(LeaseUnavailableException.class, e -> {
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(2));
          assertThat(e.getMessage()).contains(ns + "/guard");
        });
    assertThat(proxy.applied()).isEqualTo(1);

    LeaseGrant grant = lease.tryAcquire("guard", "replica-a", Duration.ofSeconds(10)).orElseThrow();
    assertThat(grant.fencingToken()).isEqualTo(1);
    assertThat(cluster.client.leases().inNamespace(ns).withName("guard").get().getSpec().getHolderIdentity())
        .isEqualTo("replica-a");
  }

  @Test
  void aServerErrorIsLeaseUnavailableWithoutADelayAndAForbiddenAnswerIsNot() {
    KubernetesLease lease = KubernetesLease.in(proxied, ns);
    proxy.inject(Fault.status(503).matching("a request for the lease", r -> r.target().contains("/leases")).times(1));
    assertThatThrownBy(() -> lease.tryAcquire("guard", "replica-a", Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(LeaseUnavailableException.class, e -> assertThat(e.retryAfter()).isEmpty());

    proxy.inject(Fault.status(403).matching("a request for the lease", r -> r.target().contains("/leases")).times(1));
    assertThatThrownBy(() -> lease.tryAcquire("guard", "replica-a", Duration.ofSeconds(10)))
        .isNotInstanceOf(LeaseUnavailableException.class);
  }
}
