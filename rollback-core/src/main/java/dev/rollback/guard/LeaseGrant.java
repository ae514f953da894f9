package dev.rollback.guard;

import java.time.Instant;
import java.util.Objects;

/**
 * Proof that {@code holder} holds lease {@code name} until {@code expiresAt}. The fencing token
 * grows with every new grant of the lease; journals reject appends carrying an older token, so a
 * replica that lost the lease cannot write.
 */
public record LeaseGrant(String name, String holder, long fencingToken, Instant expiresAt) {
  public LeaseGrant {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (fencingToken <= 0) throw new IllegalArgumentException("fencingToken must be positive: " + fencingToken);
  }
}
