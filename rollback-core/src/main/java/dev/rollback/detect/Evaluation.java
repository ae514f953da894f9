package dev.rollback.detect;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One evaluation of a {@link Trigger}: its verdict, when, and the evidence a human reads in the
 * journal, the notification and the post-mortem ("error ratio 0.31 over 30 s, 412 samples").
 */
public record Evaluation(String trigger, Verdict verdict, Instant at, String evidence, Map<String, String> facts) {
  public Evaluation {
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(evidence, "evidence");
    facts = Map.copyOf(facts);
  }

  public static Evaluation hold(String trigger, Instant at, String evidence) {
    return new Evaluation(trigger, Verdict.HOLD, at, evidence, Map.of());
  }

  public static Evaluation rollBack(String trigger, Instant at, String evidence) {
    return new Evaluation(trigger, Verdict.ROLL_BACK, at, evidence, Map.of());
  }

  public static Evaluation askHuman(String trigger, Instant at, String evidence) {
    return new Evaluation(trigger, Verdict.ASK_HUMAN, at, evidence, Map.of());
  }
}
