package dev.rollback.examples.gettingstarted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.examples.ReadmeSnippets;
import dev.rollback.guard.GuardState;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import dev.rollback.detect.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first recipe, run: the guard turns the flag off once the new code path fails, and the old path serves. */
class CheckoutServiceTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir Path journalDir;
  private final HttpClient http = HttpClient.newHttpClient();

  private int order(CheckoutService service, String user) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(service.uri()).header("X-User", user).build();
    return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void theGuardKillsTheFlagWhenTheNewPathFailsAndTheOldPathServesAgain() throws Exception {
    try (CheckoutService service = new CheckoutService(journalDir)) {
      assertThat(service.guard.state()).isEqualTo(GuardState.ARMED);
      assertThat(order(service, "user-0")).as("the new path's first order").isEqualTo(500);

      List<Integer> statuses = new ArrayList<>();
      await().atMost(HANG_GUARD).pollInterval(Duration.ofMillis(1)).until(() -> {
        statuses.add(order(service, "user-" + statuses.size()));
        return service.guard.run().isPresent();
      });
      RollbackResult result = service.guard.run().orElseThrow().await(HANG_GUARD);

      assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(service.guard.state()).isEqualTo(GuardState.ROLLED_BACK);
      assertThat(service.flags.read("new-checkout").enabled()).isFalse();
      assertThat(order(service, "user-1")).as("an order after the rollback goes the old way").isEqualTo(200);
      RunHistory history = RunHistory.of(service.engine.journal().read(result.runId()).records());
      assertThat(history.events(JournalEvent.TriggerFired.class)).singleElement()
          .satisfies(t -> assertThat(t.event().verdict()).isEqualTo(Verdict.ROLL_BACK))
          .satisfies(t -> assertThat(t.event().trigger()).contains("new checkout requests"));
    }
  }

  @Test
  void theRecipesMainSendsOrdersUntilTheGuardActsAndEndsWithTheFlagOff() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      CheckoutService.main(new String[0]);
    } finally {
      System.setOut(out);
    }

    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("order 1: HTTP 500")
        .contains("RECOVERED")
        .contains("new-checkout enabled: false")
        .contains("next order: HTTP 200");
  }

  @Test
  void theReadmeShowsExactlyTheCodeOfTheRecipe() throws Exception {
    ReadmeSnippets.assertReadmeShows("gettingstarted/CheckoutService.java", "http-service");
  }
}
