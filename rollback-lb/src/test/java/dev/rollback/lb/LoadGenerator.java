package dev.rollback.lb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous load through the load balancer at a fixed rate: one new TCP connection and one
 * HTTP/1.0 request per tick (so every request is load-balanced on its own), each answer recorded:
 * status, the backend that served it, the request id it echoed, or the I/O error. Every request
 * carries an id unique to this generator ({@code X-Request-Id: <prefix>-<n>}, n from 0), so a test
 * can match the responses received, and what each backend served, against the requests sent.
 */
public final class LoadGenerator implements AutoCloseable {
  /**
   * One request: its id, when it was sent and answered (System.nanoTime), its status (0 on error),
   * the server that answered and the request id it echoed.
   */
  public record Response(String id, long sentNanos, long doneNanos, int status, String servedBy, String echoedId,
      String error) {
    boolean ok() {
      return status == 200;
    }
  }

  private final int port;
  private final ScheduledExecutorService ticker;
  private final ExecutorService workers;
  private final ConcurrentLinkedQueue<Response> responses = new ConcurrentLinkedQueue<>();
  private final AtomicLong sent = new AtomicLong();
  private final long startNanos = System.nanoTime();
  private final String prefix = "L" + GENERATORS.incrementAndGet() + "." + Long.toHexString(System.nanoTime() & 0xffffff);
  private static final AtomicLong GENERATORS = new AtomicLong();

  private LoadGenerator(int port, int perSecond) {
    this.port = port;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "load-ticker"));
    this.workers = Executors.newFixedThreadPool(64, r -> daemon(r, "load-worker"));
    long periodMicros = 1_000_000L / perSecond;
    ticker.scheduleAtFixedRate(() -> {
      String id = prefix + "-" + sent.getAndIncrement();
      workers.execute(() -> one(id));
    }, 0, periodMicros, TimeUnit.MICROSECONDS);
  }

  /** Starts sending {@code perSecond} requests per second to {@code 127.0.0.1:port}. */
  public static LoadGenerator start(int port, int perSecond) {
    return new LoadGenerator(port, perSecond);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void one(String id) {
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /work?id=" + id + " HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Request-Id: " + id + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      String text = buf.toString(StandardCharsets.ISO_8859_1);
      int status = text.startsWith("HTTP/") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : 0;
      String servedBy = "";
      String echoed = "";
      for (String line : text.split("\r\n")) {
        if (line.isEmpty()) break;
        if (line.regionMatches(true, 0, "X-Served-By:", 0, 12)) servedBy = line.substring(12).trim();
        if (line.regionMatches(true, 0, "X-Request-Id:", 0, 13)) echoed = line.substring(13).trim();
      }
      responses.add(new Response(id, t0, System.nanoTime(), status, servedBy, echoed, status == 0 ? "bad answer: " + text : ""));
    } catch (IOException | RuntimeException e) {
      responses.add(new Response(id, t0, System.nanoTime(), 0, "", "", e.toString()));
    }
  }

  /** The ids of the requests sent so far, in order: {@code <prefix>-0 … <prefix>-(sent-1)}. */
  public List<String> sentIds() {
    long n = sent.get();
    List<String> ids = new ArrayList<>();
    for (long i = 0; i < n; i++) ids.add(prefix + "-" + i);
    return ids;
  }

  /** The prefix of this generator's request ids. */
  public String prefix() {
    return prefix;
  }

  /** Requests sent so far. */
  public long sent() {
    return sent.get();
  }

  public long answered() {
    return responses.size();
  }

  /** Stops sending, waits for the requests in flight, and returns every response in order of sending. */
  public List<Response> stop() throws InterruptedException {
    ticker.shutdownNow();
    ticker.awaitTermination(5, TimeUnit.SECONDS);
    workers.shutdown();
    if (!workers.awaitTermination(60, TimeUnit.SECONDS)) throw new IllegalStateException("load requests did not finish");
    List<Response> all = new ArrayList<>(responses);
    all.sort((a, b) -> Long.compare(a.sentNanos(), b.sentNanos()));
    return all;
  }

  /** Requests per second actually sent so far. */
  public double rate() {
    return sent.get() / ((System.nanoTime() - startNanos) / 1e9);
  }

  @Override
  public void close() throws InterruptedException {
    if (!ticker.isShutdown()) stop();
  }
}
