package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.journal.InMemoryJournal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

class ReleaseRevertProperties {
  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool();
  private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor();

  @AfterContainer
  static void shutdown() {
    EXECUTOR.shutdownNow();
    SCHEDULER.shutdownNow();
  }

  /**
   * For any release of 1–50 changes and any failure point (or none), every applied change — the
   * failing one included — is reverted exactly once, in reverse order; nothing else is touched.
   */
  @Property(tries = 1000)
  void everyAppliedChangeIsRevertedOnceInReverseOrder(
      @ForAll @IntRange(min = 1, max = 50) int changes,
      @ForAll @IntRange(min = 0, max = 60) int failAt,
      @ForAll boolean idempotent) {
    World world = new World();
    Release.Builder b = Release.builder("r");
    for (int i = 0; i < changes; i++) b.change(world.change("c" + i, idempotent, false));
    if (failAt < changes) world.failing.add("c" + failAt);

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create())
        .withExecutor(EXECUTOR).withScheduler(SCHEDULER).build()) {
      result = engine.run(b.build());
    }

    List<String> expected = new ArrayList<>();
    int applied = Math.min(failAt + 1, changes);
    for (int i = 0; i < applied; i++) expected.add("apply c" + i);
    if (failAt < changes) {
      for (int i = failAt; i >= 0; i--) expected.add("revert c" + i);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    } else {
      assertThat(result.outcome()).isEqualTo(RunOutcome.RELEASED);
    }
    assertThat(world.log).containsExactlyElementsOf(expected);
    world.executions.forEach((step, count) -> assertThat(count).as(step).isEqualTo(1));
  }
}
