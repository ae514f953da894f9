package dev.rollback.engine;

import dev.rollback.Deployment;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.journal.FencedOffException;
import dev.rollback.journal.JournalEvent;
import java.util.Map;

/**
 * A run whose known-good state is captured and journaled, and which has not started yet: what a
 * guard holds between {@code arm()} and the moment a trigger fires, or what a platform tool holds
 * between "deployed" and "rolled back". Obtained from {@link RollbackEngine#prepare}.
 *
 * <p>Before it starts, the run can journal what led to it (a trigger's evidence) and ask humans
 * about it (HUMAN_NEEDED to the plan's audiences, escalated until someone acknowledges with
 * {@link RollbackEngine#acknowledge}); everything lands in the run's own journal, so its reports
 * tell the whole story.
 */
public interface PreparedRun {

  String runId();

  RollbackPlan plan();

  Deployment deployment();

  /** The known-good state captured when the run was prepared. */
  KnownGood knownGood();

  /**
   * Journals {@code event} in this run with {@code fencingToken} (the token of the lease the caller
   * holds; 0 without one).
   *
   * @throws FencedOffException if a higher token was already used for this run: another replica took over
   */
  void record(JournalEvent.Known event, long fencingToken);

  /**
   * Journals an informational {@code event} in this run (a question asked, a notification's
   * outcome), with the highest fencing token the run has seen.
   */
  void record(JournalEvent.Known event);

  /**
   * Asks the plan's HUMAN_NEEDED audiences ({@code title}, {@code text}, {@code facts}); each
   * delivery is journaled here, and the page escalates along the plan's rules until someone
   * acknowledges the run ({@link RollbackEngine#acknowledge} with {@link #runId()}) or
   * {@link #stopAsking()} is called. Asking again while a question is open sends the new question.
   */
  void askHumans(String title, String text, Map<String, String> facts);

  /** The question is settled (the run starts, or the answer is no longer needed): escalation stops. */
  void stopAsking();

  /** Starts the run with its known-good state, the reason it starts and the lease's fencing token. */
  RollbackRun start(String reason, long fencingToken);

  /**
   * Starts the run with its known-good state, the reason it starts, acting under {@code lease}
   * (renewed while it runs, released when it ends: see {@link HeldLease}), and the further
   * {@code options} (a soak, for instance) applied to its run options.
   */
  RollbackRun start(String reason, HeldLease lease, java.util.function.UnaryOperator<RunOptions> options);
}
