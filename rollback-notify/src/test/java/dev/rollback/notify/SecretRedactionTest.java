package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A full run with every channel, a gate answered over HTTP and failing deliveries; then every
 * output is scanned for every secret: journal, result, events, logs, reports, toString()s and
 * the endpoint's answers.
 */
class SecretRedactionTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final String SLACK_TOKEN = "XoXoSlackT0kenSECRET";
  private static final String ROUTING_KEY = "PdR0utingKeySECRET00000000000000";
  private static final String HMAC_KEY = "WebhookHmacSECRET";
  private static final String SMTP_PASSWORD = "SmtpPa55wordSECRET";
  private static final String GATE_TOKEN = "GateBearerSECRET";
  private static final String PD_API_TOKEN = "PdApiT0kenSECRET";
  private static final String PD_WEBHOOK_SECRET = "PdWebhookSigningSECRET";
  private static final List<String> SECRETS = List.of(SLACK_TOKEN, ROUTING_KEY, HMAC_KEY, SMTP_PASSWORD, GATE_TOKEN,
      PD_API_TOKEN, PD_WEBHOOK_SECRET);

  @Test
  void noSecretAppearsInAnyOutputOfAFullRun() throws Exception {
    List<String> outputs = new ArrayList<>();
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    GreenMail smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.setUser("rollback@example.com", "rollback", SMTP_PASSWORD);
    smtp.start();
    try (FakeSaas slack = FakeSaas.slack(); FakeSaas pd = FakeSaas.pagerDuty(); FakeSaas hook = FakeSaas.webhook();
        FakeSaas pdApi = FakeSaas.webhook()) {
      // the worst case: the REST API echoes the token it refused
      pdApi.always(401, "{\"error\":{\"message\":\"Authentication failed for token " + PD_API_TOKEN + "\",\"code\":2006}}");
      slack.then(404, "no_service");
      pd.then(400, "{\"status\":\"invalid event\",\"errors\":[\"routing_key " + ROUTING_KEY + " is not valid\"]}");
      hook.then(500, "oops");
      System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
      SlackNotifier slackN = SlackNotifier.webhook(Secret.of(slack.uri("/services/T0/B0/" + SLACK_TOKEN).toString()));
      PagerDutyNotifier pdN = PagerDutyNotifier.events(Secret.of(ROUTING_KEY)).withBaseUri(pd.uri(""));
      WebhookNotifier hookN = WebhookNotifier.to(hook.uri("/in"), Secret.of(HMAC_KEY));
      EmailNotifier mailN = EmailNotifier.smtp("127.0.0.1", smtp.getSmtp().getPort())
          .withCredentials("rollback", Secret.of(SMTP_PASSWORD)).from("rollback@example.com").to("oncall@example.com");
      CommunicationPlan comms = CommunicationPlan.builder()
          .audience("on-call", pdN, mailN).audience("stakeholders", slackN, hookN)
          .routeAll("on-call").routeAll("stakeholders").build();
      RollbackPlan plan = Plans.withApproval(comms, Duration.ofMinutes(5));
      InMemoryJournal journal = InMemoryJournal.create();
      List<String> events = new CopyOnWriteArrayList<>();
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withListener(e -> events.add(e.toString())).build();
          GateEndpoint endpoint = GateEndpoint.start(engine, Secret.of(GATE_TOKEN)).acceptPagerDutyWebhooks(Secret.of(PD_WEBHOOK_SECRET));
          PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(comms)
              .pollIncidents(Secret.of(PD_API_TOKEN), Duration.ofHours(1)).withApiBaseUri(pdApi.uri("")).build()) {
        RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(HANG_GUARD);
        acks.start(engine);
        acks.pollOnce();
        assertThat(pdApi.requests()).as("the poller asked PagerDuty").isNotEmpty();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> badWebhook = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/pagerduty/webhook"))
            .header("X-PagerDuty-Signature", "v1=" + "00".repeat(32))
            .POST(HttpRequest.BodyPublishers.ofString("{\"event\":{\"event_type\":\"incident.acknowledged\"}}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badWebhook.statusCode()).as("a webhook with a wrong signature").isGreaterThanOrEqualTo(400);
        outputs.add(badWebhook.body());
        outputs.add(acks.toString());
        HttpResponse<String> list = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/gates"))
            .header("Authorization", "Bearer " + GATE_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/gates"))
            .header("Authorization", "Bearer " + GATE_TOKEN.substring(1)).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> answered = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/gates/answer"))
            .header("Authorization", "Bearer " + GATE_TOKEN)
            .POST(HttpRequest.BodyPublishers.ofString("{\"gate\":\"" + gate.id() + "\",\"decision\":\"PROCEED\",\"actor\":\"alice\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answered.statusCode()).isEqualTo(200);
        RollbackResult result = run.await(HANG_GUARD);
        // every channel has reported on the run's last notification (SENT or FAILED after retries)
        await().atMost(HANG_GUARD).until(() -> journal.read(run.runId()).records().stream()
            .filter(r -> r.type().equals("NOTIFICATION") && r.stringOr("kind", "").equals("ROLLBACK_COMPLETED")).count() == 4);
        List<JournalRecord> records = journal.read(run.runId()).records();
        assertThat(records).anySatisfy(r -> assertThat(r.stringOr("status", "")).isEqualTo("FAILED"));

        records.forEach(r -> outputs.add(r.toString()));
        outputs.add(result.toString());
        outputs.add(result.summary());
        outputs.addAll(result.problems());
        outputs.addAll(events);
        outputs.add(list.body());
        outputs.add(wrong.body());
        outputs.add(answered.body());
        outputs.add(endpoint.toString());
        outputs.add(comms.toString());
        outputs.add(plan.toString());
        for (var n : List.of(slackN, pdN, hookN, mailN)) outputs.add(n.toString() + " " + n.name());
        Timeline timeline = Timeline.of(records);
        outputs.add(timeline.toString());
        timeline.entries().forEach(e -> outputs.add(e.toString()));
        PostMortem pm = PostMortem.of(timeline);
        outputs.add(pm.toMarkdown());
        outputs.add(HtmlReport.of(pm));
        RunReport report = RunReport.of(records);
        outputs.add(report.toJson());
        outputs.add(report.toMarkdown());
      }
      assertThat(smtp.getReceivedMessages()).isNotEmpty();
    } finally {
      System.setErr(originalErr);
      smtp.stop();
    }
    String logText = logs.toString(StandardCharsets.UTF_8);
    assertThat(logText).as("the logs were captured").contains("checkout-2.4.0");
    outputs.add(logText);

    assertThat(outputs).hasSizeGreaterThan(20);
    for (String out : outputs) {
      for (String secret : SECRETS) {
        assertThat(out).as("an output of the run").doesNotContain(secret);
      }
    }
    assertThat(String.join("\n", outputs)).contains("channel").contains("alice");
  }

  @Test
  void aSecretNeverPrintsItselfAndComparesInConstantTimeStyle() {
    Secret s = Secret.of("abc123");
    assertThat(s.toString()).isEqualTo("***");
    assertThat(s.matches("abc123")).isTrue();
    assertThat(s.matches("abc124")).isFalse();
    assertThat(s.matches("")).isFalse();
    assertThat(s.redact("url=https://x/abc123/y")).isEqualTo("url=https://x/***/y");
    assertThat(Map.of("k", s).toString()).doesNotContain("abc123");
  }
}
