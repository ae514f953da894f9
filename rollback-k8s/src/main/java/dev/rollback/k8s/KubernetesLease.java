package dev.rollback.k8s;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.guard.LeaseUnavailableException;
import dev.rollback.k8s.internal.Api;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Lease} on {@code coordination.k8s.io/v1} Lease objects in one namespace, for guards
 * running in several replicas. The fencing token is the Lease's {@code leaseTransitions}, which
 * every new grant increments (1 for the first). Each write carries the resourceVersion it read, so
 * of two replicas taking over an expired lease at once only one wins (the other gets a 409 and no
 * grant). Expiry is {@code renewTime + leaseDurationSeconds} on this lease's clock; the TTL is
 * rounded up to whole seconds, as the Lease stores it. A lease name that is not a valid object
 * name (a guard's {@code rollback-guard-checkout@2.4.0}) is stored under a valid one: lower case,
 * other characters as {@code -}, and a short hash of the name so two names cannot meet.
 */
public final class KubernetesLease implements Lease {
  private static final Logger log = LoggerFactory.getLogger(KubernetesLease.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  private KubernetesLease(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  /** Leases in {@code namespace}, on the system clock. */
  public static KubernetesLease in(KubernetesClient client, String namespace) {
    return new KubernetesLease(Objects.requireNonNull(client, "client"), Kubernetes.requireName("namespace", namespace),
        Clock.systemUTC());
  }

  /** The clock that stamps renewals and judges expiry (a ManualClock in tests). */
  public KubernetesLease withClock(Clock clock) {
    return new KubernetesLease(client, namespace, Objects.requireNonNull(clock, "clock"));
  }

  private static final java.util.regex.Pattern OBJECT_NAME =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /** The Lease object's name for lease {@code name}: the name itself when it is a valid object name. */
  static String objectName(String name) {
    if (name.length() <= 253 && OBJECT_NAME.matcher(name).matches()) return name;
    String base = name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-").replaceAll("^[^a-z0-9]+", "")
        .replaceAll("[^a-z0-9]+$", "");
    if (base.length() > 200) base = base.substring(0, 200);
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return (base.isEmpty() ? "lease" : base) + "-" + java.util.HexFormat.of().formatHex(h, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private String path(String name) {
    return "coordination.k8s.io/v1 namespaces/" + namespace + "/leases/" + objectName(name);
  }

  private io.fabric8.kubernetes.api.model.coordination.v1.@Nullable Lease read(String name) {
    return Api.call(client, "GET " + path(name), () -> client.leases().inNamespace(namespace).withName(objectName(name)).get());
  }

  /**
   * Takes the lease if it is free or expired. An API server that is overloaded (429 Too Many
   * Requests, its {@code --max-mutating-requests-inflight} reached), unavailable (5xx) or
   * unreachable gives a {@link LeaseUnavailableException} carrying the server's Retry-After, so a
   * guard backs off instead of retrying at once.
   */
  @Override
  public Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    try {
      return acquire(name, holder, ttl);
    } catch (K8sApiException e) {
      if (e.code() == 429 || e.code() >= 500 || e.code() == 0) {
        throw new LeaseUnavailableException("lease " + namespace + "/" + name + ": " + e.getMessage(), retryAfter(e), e);
      }
      throw e;
    }
  }

  /** The delay the API server asked for: the Status' {@code details.retryAfterSeconds} (sent as Retry-After too). */
  static @Nullable Duration retryAfter(K8sApiException e) {
    if (e.getCause() instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getDetails() != null
        && k.getStatus().getDetails().getRetryAfterSeconds() != null) {
      return Duration.ofSeconds(k.getStatus().getDetails().getRetryAfterSeconds());
    }
    return e.code() == 429 ? Duration.ofSeconds(1) : null;
  }

  private Optional<LeaseGrant> acquire(String name, String holder, Duration ttl) {
    int seconds = seconds(ttl);
    Instant now = clock.instant();
    var lease = read(name);
    if (lease == null) {
      var created = new LeaseBuilder().withNewMetadata().withName(objectName(name)).withNamespace(namespace).endMetadata()
          .withNewSpec().withHolderIdentity(holder).withLeaseDurationSeconds(seconds)
          .withAcquireTime(micro(now)).withRenewTime(micro(now)).withLeaseTransitions(1).endSpec().build();
      try {
        Api.call(client, "POST " + path(name), () -> client.leases().inNamespace(namespace).resource(created).create());
      } catch (K8sApiException e) {
        if (e.code() == 409) return Optional.empty();
        throw e;
      }
      log.info("lease {}/{} acquired by {} (fencing token 1)", namespace, name, holder);
      return Optional.of(new LeaseGrant(name, holder, 1, now.plusSeconds(seconds)));
    }
    LeaseSpec spec = lease.getSpec() == null ? new LeaseSpec() : lease.getSpec();
    if (spec.getHolderIdentity() != null && !spec.getHolderIdentity().isEmpty() && !expired(spec, now)) {
      return Optional.empty();
    }
    long token = (spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions()) + 1L;
    spec.setHolderIdentity(holder);
    spec.setLeaseDurationSeconds(seconds);
    spec.setAcquireTime(micro(now));
    spec.setRenewTime(micro(now));
    spec.setLeaseTransitions((int) token);
    lease.setSpec(spec);
    try {
      Api.call(client, "PUT " + path(name), () -> client.leases().inNamespace(namespace).resource(lease).update());
    } catch (K8sApiException e) {
      if (e.code() == 409) return Optional.empty();
      throw e;
    }
    log.info("lease {}/{} acquired by {} (fencing token {})", namespace, name, holder, token);
    return Optional.of(new LeaseGrant(name, holder, token, now.plusSeconds(seconds)));
  }

  @Override
  public Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    Objects.requireNonNull(grant, "grant");
    int seconds = seconds(ttl);
    for (int attempt = 0; attempt < 3; attempt++) {
      Instant now = clock.instant();
      var lease = read(grant.name());
      if (lease == null || !holds(lease.getSpec(), grant)) return Optional.empty();
      lease.getSpec().setRenewTime(micro(now));
      lease.getSpec().setLeaseDurationSeconds(seconds);
      try {
        Api.call(client, "PUT " + path(grant.name()), () -> client.leases().inNamespace(namespace).resource(lease).update());
        return Optional.of(new LeaseGrant(grant.name(), grant.holder(), grant.fencingToken(), now.plusSeconds(seconds)));
      } catch (K8sApiException e) {
        if (e.code() != 409) throw e;
      }
    }
    return Optional.empty();
  }

  @Override
  public void release(LeaseGrant grant) {
    Objects.requireNonNull(grant, "grant");
    var lease = read(grant.name());
    if (lease == null || !holds(lease.getSpec(), grant)) return;
    lease.getSpec().setHolderIdentity(null);
    try {
      Api.call(client, "PUT " + path(grant.name()), () -> client.leases().inNamespace(namespace).resource(lease).update());
    } catch (K8sApiException e) {
      if (e.code() != 409) throw e;
    }
  }

  private static boolean holds(@Nullable LeaseSpec spec, LeaseGrant grant) {
    return spec != null && grant.holder().equals(spec.getHolderIdentity())
        && spec.getLeaseTransitions() != null && spec.getLeaseTransitions() == grant.fencingToken();
  }

  private static boolean expired(LeaseSpec spec, Instant now) {
    if (spec.getRenewTime() == null || spec.getLeaseDurationSeconds() == null) return true;
    Instant renewed = spec.getRenewTime().toInstant();
    return !now.isBefore(renewed.plusSeconds(spec.getLeaseDurationSeconds()));
  }

  private static int seconds(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("ttl must be positive: " + ttl);
    long s = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
    return (int) Math.min(Integer.MAX_VALUE, s);
  }

  private static ZonedDateTime micro(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS).atZone(ZoneOffset.UTC);
  }

  @Override
  public String toString() {
    return "KubernetesLease[" + namespace + "]";
  }
}
