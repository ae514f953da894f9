package dev.rollback.internal;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.rollback.CommunicationPlan;
import dev.rollback.Deployment;
import dev.rollback.Notification;
import dev.rollback.NotificationKind;
import dev.rollback.Notifier;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications off the run's critical path: a bounded queue and a small pool of its
 * own, retries with backoff (Failsafe), each outcome journaled. A full queue drops the
 * notification and journals that it did; delivery never blocks or fails a run.
 */
public final class NotificationDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NotificationDispatcher.class);
  private final ThreadPoolExecutor pool;
  private final RetryPolicy<Object> retry;

  public NotificationDispatcher(int queueCapacity, int maxAttempts, Duration initialDelay) {
    this.pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
      Thread t = new Thread(r, "rollback-notify");
      t.setDaemon(true);
      return t;
    });
    this.pool.allowCoreThreadTimeOut(true);
    this.retry = RetryPolicy.builder()
        .handle(Exception.class)
        .withMaxAttempts(maxAttempts)
        .withBackoff(initialDelay, initialDelay.multipliedBy(16))
        .build();
  }

  public static NotificationDispatcher defaults() {
    return new NotificationDispatcher(1000, 4, Duration.ofMillis(500));
  }

  public void dispatch(Consumer<Map<String, Object>> journal, CommunicationPlan plan, NotificationKind kind,
      String runId, String planName, Deployment deployment, String title, String text, Map<String, String> facts,
      String dedupKey, Instant at) {
    for (String audience : plan.audiencesFor(kind)) {
      Notification n = new Notification(kind, audience, runId, planName, deployment, title, text, facts, dedupKey, at);
      for (Notifier notifier : plan.audiences().getOrDefault(audience, List.of())) {
        try {
          pool.execute(() -> deliver(journal, notifier, n));
        } catch (RejectedExecutionException e) {
          log.warn("notification queue full; dropped {} for {} via {}", kind, audience, notifier.name());
          journal.accept(outcome(n, notifier, "DROPPED", 0, "notification queue full"));
        }
      }
    }
  }

  private void deliver(Consumer<Map<String, Object>> journal, Notifier notifier, Notification n) {
    int[] attempts = {0};
    try {
      Failsafe.with(retry).run(() -> {
        attempts[0]++;
        notifier.send(n);
      });
      journal.accept(outcome(n, notifier, "SENT", attempts[0], ""));
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.warn("notifier {} failed {} times for {}: {}", notifier.name(), attempts[0], n.kind(), cause.toString());
      journal.accept(outcome(n, notifier, "FAILED", attempts[0], cause.getClass().getSimpleName() + ": " + cause.getMessage()));
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

  @Override
  public void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdownNow();
  }

  ExecutorService pool() {
    return pool;
  }
}
