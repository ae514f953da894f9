package dev.rollback;

import java.util.Optional;

/**
 * The lease under which a step runs, as the step sees it ({@link StepContext#lease()}): the lease
 * that makes one replica act, its fencing token, and whether this replica still holds it.
 *
 * <p>A run started with a lease (a guard's rollback, or {@code RunOptions.withLease}) renews it
 * while it runs; when a renewal finds it taken over, or the lease would lapse before the next
 * renewal, the run stops: the step in flight is interrupted and recorded as in doubt, and nothing
 * more is written to the journal. Modules call {@link #check()} right before each write to their
 * system, and where the system offers a conditional write they make it conditional on the
 * {@link #token()} (a Kubernetes object carries the highest token that wrote it; the JDBC lease row
 * is checked in the transaction of the write).
 *
 * <pre>{@code
 * Step.of("flip", ctx -> {
 *   ctx.lease().check();               // a volatile read: throws LeaseLostException once it is lost
 *   router.send("set server app/blue state ready");
 * });
 * }</pre>
 *
 * <p>A run without a lease sees {@link #none()}: always held, token 0.
 */
public interface StepLease {

  /** The lease of a run that holds none: {@link #stillHeld()} is always true, the token is 0. */
  static StepLease none() {
    return NoLease.INSTANCE;
  }

  /** False for {@link #none()}. */
  boolean isPresent();

  /** The lease's name, e.g. {@code rollback-guard-checkout@2.4.0}; empty without a lease. */
  String name();

  /** This replica's name in the lease; empty without a lease. */
  String holder();

  /** The fencing token of this replica's grant: higher for every new grant of the lease; 0 without a lease. */
  long token();

  /**
   * Whether this replica still holds the lease, as far as it knows: one volatile read, no I/O.
   * False once a renewal found it taken over or it would lapse before the next renewal.
   */
  boolean stillHeld();

  /** Why the lease is no longer held; empty while it is. */
  String lostBecause();

  /**
   * Throws {@link LeaseLostException} when the lease is no longer held. Call it right before every
   * write to a system; it costs one volatile read.
   */
  default void check() {
    if (!stillHeld()) throw new LeaseLostException(this, lostBecause());
  }

  /**
   * The lease implementation that granted this lease, if it is a {@code type} (e.g. a JDBC lease
   * whose row a module checks in the transaction of its write); empty otherwise.
   */
  <T> Optional<T> unwrap(Class<T> type);
}
