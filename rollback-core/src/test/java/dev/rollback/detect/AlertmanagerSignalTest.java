package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.engine.ManualClock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Alertmanager webhook payloads in the documented format (version 4), good and bad. */
class AlertmanagerSignalTest {
  private final ManualClock clock = ManualClock.create();
  private final Alerts alerts = Alerts.create("alertmanager", clock);
  private final Trigger.Evaluator trigger = Trigger.externalAlert(alerts, Map.of("service", "checkout")).newEvaluator();

  private static String payload(String status, String alertStatus) {
    return """
        {
          "version": "4",
          "groupKey": "{}:{alertname=\\"CheckoutErrors\\"}",
          "truncatedAlerts": 0,
          "status": "%s",
          "receiver": "rollback-guard",
          "groupLabels": {"alertname": "CheckoutErrors"},
          "commonLabels": {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
          "commonAnnotations": {"summary": "checkout 5xx above 5%%"},
          "externalURL": "http://alertmanager.local:9093",
          "alerts": [
            {
              "status": "%s",
              "labels": {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
              "annotations": {"summary": "checkout 5xx above 5%%"},
              "startsAt": "2026-01-01T00:00:00.000Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prometheus.local:9090/graph?g0.expr=...",
              "fingerprint": "c4e1b2f9a0d3e7f1"
            }
          ]
        }
        """.formatted(status, alertStatus);
  }

  @Test
  void aFiringAlertRollsBackAndItsResolutionHolds() {
    Alerts.Receipt r = alerts.acceptAlertmanager(payload("firing", "firing"));
    assertThat(r.accepted()).isTrue();
    assertThat(r.firing()).isEqualTo(1);
    Evaluation e = trigger.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("CheckoutErrors").contains("checkout 5xx above 5%").contains("2026-01-01T00:00:00Z")
        .contains("receiver rollback-guard");

    assertThat(alerts.acceptAlertmanager(payload("resolved", "resolved")).firing()).isZero();
    assertThat(trigger.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void anAlertForAnotherServiceDoesNotFire() {
    alerts.acceptAlertmanager(payload("firing", "firing").replace("\"service\": \"checkout\"", "\"service\": \"search\""));
    assertThat(trigger.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void aMalformedPayloadIsRejectedAndAsksAHumanWithoutRollingBack() {
    Alerts.Receipt r = alerts.acceptAlertmanager("{\"version\": \"4\", \"alerts\": [ {\"status\": \"firing\", ");
    assertThat(r.accepted()).isFalse();
    assertThat(r.problem()).contains("not JSON").contains("line 1");
    Evaluation e = trigger.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("could not be read");

    alerts.acceptAlertmanager(payload("resolved", "resolved"));
    assertThat(trigger.evaluate(clock.instant()).verdict()).as("a readable payload clears the problem").isEqualTo(Verdict.HOLD);
  }

  @Test
  void payloadsOfTheWrongShapeSayWhatIsWrong() {
    assertThat(alerts.acceptAlertmanager("").problem()).isEqualTo("the body is empty");
    assertThat(alerts.acceptAlertmanager("[1, 2]").problem()).contains("expected a JSON object");
    assertThat(alerts.acceptAlertmanager("{\"alerts\": {}}").problem()).contains("\"alerts\" must be an array");
    assertThat(alerts.acceptAlertmanager("{\"version\": \"3\", \"alerts\": []}").problem()).contains("unsupported webhook payload version");
    assertThat(alerts.acceptAlertmanager(payload("firing", "burning")).problem())
        .contains("alerts[0].status must be \"firing\" or \"resolved\"");
    assertThat(alerts.acceptAlertmanager(payload("firing", "firing").replace("2026-01-01T00:00:00.000Z", "yesterday")).problem())
        .contains("alerts[0].startsAt is not an RFC 3339 time");
    assertThat(alerts.firing()).isEmpty();
  }
}
