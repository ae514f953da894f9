package dev.rollback.internal.detect;

import dev.rollback.detect.Alerts;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** ROLL_BACK while a matching alert fires; ASK_HUMAN while the last payload was unreadable. */
public final class ExternalAlertRule extends Rule {
  private final Alerts alerts;
  private final Map<String, String> labels;

  public ExternalAlertRule(Alerts alerts, Map<String, String> labels) {
    super("external alert from '" + alerts.name() + "'" + (labels.isEmpty() ? "" : " matching " + labels));
    this.alerts = alerts;
    this.labels = labels;
  }

  /** Stateless: what is firing lives in {@link Alerts}. */
  @Override
  public BaseEvaluator newEvaluator() {
    return new BaseEvaluator(this) {
      @Override
      protected Evaluation doEvaluate(Instant now, boolean deadline) {
        List<Alerts.Alert> matching = alerts.firing().stream()
            .filter(a -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(a.labels().get(e.getKey()))))
            .toList();
        if (!matching.isEmpty()) {
          return result(Verdict.ROLL_BACK, now, matching.size() + " alert" + (matching.size() == 1 ? "" : "s") + " firing: "
              + String.join("; ", matching.stream().map(Alerts.Alert::describe).toList()),
              "observed", matching.size() + " firing: " + String.join(", ", matching.stream().map(Alerts.Alert::name).toList()),
              "threshold", "any matching alert firing", "alert", matching.get(0).name());
        }
        Optional<String> problem = alerts.problem();
        if (problem.isPresent()) return result(Verdict.ASK_HUMAN, now, problem.get() + "; check Alertmanager yourself");
        return result(Verdict.HOLD, now, "no matching alert firing");
      }
    };
  }

  @Override
  public Duration worstCaseDetection() {
    return Duration.ZERO;
  }

  @Override
  public String detectionFormula() {
    return "0 after the alert arrives (Alertmanager's group_wait and the alert's 'for' come before)";
  }

  @Override
  public List<Signal> signals() {
    return List.of(alerts);
  }
}
