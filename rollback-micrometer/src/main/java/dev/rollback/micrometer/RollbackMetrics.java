package dev.rollback.micrometer;

import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackListener;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Objects;

/**
 * The engine's and the guard's own metrics.
 *
 * <ul>
 *   <li>{@code rollback.runs.started} (counter, tags {@code plan}, {@code mode}, {@code resumed})</li>
 *   <li>{@code rollback.runs.finished} (timer of the run's duration, tag {@code outcome})</li>
 *   <li>{@code rollback.steps} (counter, tag {@code outcome}: the step outcome's kind)</li>
 *   <li>{@code rollback.gates.opened} (counter), {@code rollback.budget.exceeded} (counter)</li>
 *   <li>{@code rollback.guard.state} (gauge, tag {@code deployment}: the {@link GuardState} ordinal)</li>
 * </ul>
 */
public final class RollbackMetrics {
  private RollbackMetrics() {}

  /** A listener for {@code RollbackEngine.builder().withListener(...)} that records into {@code registry}. */
  public static RollbackListener listener(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    return event -> {
      if (event instanceof RollbackEvent.RunStarted s) {
        Counter.builder("rollback.runs.started").tag("plan", s.plan()).tag("mode", s.mode().name())
            .tag("resumed", String.valueOf(s.resumed())).register(registry).increment();
      } else if (event instanceof RollbackEvent.RunFinished f) {
        Timer.builder("rollback.runs.finished").tag("outcome", f.outcome().name()).register(registry).record(f.elapsed());
      } else if (event instanceof RollbackEvent.StepFinished f) {
        Counter.builder("rollback.steps").tag("outcome", kind(f.outcome())).register(registry).increment();
      } else if (event instanceof RollbackEvent.GateOpened) {
        Counter.builder("rollback.gates.opened").register(registry).increment();
      } else if (event instanceof RollbackEvent.BudgetExceeded) {
        Counter.builder("rollback.budget.exceeded").register(registry).increment();
      }
    };
  }

  private static String kind(StepOutcome o) {
    return o.getClass().getSimpleName();
  }

  /** Publishes the guard's state as a gauge (the {@link GuardState} ordinal) tagged with its deployment. */
  public static void bind(Guard guard, MeterRegistry registry) {
    Objects.requireNonNull(guard, "guard");
    Gauge.builder("rollback.guard.state", guard, g -> g.state().ordinal())
        .tag("deployment", guard.status().deployment().id())
        .description("0 CREATED, 1 ARMED, 2 NEEDS_HUMAN, 3 FIRED, 4 STOOD_DOWN, 5 BAKED, 6 CLOSED, 7 DEFERRED, 8 ROLLED_BACK, 9 ROLLBACK_FAILED")
        .register(registry);
  }
}
