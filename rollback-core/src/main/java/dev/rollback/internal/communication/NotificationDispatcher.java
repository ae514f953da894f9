package dev.rollback.internal.communication;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.rollback.Deployment;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications off the run's critical path. Each channel (notifier) has a lane of its
 * own: one thread and a bounded queue, so a channel that hangs only delays itself. Inside a lane:
 * a per-attempt timeout, retries with backoff (Failsafe) that honour a channel's Retry-After and
 * stop at a permanent failure, and a circuit breaker: a channel whose last notifications all
 * failed is reported and skipped for a while instead of retried forever. Each outcome is
 * journaled (SENT, FAILED, DROPPED, SKIPPED, DEDUPLICATED); delivery never blocks or fails a run.
 *
 * <p>The plan's templates word the messages, and identical messages to one audience within the
 * plan's de-duplication window are sent once.
 */
public final class NotificationDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotificationDispatcher.class);
  /** The longest Retry-After a channel can make a lane wait. */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);
  /** Consecutive failed notifications after which a channel is skipped. */
  static final int FAILURES_BEFORE_SKIPPING = 3;

  private final int queueCapacity;
  private final RetryPolicy<Object> retry;
  private final Duration attemptTimeout;
  private final Duration breakerDelay;
  private final Map<Notifier, Lane> lanes = new IdentityHashMap<>();
  private final Map<String, Instant> recent = new LinkedHashMap<>();
  /**
   * Journals the outcomes of rejected deliveries, so a full queue costs the run thread no journal
   * write; made on the first drop (most engines never drop one).
   */
  private @Nullable ThreadPoolExecutor overflow;
  private boolean closed;
  /** Deliveries queued or running; guarded by {@link #idle}, which is notified when it drops to zero. */
  private final Object idle = new Object();
  private long pending;

  public NotificationDispatcher(int queueCapacity, int maxAttempts, Duration initialDelay) {
    this(queueCapacity, maxAttempts, initialDelay, Duration.ofSeconds(30), Duration.ofMinutes(1));
  }

  public NotificationDispatcher(int queueCapacity, int maxAttempts, Duration initialDelay, Duration attemptTimeout,
      Duration breakerDelay) {
    if (queueCapacity < 1) throw new IllegalArgumentException("queue capacity must be at least 1: " + queueCapacity);
    if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be at least 1: " + maxAttempts);
    this.queueCapacity = queueCapacity;
    this.attemptTimeout = attemptTimeout;
    this.breakerDelay = breakerDelay;
    this.retry = RetryPolicy.builder()
        .handle(Exception.class)
        .abortOn(e -> e instanceof CommunicationPlan.DeliveryFailure f && f.isPermanent())
        .withMaxAttempts(maxAttempts)
        .withBackoff(initialDelay, initialDelay.multipliedBy(16))
        .withDelayFn(ctx -> {
          Throwable last = ctx.getLastException();
          if (last instanceof CommunicationPlan.DeliveryFailure f && f.retryAfter().isPresent()) {
            Duration d = f.retryAfter().get();
            return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
          }
          return Duration.ofNanos(-1); // the backoff
        })
        .build();
  }

  public static NotificationDispatcher defaults() {
    return new NotificationDispatcher(1000, 4, Duration.ofMillis(500));
  }

  public void dispatch(Consumer<Map<String, Object>> journal, CommunicationPlan plan, NotificationKind kind,
      String runId, String planName, Deployment deployment, String title, String text, Map<String, String> facts,
      String dedupKey, Instant at) {
    for (String audience : plan.audiencesFor(kind)) {
      Notification n = word(plan, kind, audience, runId, planName, deployment, title, text, facts, dedupKey, at);
      if (isDuplicate(plan, n)) {
        for (Notifier notifier : plan.audiences().getOrDefault(audience, List.of())) {
          journal.accept(outcome(n, notifier, "DEDUPLICATED", 0, "an identical message went to "
              + audience + " within " + plan.deduplicationWindow()));
        }
        continue;
      }
      for (Notifier notifier : plan.audiences().getOrDefault(audience, List.of())) {
        send(journal, notifier, n);
      }
    }
  }

  /** Sends {@code n} through {@code notifier} on its lane; used for escalations and by {@link #dispatch}. */
  public void send(Consumer<Map<String, Object>> journal, Notifier notifier, Notification n) {
    Lane lane = lane(notifier);
    if (lane == null) {
      journal.accept(outcome(n, notifier, "DROPPED", 0, "the engine is closed"));
      return;
    }
    busy();
    try {
      lane.pool.execute(() -> {
        try {
          deliver(journal, lane, notifier, n);
        } finally {
          done();
        }
      });
    } catch (RejectedExecutionException e) {
      done();
      long drops = lane.drops.incrementAndGet();
      if (drops == 1 || drops % 100 == 0) {
        log.warn("notification queue of {} full; dropped {} for {} ({} dropped so far)", notifier.name(), n.kind(),
            n.audience(), drops);
      }
      Map<String, Object> dropped = outcome(n, notifier, "DROPPED", 0, "notification queue of " + notifier.name() + " full");
      busy();
      try {
        overflow().execute(() -> {
          try {
            journal.accept(dropped);
          } finally {
            done();
          }
        });
      } catch (RejectedExecutionException again) {
        done();
        log.warn("could not journal that {} for {} via {} was dropped: too many drops", n.kind(), n.audience(), notifier.name());
      }
    }
  }

  /** Fills the plan's template for {@code kind}, or keeps the engine's wording. */
  public static Notification word(CommunicationPlan plan, NotificationKind kind, String audience, String runId,
      String planName, Deployment deployment, String title, String text, Map<String, String> facts, String dedupKey,
      Instant at) {
    return plan.template(kind).map(t -> {
      Map<String, String> values = new LinkedHashMap<>();
      values.put("plan", planName);
      values.put("deployment", deployment.id());
      values.put("service", deployment.service());
      values.put("version", deployment.version());
      values.put("run", runId);
      values.put("audience", audience);
      values.put("kind", kind.name());
      values.put("title", title);
      values.put("text", text);
      facts.forEach((k, v) -> values.put("fact:" + k, v));
      return new Notification(kind, audience, runId, planName, deployment, t.fillTitle(values), t.fillText(values),
          facts, dedupKey, at);
    }).orElseGet(() -> new Notification(kind, audience, runId, planName, deployment, title, text, facts, dedupKey, at));
  }

  private boolean isDuplicate(CommunicationPlan plan, Notification n) {
    Duration window = plan.deduplicationWindow();
    if (window.isZero()) return false;
    String key = n.runId() + "\u0000" + n.audience() + "\u0000" + n.kind() + "\u0000" + n.title() + "\u0000" + n.text();
    synchronized (recent) {
      for (Iterator<Map.Entry<String, Instant>> it = recent.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Instant> e = it.next();
        if (e.getValue().plus(window).isBefore(n.at())) it.remove();
      }
      Instant previous = recent.get(key);
      if (previous != null && !previous.plus(window).isBefore(n.at())) return true;
      recent.put(key, n.at());
      return false;
    }
  }

  private synchronized Lane lane(Notifier notifier) {
    if (closed) return null;
    return lanes.computeIfAbsent(notifier, nf -> new Lane(nf.name(), queueCapacity, breakerDelay));
  }

  private void deliver(Consumer<Map<String, Object>> journal, Lane lane, Notifier notifier, Notification n) {
    int[] attempts = {0};
    try {
      Failsafe.with(lane.breaker, retry, Timeout.builder(attemptTimeout).withInterrupt().build()).run(() -> {
        attempts[0]++;
        notifier.send(n);
      });
      journal.accept(outcome(n, notifier, "SENT", attempts[0], ""));
    } catch (CircuitBreakerOpenException e) {
      log.warn("notifier {} skipped for {}: its last {} notifications failed", notifier.name(), n.kind(),
          FAILURES_BEFORE_SKIPPING);
      journal.accept(outcome(n, notifier, "SKIPPED", 0, "channel " + notifier.name() + " is failing: its last "
          + FAILURES_BEFORE_SKIPPING + " notifications failed; it is tried again after " + breakerDelay));
    } catch (Exception e) {
      Throwable cause = e.getCause() != null && !(e instanceof TimeoutExceededException) ? e.getCause() : e;
      // the one place a channel's failure text enters the log and the journal: hide its secrets
      String error = e instanceof TimeoutExceededException
          ? "no answer within " + attemptTimeout
          : failureText(notifier, cause);
      boolean permanent = cause instanceof CommunicationPlan.DeliveryFailure f && f.isPermanent();
      log.warn("notifier {} failed {} time(s) for {}{}: {}", notifier.name(), attempts[0], n.kind(),
          permanent ? " (permanent, not retried)" : "", error);
      journal.accept(outcome(n, notifier, "FAILED", attempts[0], error));
    }
  }

  private static String failureText(Notifier notifier, Throwable cause) {
    String text = cause.getClass().getSimpleName() + ": " + cause.getMessage();
    try {
      return notifier.redactor().redact(text);
    } catch (RuntimeException e) {
      // a redactor that fails cannot vouch for the text: keep only what kind of failure it was
      return cause.getClass().getSimpleName() + " (message left out: the channel's redactor failed with "
          + e.getClass().getSimpleName() + ")";
    }
  }

  private static Map<String, Object> outcome(Notification n, Notifier notifier, String status, int attempts, String error) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("kind", n.kind().name());
    d.put("audience", n.audience());
    d.put("channel", notifier.name());
    d.put("status", status);
    d.put("attempts", attempts);
    if (!error.isEmpty()) d.put("error", error);
    return d;
  }

  private void busy() {
    synchronized (idle) {
      pending++;
    }
  }

  private void done() {
    synchronized (idle) {
      if (--pending == 0) idle.notifyAll();
    }
  }

  /**
   * Waits up to {@code max} until no delivery is queued or running (each lane's, and the journaling
   * of dropped messages); for tests and orderly shutdown. Woken by the last delivery to finish, not polled.
   */
  public boolean awaitIdle(Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (idle) {
      while (pending > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        TimeUnit.NANOSECONDS.timedWait(idle, left);
      }
      return true;
    }
  }

  private synchronized ThreadPoolExecutor overflow() {
    if (closed) throw new RejectedExecutionException("the notification dispatcher is closed");
    if (overflow == null) {
      overflow = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
        Thread t = new Thread(r, "rollback-notify-overflow");
        t.setDaemon(true);
        return t;
      });
      overflow.allowCoreThreadTimeOut(true);
    }
    return overflow;
  }

  @Override
  public void close() {
    List<Lane> all;
    ThreadPoolExecutor overflow;
    synchronized (this) {
      closed = true;
      all = List.copyOf(lanes.values());
      overflow = this.overflow;
    }
    all.forEach(l -> l.pool.shutdown());
    if (overflow != null) overflow.shutdown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Lane l : all) {
      try {
        l.pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      l.pool.shutdownNow();
    }
    if (overflow == null) return;
    try {
      overflow.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    overflow.shutdownNow();
  }

  private static final class Lane {
    final ThreadPoolExecutor pool;
    final CircuitBreaker<Object> breaker;
    final java.util.concurrent.atomic.AtomicLong drops = new java.util.concurrent.atomic.AtomicLong();

    Lane(String name, int capacity, Duration breakerDelay) {
      this.pool = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity), r -> {
        Thread t = new Thread(r, "rollback-notify-" + name);
        t.setDaemon(true);
        return t;
      });
      this.pool.allowCoreThreadTimeOut(true);
      this.breaker = CircuitBreaker.builder()
          .handle(Exception.class)
          .withFailureThreshold(FAILURES_BEFORE_SKIPPING)
          .withDelay(breakerDelay)
          .build();
    }
  }
}
