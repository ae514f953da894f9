package dev.rollback.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How an overloaded API server's answer becomes the delay a guard waits before its next lease attempt. */
class KubernetesLeaseTest {

  private static K8sApiException answered(int code, Integer retryAfterSeconds) {
    var status = new StatusBuilder().withCode(code).withReason("TooManyRequests").withMessage("too many requests, please try again later")
        .withNewDetails().withRetryAfterSeconds(retryAfterSeconds).endDetails().build();
    return new K8sApiException("PUT lease failed", "PUT lease", code, new KubernetesClientException(status));
  }

  @Test
  void a429TakesItsDelayFromTheStatusRetryAfterSeconds() {
    assertThat(KubernetesLease.retryAfter(answered(429, 3))).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void a429WithoutADelayWaitsOneSecondAsTheApiServerAdvertisesByDefault() {
    assertThat(KubernetesLease.retryAfter(answered(429, null))).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void anUnavailableServerWithoutADelayLeavesItToTheGuardsBackoff() {
    assertThat(KubernetesLease.retryAfter(answered(503, null))).isNull();
  }
}
