package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.journal.InMemoryJournal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Freeze instead of revert: a release that applied a change declared not safely revertible holds where it is and asks. */
@org.junit.jupiter.api.Timeout(60)
class FreezeTest {
  private final World world = new World();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build();
  private final List<Notification> paged = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    engine.close();
  }

  /** Flags on, then a migration that drops data (not safely revertible), then an image that fails. */
  private Release release() {
    world.failing.add("image");
    return Release.builder("checkout-2.4.0")
        .change(world.change("flags", true, true))
        .change(world.change("schema", true, true).notSafelyRevertible("V7 drops orders.discount; its undo cannot bring the data back"))
        .change(world.change("image", true, true))
        .withCommunication(CommunicationPlan.builder().audience("on-call", new Notifier() {
          @Override public String name() { return "pager"; }
          @Override public void send(Notification n) { paged.add(n); }
        }).route(NotificationKind.HUMAN_NEEDED, "on-call").build())
        .build();
  }

  @Test
  void aFailureAfterAChangeThatIsNotSafelyRevertibleFreezesTheReleaseAndWaitsAtAGate() {
    RollbackRun run = engine.start(release());

    GateRequest gate = run.awaitGate(Duration.ofSeconds(10));

    assertThat(gate.kind()).isEqualTo(GateKind.FREEZE);
    assertThat(gate.options()).containsExactly(Decision.PROCEED, Decision.HALT);
    assertThat(gate.question()).contains("change 'image' failed", "change 'schema' (V7 drops orders.discount",
        "Nothing was reverted; flags, traffic and workloads stay where they are");
    assertThat(world.log).containsExactly("apply flags", "apply schema", "apply image");
    assertThat(world.values).containsEntry("flags", "new").containsEntry("schema", "new");
    org.awaitility.Awaitility.await("the on-call is paged").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(paged).anySatisfy(n -> assertThat(n.text()).contains("not safely revertible")));

    run.answer(gate.id(), Decision.HALT, "dba");
    RollbackResult r = run.await(Duration.ofSeconds(10));

    assertThat(r.outcome()).isEqualTo(RunOutcome.HALTED);
    assertThat(r.summary()).contains("frozen instead of reverted", "kept frozen by dba");
    assertThat(world.log).as("nothing was reverted").containsExactly("apply flags", "apply schema", "apply image");
  }

  @Test
  void aHumanCanRevertAFrozenReleaseAnyway() {
    RollbackRun run = engine.start(release());
    GateRequest gate = run.awaitGate(Duration.ofSeconds(10));

    run.answer(gate.id(), Decision.PROCEED, "dba");
    RollbackResult r = run.await(Duration.ofSeconds(10));

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).endsWith("revert image", "revert schema", "revert flags");
  }

  @Test
  void aReleaseThatFailsBeforeTheIrreversibleChangeRevertsAsUsual() {
    world.failing.add("flags");
    RollbackResult r = engine.run(release());

    assertThat(r.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(world.log).containsExactly("apply flags", "revert flags");
  }

  @Test
  void theDeclarationIsPartOfTheReleaseFingerprintAndNeedsAReason() {
    Change plain = world.change("schema", true, true);
    assertThat(Release.builder("r").change(plain).build().fingerprint())
        .isNotEqualTo(Release.builder("r").change(plain.notSafelyRevertible("drops data")).build().fingerprint());
    assertThatThrownBy(() -> plain.notSafelyRevertible(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("say why change 'schema' is not safely revertible");
  }
}
