package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.notify.internal.Http;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GateEndpointTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final String TOKEN = "gate-token-7f3a9";
  private final HttpClient http = HttpClient.newHttpClient();
  private InMemoryJournal journal;
  private RollbackEngine engine;
  private GateEndpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    journal = InMemoryJournal.create();
    engine = RollbackEngine.builder().withJournal(journal).build();
    endpoint = GateEndpoint.start(engine, Secret.of(TOKEN));
  }

  @AfterEach
  void stop() {
    endpoint.close();
    engine.close();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.uri().resolve(path)).GET();
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.uri().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String answer(String gate, String decision, String actor) {
    return Http.write(Http.object().put("gate", gate).put("decision", decision).put("actor", actor));
  }

  @Test
  void listensOnLoopbackOnly() {
    assertThat(endpoint.uri().getHost()).isEqualTo("127.0.0.1");
    assertThat(endpoint.toString()).doesNotContain(TOKEN);
  }

  @Test
  void listsTheOpenGateAndAnAnswerOverHttpIsJournaledWithTheActor() throws Exception {
    RollbackRun run = engine.start(Plans.withApproval(CommunicationPlan.none(), Duration.ofMinutes(5)),
        Deployment.of("checkout", "2.4.0"));
    GateRequest gate = run.awaitGate(HANG_GUARD);

    HttpResponse<String> list = get("/gates", TOKEN);
    assertThat(list.statusCode()).isEqualTo(200);
    JsonNode gates = Http.JSON.readTree(list.body());
    assertThat(gates).hasSize(1);
    assertThat(gates.get(0).get("id").asText()).isEqualTo(gate.id());
    assertThat(gates.get(0).get("onTimeout").asText()).isEqualTo("HALT");
    assertThat(gates.get(0).get("question").asText()).contains("If nobody answers by");

    HttpResponse<String> ok = post("/gates/answer", TOKEN, answer(gate.id(), "proceed", "alice"));
    assertThat(ok.statusCode()).isEqualTo(200);

    RollbackResult result = run.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    JournalRecord decided = journal.read(run.runId()).records().stream().filter(r -> r.type().equals("GATE_DECIDED"))
        .findFirst().orElseThrow();
    assertThat(decided.stringOr("actor", "")).isEqualTo("alice");
    assertThat(decided.stringOr("decision", "")).isEqualTo("PROCEED");

    HttpResponse<String> again = post("/gates/answer", TOKEN, answer(gate.id(), "HALT", "bob"));
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.body()).contains("already decided").contains("alice");
  }

  @Test
  void refusesAMissingOrWrongToken() throws Exception {
    assertThat(get("/gates", null).statusCode()).isEqualTo(401);
    assertThat(get("/gates", "wrong").statusCode()).isEqualTo(401);
    assertThat(get("/gates", TOKEN + "x").statusCode()).isEqualTo(401);
    HttpResponse<String> r = post("/gates/answer", "nope", answer("g", "PROCEED", "mallory"));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
  }

  @Test
  void badInputGetsAnErrorThatSaysWhatIsWrong() throws Exception {
    RollbackRun run = engine.start(Plans.withApproval(CommunicationPlan.none(), Duration.ofMinutes(5)),
        Deployment.of("checkout", "2.4.0"));
    GateRequest gate = run.awaitGate(HANG_GUARD);

    HttpResponse<String> notJson = post("/gates/answer", TOKEN, "decision=PROCEED");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("not JSON");

    HttpResponse<String> noActor = post("/gates/answer", TOKEN, "{\"gate\":\"" + gate.id() + "\",\"decision\":\"PROCEED\"}");
    assertThat(noActor.statusCode()).isEqualTo(400);
    assertThat(noActor.body()).contains("missing: actor");

    HttpResponse<String> badDecision = post("/gates/answer", TOKEN, answer(gate.id(), "MAYBE", "alice"));
    assertThat(badDecision.statusCode()).isEqualTo(400);
    assertThat(badDecision.body()).contains("'MAYBE'");

    HttpResponse<String> notAnOption = post("/gates/answer", TOKEN, answer(gate.id(), "SKIP", "alice"));
    assertThat(notAnOption.statusCode()).isEqualTo(400);
    assertThat(notAnOption.body()).contains("accepts");

    HttpResponse<String> unknown = post("/gates/answer", TOKEN, answer("no-such-gate", "PROCEED", "alice"));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("no open gate no-such-gate");

    assertThat(post("/gates", TOKEN, "{}").statusCode()).isEqualTo(405);
    assertThat(get("/gates/answer", TOKEN).statusCode()).isEqualTo(405);
    assertThat(post("/gates/answer", TOKEN, "x".repeat(20_000)).statusCode()).isEqualTo(413);

    assertThat(run.pendingGates()).hasSize(1);
    run.cancel("test over");
    run.await(HANG_GUARD);
  }
}
