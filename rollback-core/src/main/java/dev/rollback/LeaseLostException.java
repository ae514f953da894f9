package dev.rollback;

import java.util.Objects;

/**
 * This replica no longer holds the lease it acts under: another replica took it over, or it lapsed
 * because it could not be renewed. Thrown by {@link StepLease#check()} and by modules whose system
 * refused a write because a higher fencing token had written it. The engine records the step as in
 * doubt and stops the run without writing anything more; the replica that holds the lease now
 * resumes it.
 */
public final class LeaseLostException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final String lease;
  private final long token;

  public LeaseLostException(StepLease lease, String why) {
    this(lease.name(), lease.holder(), lease.token(), why);
  }

  public LeaseLostException(String lease, String holder, long token, String why) {
    super("lease '" + Objects.requireNonNull(lease, "lease") + "' (fencing token " + token + ", holder " + holder
        + ") is no longer held: " + Objects.requireNonNull(why, "why") + "; nothing more is written under it");
    this.lease = lease;
    this.token = token;
  }

  /** The lease's name. */
  public String lease() {
    return lease;
  }

  /** The fencing token that lost it. */
  public long token() {
    return token;
  }
}
