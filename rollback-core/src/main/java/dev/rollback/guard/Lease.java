package dev.rollback.guard;

import java.time.Duration;
import java.util.Optional;

/**
 * A lease that makes one replica act. Implementations: {@code Leases.inMemory()} in one JVM, a
 * JDBC lease in {@code rollback-jdbc}, a Kubernetes Lease in {@code rollback-k8s}.
 */
public interface Lease {

  /** Takes the lease for {@code holder} if it is free or expired; empty if someone else holds it. */
  Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl);

  /** Extends a grant this holder still holds; empty if it was lost (expired and taken over). */
  Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl);

  /** Gives the lease up early. Does nothing if it was already lost. */
  void release(LeaseGrant grant);
}
