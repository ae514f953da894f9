package dev.rollback.internal.detect;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A check that answers within its timeout whatever the probe does: the probe runs on a thread of
 * its own (created on demand, gone after 30 s idle), and a probe that has not answered in time is
 * UNKNOWN with the reason, interrupted, and not started again while it is still stuck, so a hung
 * probe costs one thread, never the guard's. Only probes with no timeout of their own are wrapped
 * (HTTP, TCP and Prometheus checks have connect and read timeouts).
 */
public final class BoundedCheck implements HealthCheck, TimedCheck {
  private final HealthCheck probe;
  private final Duration timeout;
  private final ThreadPoolExecutor runner;
  /** System.nanoTime() when the probe now running started, or 0. */
  private final AtomicLong runningSince = new AtomicLong();

  private BoundedCheck(HealthCheck probe, Duration timeout) {
    this.probe = probe;
    this.timeout = timeout;
    this.runner = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "rollback-check-" + probe.name());
      t.setDaemon(true);
      return t;
    });
    runner.allowCoreThreadTimeOut(true);
  }

  /** {@code probe} bounded by {@code timeout}; a check that already has one is returned as it is. */
  public static HealthCheck of(HealthCheck probe, Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout of check '" + probe.name() + "' must be positive: " + timeout);
    }
    if (probe instanceof TimedCheck) return probe;
    return new BoundedCheck(probe, timeout);
  }

  @Override
  public String name() {
    return probe.name();
  }

  @Override
  public Duration timeout() {
    return timeout;
  }

  @Override
  public synchronized Health check() {
    long since = runningSince.get();
    if (since != 0) {
      Duration stuck = Duration.ofNanos(System.nanoTime() - since);
      return Health.of(name(), HealthStatus.UNKNOWN, Duration.ZERO,
          "the previous check has not answered for " + stuck.toMillis() + " ms (timeout " + timeout + "); not started again");
    }
    long start = System.nanoTime();
    runningSince.set(start);
    Future<Health> f = runner.submit(() -> {
      try {
        return probe.check();
      } finally {
        runningSince.set(0);
      }
    });
    try {
      Health h = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return h != null ? h : Health.of(name(), HealthStatus.UNKNOWN, Duration.ofNanos(System.nanoTime() - start), "the check returned null");
    } catch (TimeoutException e) {
      f.cancel(true);
      return Health.of(name(), HealthStatus.UNKNOWN, Duration.ofNanos(System.nanoTime() - start),
          "the check did not answer within " + timeout + " (interrupted)");
    } catch (ExecutionException e) {
      return Health.of(name(), HealthStatus.UNKNOWN, Duration.ofNanos(System.nanoTime() - start), "the check threw " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      return Health.of(name(), HealthStatus.UNKNOWN, Duration.ofNanos(System.nanoTime() - start), "interrupted while checking");
    }
  }

  @Override
  public String toString() {
    return probe + " (answers within " + timeout + ")";
  }
}
