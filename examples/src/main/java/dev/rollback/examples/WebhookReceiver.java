package dev.rollback.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollback.notify.Secret;
import dev.rollback.notify.WebhookNotifier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The on-call team's end of the drill's notifications: an HTTP endpoint on a loopback port that
 * receives {@link WebhookNotifier}'s signed JSON, checks the signature with
 * {@link WebhookNotifier#verify} (a message with a bad signature is answered 401 and not kept), and
 * keeps what arrived.
 */
final class WebhookReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One message as received: its kind, title and text. */
  record Received(String kind, String title, String text, Instant at) {}

  private final Secret key;
  private final HttpServer server;
  private final ExecutorService threads;
  private final List<Received> received = new ArrayList<>();
  private int rejected;

  private WebhookReceiver(Secret key) throws IOException {
    this.key = key;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    this.threads = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "on-call webhook");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/hooks/on-call", this::receive);
    server.start();
  }

  static WebhookReceiver start(Secret signingKey) throws IOException {
    return new WebhookReceiver(signingKey);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/on-call");
  }

  private void receive(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String ts = ex.getRequestHeaders().getFirst(WebhookNotifier.TIMESTAMP_HEADER);
    String sig = ex.getRequestHeaders().getFirst(WebhookNotifier.SIGNATURE_HEADER);
    boolean valid = ts != null && sig != null
        && WebhookNotifier.verify(key, ts, body, sig, Instant.now(), Duration.ofMinutes(5));
    if (!valid) {
      synchronized (this) {
        rejected++;
      }
      ex.sendResponseHeaders(401, -1);
      ex.close();
      return;
    }
    JsonNode n = JSON.readTree(body);
    synchronized (this) {
      received.add(new Received(n.path("kind").asText(), n.path("title").asText(), n.path("text").asText(), Instant.now()));
      notifyAll();
    }
    ex.sendResponseHeaders(204, -1);
    ex.close();
  }

  /** What arrived with a valid signature, in order. */
  synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** How many messages had no valid signature. */
  synchronized int rejected() {
    return rejected;
  }

  /** Waits at most {@code timeout} for a message that {@code matches}; true if one arrived. */
  synchronized boolean await(Predicate<Received> matches, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (received.stream().noneMatch(matches)) {
      long left = end - System.nanoTime();
      if (left <= 0) return false;
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
