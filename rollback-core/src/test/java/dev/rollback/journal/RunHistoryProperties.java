package dev.rollback.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

class RunHistoryProperties {

  /** A step's duration is what {@link Duration#between} gives for its first start and its outcome. */
  @Property(tries = 1_000)
  void aStepsDurationIsTheTimeBetweenItsFirstStartAndItsOutcome(
      @ForAll @LongRange(min = -62_135_596_800L, max = 253_402_300_799L) long startSecond,
      @ForAll @LongRange(min = 0, max = 999_999_999) long startNano,
      @ForAll @LongRange(min = 0, max = 400_000_000_000_000L) long nanosLater) {
    Instant start = Instant.ofEpochSecond(startSecond, startNano);
    Instant end = start.plusNanos(nanosLater);
    RunHistory.StepHistory h = new RunHistory.StepHistory("s", RunHistory.StepStatus.SUCCEEDED, 1, 0, false, false, false,
        "", "", "", start, start, end, List.of());

    assertThat(h.duration()).contains(Duration.between(start, end));
  }
}
