package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every channel talks to a loopback server that answers with an error echoing the request back:
 * path and query, headers, body. No fragment of any secret may reach the journal file, the
 * reports, the timeline, the post-mortem page, an exception message or a log line.
 */
class EchoingServerRedactionTest {
  // the parts of Slack's webhook URL: workspace, channel hook and token (each is a secret fragment)
  private static final String SLACK_TEAM = "T0SLACKTEAM1";
  private static final String SLACK_HOOK = "B0SLACKHOOK2";
  private static final String SLACK_TOKEN = "XoXoSlackT0kenSECRET";
  private static final String ROUTING_KEY = "PdR0utingKeySECRET00000000000000";
  private static final String HOOK_PATH_TOKEN = "HookPathT0kenSECRET";
  private static final String HOOK_QUERY_TOKEN = "HookQueryT0ken/SECRET+1";
  private static final String HMAC_KEY = "WebhookHmacSECRET";
  private static final String SMTP_PASSWORD = "SmtpPa55wordSECRET";
  private static final String GATE_TOKEN = "GateBearerSECRET";
  private static final List<String> FRAGMENTS = List.of(SLACK_TEAM, SLACK_HOOK, SLACK_TOKEN, ROUTING_KEY, HOOK_PATH_TOKEN,
      HOOK_QUERY_TOKEN, URLEncoder.encode(HOOK_QUERY_TOKEN, StandardCharsets.UTF_8), HMAC_KEY, SMTP_PASSWORD, GATE_TOKEN);

  @TempDir
  Path dir;

  @Test
  void noFragmentOfASecretLeavesTheLibraryWhenEveryServerEchoesTheRequest() throws Exception {
    List<String> outputs = new ArrayList<>();
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    GreenMail smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.setUser("rollback@example.com", "rollback", "another password");
    smtp.start();
    try (FakeSaas slack = FakeSaas.slack().echoing(500); FakeSaas pd = FakeSaas.pagerDuty().echoing(400);
        FakeSaas hook = FakeSaas.webhook().echoing(403)) {
      System.setErr(new PrintStream(logs, true, StandardCharsets.UTF_8));
      SlackNotifier slackN = SlackNotifier.webhook(Secret.of(
          slack.uri("/services/" + SLACK_TEAM + "/" + SLACK_HOOK + "/" + SLACK_TOKEN).toString())).named("slack-incidents");
      PagerDutyNotifier pdN = PagerDutyNotifier.events(Secret.of(ROUTING_KEY)).withBaseUri(pd.uri(""));
      WebhookNotifier hookN = WebhookNotifier.to(hook.uri("/in/" + HOOK_PATH_TOKEN + "?token="
          + URLEncoder.encode(HOOK_QUERY_TOKEN, StandardCharsets.UTF_8)), Secret.of(HMAC_KEY));
      // GreenMail refuses this password: the SMTP error path
      EmailNotifier mailN = EmailNotifier.smtp("127.0.0.1", smtp.getSmtp().getPort())
          .withCredentials("rollback", Secret.of(SMTP_PASSWORD)).from("rollback@example.com").to("oncall@example.com");
      CommunicationPlan comms = CommunicationPlan.builder()
          .audience("on-call", pdN, mailN).audience("stakeholders", slackN, hookN)
          .routeAll("on-call").routeAll("stakeholders").build();
      RollbackPlan plan = Plans.simple(comms, 1);
      Path journalDir = dir.resolve("journal");
      FileJournal journal = FileJournal.create(journalDir);
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build();
          GateEndpoint endpoint = GateEndpoint.start(engine, Secret.of(GATE_TOKEN))) {
        RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"));
        RollbackResult result = run.await(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(30)).until(() -> journal.read(run.runId()).records().stream()
            .filter(r -> r.type().equals("NOTIFICATION") && r.stringOr("kind", "").equals("ROLLBACK_COMPLETED")).count() == 4);
        List<JournalRecord> records = journal.read(run.runId()).records();
        assertThat(records.stream().filter(r -> r.type().equals("NOTIFICATION")))
            .as("every channel's delivery failed").allSatisfy(r -> assertThat(r.stringOr("status", "")).isEqualTo("FAILED"));
        assertThat(records.stream().filter(r -> r.stringOr("channel", "").equals("slack-incidents")).map(r -> r.stringOr("error", "")))
            .as("the Slack relay's echo reached the journal, redacted").anySatisfy(e -> assertThat(e).contains("/services/***/***/***"));

        // the gate endpoint: a caller that puts the token where the endpoint echoes input
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> answered = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/gates/answer"))
            .header("Authorization", "Bearer " + GATE_TOKEN)
            .POST(HttpRequest.BodyPublishers.ofString("{\"gate\":\"" + GATE_TOKEN + "\",\"decision\":\"PROCEED\",\"actor\":\""
                + GATE_TOKEN + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answered.statusCode()).as("no such gate").isEqualTo(404);
        HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(endpoint.uri().resolve("/gates/" + GATE_TOKEN))
            .header("Authorization", "Bearer " + GATE_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.body()).as("the endpoint names the path it does not know").contains("/gates/***");
        outputs.add(answered.body());
        outputs.add(unknown.body());

        // exceptions a caller sees when sending directly
        for (var n : List.of(slackN, pdN, hookN, mailN)) {
          Throwable t = catchThrowable(() -> n.send(Samples.notification(NotificationKind.ROLLBACK_COMPLETED)));
          assertThat(t).as("%s fails against the echoing server", n.name()).isNotNull();
          outputs.add(t.toString());
        }

        Timeline timeline = Timeline.of(records);
        PostMortem pm = PostMortem.of(timeline);
        RunReport report = RunReport.of(records);
        outputs.addAll(List.of(timeline.toString(), timeline.toJson(), pm.toMarkdown(), HtmlReport.of(pm), report.toJson(),
            report.toMarkdown(), result.toString(), String.join("\n", result.problems())));
        timeline.entries().forEach(e -> outputs.add(e.toString()));
        try (Stream<Path> files = Files.walk(journalDir)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) outputs.add(Files.readString(f));
        }
        assertThat(String.join("\n", outputs)).as("the journal file and reports hold the channels' failures")
            .contains("slack-incidents").contains("HTTP 500").contains("HTTP 400").contains("HTTP 403");
      }
    } finally {
      System.setErr(originalErr);
      smtp.stop();
    }
    String logText = logs.toString(StandardCharsets.UTF_8);
    assertThat(logText).as("the WARN lines of the failed deliveries were captured").contains("WARN").contains("slack-incidents");
    outputs.add(logText);

    for (String out : outputs) {
      assertThat(out).as("an output of the run").doesNotContain(FRAGMENTS);
    }
  }
}
