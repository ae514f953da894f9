package dev.rollback.lb;

import dev.rollback.RollbackException;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A router could not read or change the routing. Names the router and what it tried; carries the
 * routing state before the attempt (kept, or put back) when the router could read it.
 */
public final class RouterException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final String router;
  private final String attempted;
  private final transient @Nullable RoutingState previous;

  public RouterException(String router, String attempted, String problem, @Nullable RoutingState previous,
      @Nullable Throwable cause) {
    super(router + ": " + attempted + " failed: " + problem
        + (previous == null ? "" : "; previous routing state kept: " + previous), cause);
    this.router = router;
    this.attempted = attempted;
    this.previous = previous;
  }

  /** The router, e.g. {@code haproxy unix:/run/lb/admin.sock}. */
  public String router() { return router; }

  /** What it tried, e.g. {@code set server app/v1 weight 100}. */
  public String attempted() { return attempted; }

  /** The routing state before the attempt, if the router could read it. */
  public Optional<RoutingState> previous() { return Optional.ofNullable(previous); }
}
