package dev.rollback.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a plan file says about one step or change, for runbooks and outlines: its path in the plan
 * ({@code stage/step}, or {@code change} in a release), its type, the sentence it is described by,
 * its parameters as written (secrets as their references), how it is verified, and its approval.
 */
public record StepInfo(String path, String type, String typeSummary, String description, Map<String, String> params,
    Optional<Duration> timeout, int retries, List<String> verifiedBy, Optional<Approval> approval) {

  /** A gate before the step: who answers it, how long it waits, and what happens then. */
  public record Approval(String gate, Duration timeout, String onTimeout, String answeredBy) {}

  public StepInfo {
    params = Map.copyOf(params);
    verifiedBy = List.copyOf(verifiedBy);
  }
}
