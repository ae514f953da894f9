package dev.rollback.notify;

import dev.rollback.Gate;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import java.time.Duration;

/** Small plans for the tests. */
final class Plans {
  private Plans() {}

  /** Two stages; the second step waits for approval at gate "dba". */
  static RollbackPlan withApproval(CommunicationPlan communication, Duration gateTimeout) {
    return RollbackPlan.builder("checkout-2.4.0")
        .sequential("stop the bleeding", s -> s.step(Step.builder("kill switch").execute(ctx -> { }).describedAs("turn new-checkout off").build()))
        .sequential("restore", s -> s.step(Step.builder("migrate down").execute(ctx -> { })
            .describedAs("roll the schema back to 2.3.1").build()
            .withApproval(Gate.named("dba").withTimeout(gateTimeout))))
        .withCommunication(communication)
        .build();
  }

  static RollbackPlan simple(CommunicationPlan communication, int steps) {
    RollbackPlan.Builder b = RollbackPlan.builder("checkout-2.4.0");
    b.sequential("restore", s -> {
      for (int i = 0; i < steps; i++) s.step(Step.builder("step-" + i).execute(ctx -> { }).build());
    });
    return b.withCommunication(communication).build();
  }
}
