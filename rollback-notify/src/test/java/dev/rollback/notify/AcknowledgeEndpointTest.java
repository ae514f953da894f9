package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Acknowledging a run's page over the gate endpoint: {@code POST /runs/{id}/acknowledge} with the
 * bearer token, and PagerDuty V3 webhooks signed with {@code X-PagerDuty-Signature}. The webhook
 * bodies follow PagerDuty's documented V3 envelope ({@code event.event_type}, {@code event.agent},
 * {@code event.data.incident_key}).
 */
@org.junit.jupiter.api.Timeout(60)
class AcknowledgeEndpointTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final String TOKEN = "gate-token-7f3a9";
  private static final Secret SIGNING = Secret.of("pd-webhook-signing-secret");
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private InMemoryJournal journal;
  private RollbackEngine engine;
  private GateEndpoint endpoint;
  private RollbackRun run;
  private GateRequest gate;

  @BeforeEach
  void start() throws Exception {
    journal = InMemoryJournal.create();
    engine = RollbackEngine.builder().withJournal(journal).build();
    endpoint = GateEndpoint.start(engine, Secret.of(TOKEN)).acceptPagerDutyWebhooks(SIGNING);
    run = engine.start(Plans.withApproval(CommunicationPlan.none(), Duration.ofMinutes(5)), Deployment.of("checkout", "2.4.0"));
    gate = run.awaitGate(HANG_GUARD);
  }

  @AfterEach
  void stop() {
    run.answer(gate.id(), Decision.PROCEED, "cleanup");
    run.await(HANG_GUARD);
    endpoint.close();
    engine.close();
  }

  static HttpResponse<String> post(URI uri, String authorization, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (authorization != null) b.header("Authorization", authorization);
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> acknowledge(String runId, String token, String body) throws Exception {
    return post(endpoint.uri().resolve("/runs/" + runId + "/acknowledge"), token == null ? null : "Bearer " + token, Map.of(), body);
  }

  private List<JournalRecord> acks() {
    return journal.read(run.runId()).records().stream().filter(r -> r.is(RecordType.ACKNOWLEDGED)).toList();
  }

  static String webhook(String type, String incidentKey, String agent) {
    return "{\"event\":{\"id\":\"5ac64822-4adc-4fda-ade0-410becf0de4f\",\"event_type\":\"" + type + "\","
        + "\"resource_type\":\"incident\",\"occurred_at\":\"2026-11-26T22:03:00.000Z\","
        + "\"agent\":{\"html_url\":\"https://acme.pagerduty.com/users/PXPGF42\",\"id\":\"PXPGF42\","
        + "\"self\":\"https://api.pagerduty.com/users/PXPGF42\",\"summary\":\"" + agent + "\",\"type\":\"user_reference\"},"
        + "\"client\":null,\"data\":{\"id\":\"PT4KHLK\",\"type\":\"incident\",\"number\":1234,\"status\":\"acknowledged\","
        + "\"incident_key\":\"" + incidentKey + "\",\"title\":\"Rolling back checkout@2.4.0\"}}}";
  }

  private HttpResponse<String> deliver(String body, String signature) throws Exception {
    return post(endpoint.uri().resolve("/pagerduty/webhook"), null,
        signature == null ? Map.of() : Map.of("X-PagerDuty-Signature", signature), body);
  }

  @Test
  void anAcknowledgementOverHttpIsJournaledWithTheActor() throws Exception {
    HttpResponse<String> r = acknowledge(run.runId(), TOKEN, "{\"actor\":\"alice\"}");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"acknowledgedBy\":\"alice\"");
    assertThat(acks()).singleElement().satisfies(a -> {
      assertThat(a.stringOr("actor", "")).isEqualTo("alice");
      assertThat(a.stringOr("source", "")).isEqualTo("http");
    });
  }

  @Test
  void badAcknowledgementsAreRefusedWithWhatIsWrong() throws Exception {
    assertThat(acknowledge(run.runId(), null, "{\"actor\":\"alice\"}").statusCode()).isEqualTo(401);
    assertThat(acknowledge(run.runId(), "wrong", "{\"actor\":\"alice\"}").statusCode()).isEqualTo(401);
    HttpResponse<String> noActor = acknowledge(run.runId(), TOKEN, "{}");
    assertThat(noActor.statusCode()).isEqualTo(400);
    assertThat(noActor.body()).contains("actor is required");
    assertThat(acknowledge(run.runId(), TOKEN, "not json").body()).contains("not JSON");
    HttpResponse<String> unknown = acknowledge("no-such-run", TOKEN, "{\"actor\":\"alice\"}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("no-such-run").contains("not running");
    HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(endpoint.uri().resolve("/runs/" + run.runId() + "/acknowledge"))
        .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(acknowledge(run.runId(), TOKEN, "{\"actor\":\"" + "x".repeat(17 * 1024) + "\"}").statusCode()).isEqualTo(413);
    assertThat(acks()).isEmpty();
  }

  @Test
  void aSignedPagerDutyAcknowledgementAcknowledgesTheRun() throws Exception {
    String body = webhook("incident.acknowledged", run.runId() + ":notify", "Earline Greenholt");

    HttpResponse<String> r = deliver(body, PagerDutyWebhook.sign(SIGNING, body.getBytes(StandardCharsets.UTF_8)));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(acks()).singleElement().satisfies(a -> {
      assertThat(a.stringOr("actor", "")).isEqualTo("Earline Greenholt");
      assertThat(a.stringOr("source", "")).isEqualTo("pagerduty webhook");
    });
  }

  @Test
  void aWebhookSignedWithTheNewSecretDuringRotationIsAccepted() throws Exception {
    String body = webhook("incident.acknowledged", run.runId() + ":notify", "Earline Greenholt");
    String old = PagerDutyWebhook.sign(Secret.of("the old secret"), body.getBytes(StandardCharsets.UTF_8));

    HttpResponse<String> r = deliver(body, old + "," + PagerDutyWebhook.sign(SIGNING, body.getBytes(StandardCharsets.UTF_8)));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(acks()).hasSize(1);
  }

  @Test
  void aWebhookWithoutAValidSignatureIsRefused() throws Exception {
    String body = webhook("incident.acknowledged", run.runId() + ":notify", "mallory");
    String signed = PagerDutyWebhook.sign(SIGNING, body.getBytes(StandardCharsets.UTF_8));

    assertThat(deliver(body, null).statusCode()).isEqualTo(401);
    assertThat(deliver(body, PagerDutyWebhook.sign(Secret.of("other"), body.getBytes(StandardCharsets.UTF_8))).statusCode()).isEqualTo(401);
    assertThat(deliver(body.replace("mallory", "mallorz"), signed).statusCode()).isEqualTo(401);
    assertThat(deliver(body, signed.replace("v1=", "v0=")).statusCode()).isEqualTo(401);
    assertThat(acks()).isEmpty();
  }

  @Test
  void otherEventsAndOtherIncidentsAreIgnoredWith202() throws Exception {
    String triggered = webhook("incident.triggered", run.runId() + ":notify", "PagerDuty");
    String foreign = webhook("incident.acknowledged", "some-other-alert", "Earline Greenholt");
    String ended = webhook("incident.acknowledged", "checkout-1-deadbeef:notify", "Earline Greenholt");

    for (String body : List.of(triggered, foreign, ended)) {
      HttpResponse<String> r = deliver(body, PagerDutyWebhook.sign(SIGNING, body.getBytes(StandardCharsets.UTF_8)));
      assertThat(r.statusCode()).isEqualTo(202);
      assertThat(r.body()).contains("ignored");
    }
    String notJson = "{not json";
    assertThat(deliver(notJson, PagerDutyWebhook.sign(SIGNING, notJson.getBytes(StandardCharsets.UTF_8))).statusCode()).isEqualTo(400);
    assertThat(acks()).isEmpty();
  }
}
