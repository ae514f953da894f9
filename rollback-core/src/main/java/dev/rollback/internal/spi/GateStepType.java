package dev.rollback.internal.spi;

import dev.rollback.Decision;
import dev.rollback.Gate;
import dev.rollback.Step;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** {@code gate}: the run waits here until a human answers PROCEED (or HALT), or the gate times out. */
public final class GateStepType implements StepType {
  @Override public String name() { return "gate"; }

  @Override public String summary() {
    return "wait for a human to approve going on; on timeout, the gate's timeout decision (HALT unless chosen otherwise)";
  }

  @Override public List<Parameter> parameters() {
    return List.of(
        Parameter.required("gate", Parameter.Type.STRING, "the gate's name, as the question shows it"),
        Parameter.optional("question", Parameter.Type.STRING, "what the human decides"),
        Parameter.optional("timeout", Parameter.Type.DURATION, "how long to wait for an answer").withDefault("15m"),
        Parameter.optional("onTimeout", Parameter.Type.ENUM, "what happens when nobody answers in time")
            .withChoices("HALT", "PROCEED").withDefault("HALT"),
        Parameter.optional("answeredBy", Parameter.Type.STRING, "who answers it, for the runbook"));
  }

  @Override public Step step(Arguments args) {
    String name = args.string("gate");
    Duration timeout = args.duration("timeout");
    Decision onTimeout = Decision.valueOf(args.string("onTimeout").toUpperCase(Locale.ROOT));
    String question = args.has("question") ? args.string("question").replaceAll("\\?+$", "") : "go on with the rollback";
    return Step.builder("gate " + name)
        .execute(ctx -> ctx.note("approved at gate '" + name + "'"))
        .idempotent()
        .withTimeout(Duration.ofSeconds(5))
        .withApproval(Gate.named(name).withTimeout(timeout).withTimeoutDecision(onTimeout))
        .describedAs("ask at gate '" + name + "': " + question)
        .build();
  }
}
