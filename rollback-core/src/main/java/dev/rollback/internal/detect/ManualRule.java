package dev.rollback.internal.detect;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Fired by a call; wakes the guards watching it at once. The fire is an input latched on the
 * description (like a signal's counts, it is not evaluation state): every evaluator, created
 * before or after the fire, sees it, and evaluating never clears it. The first fire's words are
 * kept, so every evaluator tells the same story.
 */
public final class ManualRule extends Rule implements Trigger.Manual {
  private final AtomicReference<@Nullable String> firedBy = new AtomicReference<>();
  private final List<Runnable> wakeUps = new CopyOnWriteArrayList<>();
  private final Signal signal = new Signal() {
    @Override public String name() { return ManualRule.this.name; }
    @Override public Observations observe(Instant now) { return Observations.none(name(), now); }
    @Override public Duration sampleInterval() { return Duration.ZERO; }
    @Override public void addWakeUp(Runnable w) { wakeUps.add(w); }
    @Override public void removeWakeUp(Runnable w) { wakeUps.remove(w); }
  };

  public ManualRule(String name) {
    super(name);
    if (name.isBlank()) throw new IllegalArgumentException("trigger name must not be blank");
  }

  @Override
  public void fire(String actor, String reason) {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(reason, "reason");
    firedBy.compareAndSet(null, "rollback requested by " + actor + ": " + reason);
    for (Runnable w : wakeUps) {
      try {
        w.run();
      } catch (RuntimeException e) {
        // waking is best-effort; the next tick evaluates anyway
      }
    }
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new BaseEvaluator(this) {
      @Override
      protected Evaluation doEvaluate(Instant now, boolean deadline) {
        String f = firedBy.get();
        return f != null ? result(Verdict.ROLL_BACK, now, f) : result(Verdict.HOLD, now, "not fired");
      }
    };
  }

  @Override
  public Duration worstCaseDetection() {
    return Duration.ZERO;
  }

  @Override
  public String detectionFormula() {
    return "0 (fired by a call)";
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
