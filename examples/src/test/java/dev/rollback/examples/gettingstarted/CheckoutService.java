package dev.rollback.examples.gettingstarted;

// README:begin http-service
import static dev.rollback.detect.RequestRecorder.Outcome.FAILURE;
import static dev.rollback.detect.RequestRecorder.Outcome.SUCCESS;

import com.sun.net.httpserver.HttpServer;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.PropagationCheck;
import dev.rollback.flags.Rollout;
import dev.rollback.guard.Guard;
import dev.rollback.journal.FileJournal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** Checkout 2.4.0: its new code path sits behind the flag new-checkout, and a guard kills the flag when the path fails. */
public class CheckoutService implements AutoCloseable {
  final InMemoryFlagStore flags = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(100));
  final RequestRecorder newPath = RequestRecorder.create("new checkout requests", 5);  // at least 5 requests/s while up
  final HttpServer server;
  final RollbackEngine engine;
  final Guard guard;

  CheckoutService(Path journalDir) throws Exception {
    OpenFeatureAPI.getInstance().setProviderAndWait("checkout", flags.provider());
    Client client = OpenFeatureAPI.getInstance().getClient("checkout");

    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/checkout", exchange -> {
      long start = System.nanoTime();
      String user = exchange.getRequestHeaders().getFirst("X-User");
      boolean onNewPath = client.getBooleanValue("new-checkout", false, new ImmutableContext(user));
      int status = onNewPath ? newCheckout() : oldCheckout();
      if (onNewPath) newPath.record(status >= 500 ? FAILURE : SUCCESS, System.nanoTime() - start);
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();

    // what to do when 2.4.0 turns out bad: flag off, done when the service's own client sees it off
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(FeatureFlags.using(flags).withPropagationCheck(PropagationCheck.of(client)).killSwitch("new-checkout"))
        .build();
    engine = RollbackEngine.builder().withJournal(FileJournal.create(journalDir)).build();
    guard = Guard.builder(plan, Deployment.of("checkout", "2.4.0"))
        .withEngine(engine)
        .trigger(Trigger.sequential(newPath))          // the new path's error rate jumps: about 8 failures
        .withBakeTime(Duration.ofMinutes(10))
        .build();
    guard.arm();
  }

  int newCheckout() { return 500; }   // 2.4.0's bug: every order on the new path fails
  int oldCheckout() { return 200; }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/checkout");
  }

  @Override
  public void close() {
    guard.close();
    engine.close();
    server.stop(0);
  }

  public static void main(String[] args) throws Exception {
    Path journalDir = Files.createTempDirectory("checkout-journal");
    try (CheckoutService service = new CheckoutService(journalDir)) {
      HttpClient http = HttpClient.newHttpClient();
      Instant giveUp = Instant.now().plusSeconds(30);
      for (int order = 1; service.guard.run().isEmpty() && Instant.now().isBefore(giveUp); order++) {
        HttpRequest request = HttpRequest.newBuilder(service.uri()).header("X-User", "user-" + order).build();
        System.out.println("order " + order + ": HTTP " + http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode());
      }
      System.out.println(service.guard.run().orElseThrow().await(Duration.ofSeconds(30)));  // RECOVERED
      System.out.println("new-checkout enabled: " + service.flags.read("new-checkout").enabled());  // false
      HttpRequest next = HttpRequest.newBuilder(service.uri()).header("X-User", "user-1").build();
      System.out.println("next order: HTTP " + http.send(next, HttpResponse.BodyHandlers.discarding()).statusCode());  // 200
      System.out.println("journal: " + journalDir);
    }
  }
}
// README:end http-service
