package dev.rollback.examples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The drill's users: a steady stream of checkouts (one every {@code period}, from 100 users in
 * turn) sent through the load balancer without waiting for the answers, counted by the version
 * that answered and by whether it succeeded (a request that got no answer counts as a failure of the
 * "load balancer"). Bounded: it stops after {@code maxRequests} or when closed.
 */
final class Shoppers implements AutoCloseable {
  /** Requests and failures of one version. */
  record Tally(long requests, long failures) {}

  private final URI frontend;
  private final long maxRequests;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "shoppers");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong sent = new AtomicLong();
  private final Semaphore inFlight = new Semaphore(64);
  private final Map<String, long[]> byVersion = new TreeMap<>();

  private Shoppers(URI frontend, Duration period, long maxRequests) {
    this.frontend = frontend;
    this.maxRequests = maxRequests;
    scheduler.scheduleAtFixedRate(this::checkout, 0, period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Starts sending one checkout every {@code period} to {@code frontend}, at most {@code maxRequests} in all. */
  static Shoppers start(URI frontend, Duration period, long maxRequests) {
    return new Shoppers(frontend, period, maxRequests);
  }

  private void checkout() {
    long n = sent.incrementAndGet();
    if (n > maxRequests) {
      scheduler.shutdown();
      return;
    }
    // asynchronous, so the rate holds whatever the latency; at most 64 requests in flight
    if (!inFlight.tryAcquire()) {
      count("load balancer", false);
      return;
    }
    client.sendAsync(HttpRequest.newBuilder(frontend.resolve("/checkout?user=u" + (n % 100)))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding())
        .whenComplete((r, e) -> {
          inFlight.release();
          if (e != null) {
            count("load balancer", false);
          } else {
            count(r.headers().firstValue(CheckoutService.VERSION_HEADER).orElse("load balancer"), r.statusCode() / 100 == 2);
          }
        });
  }

  private void count(String version, boolean ok) {
    synchronized (byVersion) {
      long[] t = byVersion.computeIfAbsent(version, k -> new long[2]);
      t[0]++;
      if (!ok) t[1]++;
      byVersion.notifyAll();
    }
  }

  /** Requests and failures so far, by the version that answered ("load balancer" when none did). */
  Map<String, Tally> tally() {
    synchronized (byVersion) {
      Map<String, Tally> m = new TreeMap<>();
      byVersion.forEach((v, t) -> m.put(v, new Tally(t[0], t[1])));
      return m;
    }
  }

  /** All requests answered so far. */
  long answered() {
    synchronized (byVersion) {
      return byVersion.values().stream().mapToLong(t -> t[0]).sum();
    }
  }

  /** Waits at most {@code timeout} until {@code n} more requests than {@code from} were answered; true if they were. */
  boolean awaitAnswered(long from, long n, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (byVersion) {
      while (answered() < from + n) {
        long left = end - System.nanoTime();
        if (left <= 0) return false;
        TimeUnit.NANOSECONDS.timedWait(byVersion, left);
      }
      return true;
    }
  }

  @Override
  public void close() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(5, TimeUnit.SECONDS);
  }
}
