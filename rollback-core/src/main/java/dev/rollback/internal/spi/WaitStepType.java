package dev.rollback.internal.spi;

import dev.rollback.Step;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import java.time.Duration;
import java.util.List;

/** {@code wait}: waits a fixed time on the engine's clock (caches to expire, connections to drain). */
public final class WaitStepType implements StepType {
  @Override public String name() { return "wait"; }

  @Override public String summary() {
    return "wait a fixed time, e.g. for caches to expire or connections to drain";
  }

  @Override public List<Parameter> parameters() {
    return List.of(
        Parameter.required("duration", Parameter.Type.DURATION, "how long to wait"),
        Parameter.optional("why", Parameter.Type.STRING, "what the wait is for, in the step's sentence"));
  }

  @Override public Step step(Arguments args) {
    Duration d = args.duration("duration");
    String why = args.has("why") ? " for " + args.string("why") : "";
    return Step.builder("wait " + d.toString().substring(2).toLowerCase(java.util.Locale.ROOT))
        .execute(ctx -> ctx.sleep(d))
        .idempotent()
        .withTimeout(d.plus(Duration.ofSeconds(5)))
        .describedAs("wait " + d.toString().substring(2).toLowerCase(java.util.Locale.ROOT) + why)
        .build();
  }
}
