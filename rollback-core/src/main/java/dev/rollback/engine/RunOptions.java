package dev.rollback.engine;

import dev.rollback.KnownGood;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Options for starting a run. Immutable; {@code with*} returns a copy. */
public final class RunOptions {
  private static final RunOptions DEFAULTS = new RunOptions(null, "", null, 0);

  private final @Nullable String runId;
  private final String reason;
  private final @Nullable KnownGood knownGood;
  private final long fencingToken;

  private RunOptions(@Nullable String runId, String reason, @Nullable KnownGood knownGood, long fencingToken) {
    this.runId = runId;
    this.reason = reason;
    this.knownGood = knownGood;
    this.fencingToken = fencingToken;
  }

  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** Use this run id instead of a generated one (letters, digits, '-', '_', '.'). */
  public RunOptions withRunId(String runId) {
    Objects.requireNonNull(runId, "runId");
    if (!runId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
      throw new IllegalArgumentException("run id must be 1-128 letters, digits, '-', '_' or '.', starting with a letter or digit: '" + runId + "'");
    }
    return new RunOptions(runId, reason, knownGood, fencingToken);
  }

  /** Why the run starts (a trigger's evidence, "manual rollback by alice"); journaled and reported. */
  public RunOptions withReason(String reason) {
    return new RunOptions(runId, Objects.requireNonNull(reason, "reason"), knownGood, fencingToken);
  }

  /** The known-good state captured earlier; the run continues under its run id. */
  public RunOptions withKnownGood(KnownGood knownGood) {
    Objects.requireNonNull(knownGood, "knownGood");
    return new RunOptions(knownGood.runId(), reason, knownGood, fencingToken);
  }

  /** The fencing token of the lease this replica holds; every journal append carries it. */
  public RunOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new RunOptions(runId, reason, knownGood, token);
  }

  public Optional<String> runId() { return Optional.ofNullable(runId); }
  /** Why the run starts; empty when none was given (the engine then journals what it knows). */
  public String reason() { return reason; }
  public Optional<KnownGood> knownGood() { return Optional.ofNullable(knownGood); }
  public long fencingToken() { return fencingToken; }
}
