package dev.rollback.flags;

import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.Hook;
import dev.openfeature.sdk.HookContext;
import dev.rollback.detect.RequestRecorder;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * An OpenFeature hook that turns one flag's evaluations into the guard's signals:
 *
 * <ul>
 *   <li>{@link #evaluations()}: every evaluation of the flag, a FAILURE when it ended in an error
 *       (flag not found, provider not ready, type mismatch…), with its latency; a
 *       {@code Trigger.errorRatio} over it catches a broken flag configuration.
 *   <li>{@link #cohort(String)}: the application's request outcomes split by the value the flag
 *       gave the request ({@code "true"} is the canary cohort of a boolean flag, {@code "false"}
 *       the baseline), for a baseline-vs-canary judge. The application calls {@link #record} once
 *       per request on the thread that evaluated the flag.
 * </ul>
 *
 * <pre>{@code
 * FlagSignalHook signals = FlagSignalHook.forFlag("new-checkout");
 * client.addHooks(signals);
 * RequestRecorder canary = signals.cohort("true"), baseline = signals.cohort("false");
 * // in the request handler
 * boolean newPath = client.getBooleanValue("new-checkout", false, ctx);
 * ... handle ...
 * signals.record(failed ? FAILURE : SUCCESS, System.nanoTime() - start);
 * }</pre>
 *
 * <p>The cohort is the evaluated value, not the variant name, because providers differ in what
 * they report as the variant (OpenFeature's InMemoryProvider reports its default variant for
 * context-evaluated flags). A hook never breaks an evaluation: its own failures are swallowed.
 */
public final class FlagSignalHook implements Hook<Object> {
  private static final String START = "rollback.start";

  private final String flag;
  private final RequestRecorder evaluations;
  private final Map<String, RequestRecorder> cohorts = new ConcurrentHashMap<>();
  private final ThreadLocal<@Nullable String> lastValue = new ThreadLocal<>();

  private FlagSignalHook(String flag) {
    this.flag = flag;
    this.evaluations = RequestRecorder.create("flag '" + flag + "' evaluations");
  }

  /** A hook for the evaluations of {@code flag}; other flags pass through untouched. */
  public static FlagSignalHook forFlag(String flag) {
    Objects.requireNonNull(flag, "flag");
    if (flag.isBlank()) throw new IllegalArgumentException("flag key must not be blank");
    return new FlagSignalHook(flag);
  }

  public String flag() {
    return flag;
  }

  /** Every evaluation of the flag: FAILURE when it ended in an error. */
  public RequestRecorder evaluations() {
    return evaluations;
  }

  /** The request outcomes of users who got {@code value} (e.g. {@code "true"}); created on first use. */
  public RequestRecorder cohort(String value) {
    Objects.requireNonNull(value, "value");
    return cohorts.computeIfAbsent(value, v -> RequestRecorder.create("flag '" + flag + "' cohort " + v));
  }

  /** The value this thread's last evaluation of the flag gave, if any. */
  public Optional<String> currentCohort() {
    return Optional.ofNullable(lastValue.get());
  }

  /**
   * Records one request's outcome in the cohort of the value this thread's last evaluation gave.
   * Returns false (and records nothing) when this thread has not evaluated the flag.
   */
  public boolean record(RequestRecorder.Outcome outcome, long latencyNanos) {
    String v = lastValue.get();
    if (v == null) return false;
    cohort(v).record(outcome, latencyNanos);
    return true;
  }

  @Override
  public Optional<EvaluationContext> before(HookContext<Object> ctx, Map<String, Object> hints) {
    try {
      if (flag.equals(ctx.getFlagKey()) && ctx.getHookData() != null) ctx.getHookData().set(START, System.nanoTime());
    } catch (RuntimeException e) {
      // never break an evaluation
    }
    return Optional.empty();
  }

  @Override
  public void finallyAfter(HookContext<Object> ctx, FlagEvaluationDetails<Object> details, Map<String, Object> hints) {
    try {
      if (!flag.equals(ctx.getFlagKey())) return;
      Object start = ctx.getHookData() == null ? null : ctx.getHookData().get(START);
      long latency = start instanceof Long s ? System.nanoTime() - s : 0L;
      boolean failed = details == null || details.getErrorCode() != null;
      evaluations.record(failed ? RequestRecorder.Outcome.FAILURE : RequestRecorder.Outcome.SUCCESS, latency);
      Object value = details == null ? ctx.getDefaultValue() : details.getValue();
      lastValue.set(String.valueOf(value));
    } catch (RuntimeException e) {
      // never break an evaluation
    }
  }

  @Override
  public String toString() {
    return "FlagSignalHook[" + flag + "]";
  }
}
