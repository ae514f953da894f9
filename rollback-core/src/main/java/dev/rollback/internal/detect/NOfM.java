package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * ROLL_BACK when {@code n} of the last {@code m} decided observations failed. Worst case:
 * {@code n × sample interval}. Within a batch of aggregated counts, failures are taken to come
 * before successes (the reading that fires later).
 */
public final class NOfM extends Rule {
  private final Signal signal;
  private final int n;
  private final int m;

  public NOfM(Signal signal, int n, int m) {
    super(n + " of " + m + " failures of '" + signal.name() + "'");
    if (n < 1 || m < n) throw new IllegalArgumentException("need 1 ≤ n ≤ m, got n=" + n + ", m=" + m);
    if (m > 1_000_000) throw new IllegalArgumentException("m must be at most 1000000: " + m);
    this.signal = signal;
    this.n = n;
    this.m = m;
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The last m decided observations this evaluator has seen. */
  private final class State extends BaseEvaluator {
    private final boolean[] ring = new boolean[m];
    private int pos;
    private int filled;
    private int failing;
    private @Nullable Observations last;

    State() {
      super(NOfM.this);
    }

    private void push(boolean failed) {
      if (filled == m && ring[pos]) failing--;
      ring[pos] = failed;
      if (failed) failing++;
      pos = (pos + 1) % m;
      if (filled < m) filled++;
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Observations o = signal.observe(now);
      long f = o.failures() - (last == null ? 0 : last.failures());
      long g = o.good() - (last == null ? 0 : last.good());
      last = o;
      for (long i = 0; i < Math.min(f, m); i++) push(true);
      for (long i = 0; i < Math.min(g, m); i++) push(false);
      if (failing >= n) {
        return result(Verdict.ROLL_BACK, now, failing + " of the last " + filled + " observations of '" + signal.name()
            + "' failed (limit " + n + " of " + m + "); last: " + o.detail(), "observed", failing + " of " + filled + " failed",
            "threshold", n + " of " + m, "window", "last " + m + " observations", "failing", failing, "of", filled);
      }
      if (f + g == 0) {
        return starved(now, deadline, "'" + signal.name() + "' gave no decided observation since the last evaluation"
            + (o.unknown() > 0 ? " (" + o.unknown() + " so far could not tell)" : ""), "failing", failing, "of", filled);
      }
      fed();
      return result(Verdict.HOLD, now, failing + " of the last " + filled + " observations of '" + signal.name() + "' failed");
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return signal.sampleInterval().multipliedBy(n);
  }

  @Override
  public String detectionFormula() {
    return n + " × sample interval " + human(signal.sampleInterval());
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
