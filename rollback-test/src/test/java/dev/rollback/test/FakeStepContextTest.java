package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Snapshot;
import dev.rollback.engine.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FakeStepContextTest {

  @Test
  void aSleepMovesItsClockAtOnceAndRunsTheTimersOnTheWay() {
    ManualClock clock = ManualClock.create();
    Instant start = clock.instant();
    AtomicBoolean fired = new AtomicBoolean();
    clock.schedule(() -> fired.set(true), Duration.ofMinutes(30));
    FakeStepContext ctx = FakeStepContext.builder().withClock(clock).build();

    ctx.sleep(Duration.ofHours(1));

    assertThat(ctx.clock().instant()).isEqualTo(start.plus(Duration.ofHours(1)));
    assertThat(fired).isTrue();
    assertThat(ctx.sleeps()).containsExactly(Duration.ofHours(1));
  }

  @Test
  void aScheduledCancellationStopsTheSleepThatCrossesIt() {
    FakeStepContext ctx = FakeStepContext.builder().cancelledAfter(Duration.ofSeconds(90)).build();
    Instant start = ctx.clock().instant();

    ctx.sleep(Duration.ofMinutes(1));
    assertThat(ctx.isCancelled()).isFalse();
    assertThatThrownBy(() -> ctx.sleep(Duration.ofMinutes(1)))
        .isInstanceOf(CancellationException.class).hasMessageContaining("step 'stage/step' cancelled");
    assertThat(ctx.clock().instant()).isEqualTo(start.plusSeconds(90));
    assertThat(ctx.isCancelled()).isTrue();
  }

  @Test
  void aSleepAcrossTheDeadlineEndsThereAsATimeout() {
    FakeStepContext ctx = FakeStepContext.builder().withTimeout(Duration.ofSeconds(10)).build();
    Instant start = ctx.clock().instant();

    assertThatThrownBy(() -> ctx.sleep(Duration.ofMinutes(1))).isInstanceOf(CancellationException.class)
        .hasMessageContaining("timed out at the deadline");
    assertThat(ctx.deadline()).isEqualTo(start.plusSeconds(10));
    assertThat(ctx.clock().instant()).isEqualTo(start.plusSeconds(10));
  }

  @Test
  void aCancelledContextRefusesToGoOn() {
    FakeStepContext ctx = FakeStepContext.create();
    ctx.cancel("a sibling failed");

    assertThatThrownBy(ctx::checkCancelled).isInstanceOf(CancellationException.class).hasMessageContaining("a sibling failed");
    assertThatThrownBy(() -> ctx.sleep(Duration.ofSeconds(1))).isInstanceOf(CancellationException.class);
  }

  @Test
  void recordsNotesAndCheckpointsAndCarriesCheckpointsToTheNextAttempt() {
    FakeStepContext first = FakeStepContext.builder().withRunId("run-7").withStepPath("db/migrate")
        .withKnownGood(Snapshot.of("revision", "3")).withCheckpoint("statement", "1").build();

    first.checkpoint("statement", "2");
    first.note("ran statement 2");
    FakeStepContext second = first.toBuilder().withAttempt(2).build();

    assertThat(first.notes()).containsExactly("ran statement 2");
    assertThat(first.idempotencyKey()).isEqualTo("run-7:db/migrate");
    assertThat(second.checkpoints()).containsExactly(java.util.Map.entry("statement", "2"));
    assertThat(second.knownGood()).contains(Snapshot.of("revision", "3"));
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.notes()).isEmpty();
    assertThat(second.clock()).isSameAs(first.clock());
  }

  @Test
  void refusesBadSettingsAtTheCall() {
    assertThatThrownBy(() -> FakeStepContext.builder().withAttempt(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("attempt must be at least 1: 0");
    assertThatThrownBy(() -> FakeStepContext.builder().withStepPath(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("step path must not be blank");
  }
}
