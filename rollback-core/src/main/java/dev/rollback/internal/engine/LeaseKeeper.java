package dev.rollback.internal.engine;

import static dev.rollback.internal.Durations.human;

import dev.rollback.StepLease;
import dev.rollback.engine.HeldLease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.internal.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a run's lease: renews it every third of its TTL (on the engine's timer, the renewal itself
 * on the engine's executor so a slow lease store holds no timer), and declares it lost when a
 * renewal finds it taken over, or when renewals have failed so long that it would lapse before the
 * next one. {@link #stillHeld()} is one volatile read. Releases the grant when the run ends.
 */
final class LeaseKeeper implements StepLease {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final HeldLease held;
  private final Clock clock;
  private final Timer timer;
  private final @Nullable Executor executor;
  private final Consumer<String> onLost;
  private final String runId;
  private volatile LeaseGrant grant;
  /** Null while held; why it was lost otherwise. */
  private volatile @Nullable String lost;
  private volatile boolean stopped;
  private Instant lastRenewed;
  private Timer.@Nullable Cancellable next;

  /**
   * @param executor where renewals run; null to run them on the timer's thread (a ManualClock's
   *     advancing thread, so virtual time stays deterministic)
   */
  LeaseKeeper(String runId, HeldLease held, Clock clock, Timer timer, @Nullable Executor executor, Consumer<String> onLost) {
    this.runId = runId;
    this.held = held;
    this.grant = held.grant();
    this.clock = clock;
    this.timer = timer;
    this.executor = executor;
    this.onLost = onLost;
    this.lastRenewed = clock.instant();
  }

  synchronized void start() {
    lastRenewed = clock.instant();
    schedule();
  }

  private synchronized void schedule() {
    if (stopped || lost != null) return;
    next = timer.schedule(() -> {
      if (executor == null) {
        renew();
      } else {
        try {
          executor.execute(this::renew);
        } catch (RuntimeException e) {
          renew(); // the executor is shut down: the engine is closing; renew here once more
        }
      }
    }, held.renewEvery());
  }

  private void renew() {
    if (stopped || lost != null) return;
    LeaseGrant g = grant;
    try {
      Optional<LeaseGrant> renewed = held.lease().renew(g, held.ttl());
      if (renewed.isEmpty()) {
        lose("another replica took it over (" + held.lease() + " no longer shows token " + g.fencingToken() + " for "
            + g.holder() + ")");
        return;
      }
      grant = renewed.get();
      synchronized (this) {
        lastRenewed = clock.instant();
      }
    } catch (RuntimeException e) {
      Duration since;
      synchronized (this) {
        since = Duration.between(lastRenewed, clock.instant());
      }
      if (since.plus(held.renewEvery()).compareTo(held.ttl()) >= 0) {
        lose("it could not be renewed for " + human(since) + " (last error: " + e.getMessage() + ") and would lapse"
            + " (TTL " + human(held.ttl()) + ") before the next renewal");
        return;
      }
      log.warn("run {}: could not renew the lease {} (token {}); trying again in {}: {}", runId, g.name(),
          g.fencingToken(), human(held.renewEvery()), e.toString());
    }
    schedule();
  }

  /** Declares the lease lost (a renewal said so, or a system refused a write for a higher token). */
  void lose(String why) {
    synchronized (this) {
      if (lost != null || stopped) return;
      lost = why;
      if (next != null) next.cancel();
    }
    log.warn("run {}: lost the lease {} (token {}): {}", runId, grant.name(), grant.fencingToken(), why);
    onLost.accept(why);
  }

  /** The run ended: stop renewing and give the lease up (unless it was lost). Never throws. */
  void release() {
    LeaseGrant g;
    synchronized (this) {
      if (stopped) return;
      stopped = true;
      if (next != null) next.cancel();
      g = grant;
    }
    if (lost != null) return;
    try {
      held.lease().release(g);
    } catch (RuntimeException e) {
      log.warn("run {}: could not release the lease {} (token {}); it expires on its own within {}: {}", runId, g.name(),
          g.fencingToken(), human(held.ttl()), e.toString());
    }
  }

  boolean isLost() {
    return lost != null;
  }

  @Override public boolean isPresent() { return true; }
  @Override public String name() { return grant.name(); }
  @Override public String holder() { return grant.holder(); }
  @Override public long token() { return grant.fencingToken(); }
  @Override public boolean stillHeld() { return lost == null; }

  @Override
  public String lostBecause() {
    String l = lost;
    return l == null ? "" : l;
  }

  @Override
  public <T> Optional<T> unwrap(Class<T> type) {
    return type.isInstance(held.lease()) ? Optional.of(type.cast(held.lease())) : Optional.empty();
  }

  @Override
  public String toString() {
    return "StepLease[" + grant.name() + ", token " + grant.fencingToken() + ", " + grant.holder()
        + (lost == null ? "" : ", lost: " + lost) + "]";
  }
}
