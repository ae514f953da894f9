package dev.rollback.guard;

import dev.rollback.engine.ManualClock;
import dev.rollback.internal.guard.InMemoryLease;
import java.time.Clock;
import java.util.Objects;

/** Factories for {@link Lease}s that need no infrastructure. JDBC and Kubernetes leases live in their modules. */
public final class Leases {
  private Leases() {}

  /** A lease shared by everything in this JVM (guards in several threads); not across replicas. */
  public static Lease inMemory() {
    return inMemory(Clock.systemUTC());
  }

  /** An in-JVM lease whose expiry follows {@code clock} (a {@link ManualClock} in tests). */
  public static Lease inMemory(Clock clock) {
    return new InMemoryLease(Objects.requireNonNull(clock, "clock"));
  }

  /** True for leases that only work inside one JVM, which cannot make one of several replicas act. */
  public static boolean isInMemory(Lease lease) {
    return lease instanceof InMemoryLease;
  }
}
