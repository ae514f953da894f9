package dev.rollback.swarm;

/**
 * One Swarm task as a rollback saw it.
 *
 * @param id the task id
 * @param slot the replica slot (0 for a global service's tasks)
 * @param node the node id, empty while unassigned
 * @param state the observed state: {@code running}, {@code failed}, {@code rejected}, …
 * @param desiredState what the orchestrator wants it to be
 * @param image the image of the spec the task runs
 * @param error the task's error ({@code Status.Err}), empty when it has none
 * @param onTarget whether the task runs the spec the rollback aims at
 */
public record TaskReport(String id, long slot, String node, String state, String desiredState, String image,
    String error, boolean onTarget) {

  @Override
  public String toString() {
    String shortId = id.length() > 12 ? id.substring(0, 12) : id;
    return "task " + shortId + (slot > 0 ? " (slot " + slot + ")" : "") + " " + state
        + (desiredState.equals(state) ? "" : " (desired " + desiredState + ")") + " on image " + image
        + (error.isEmpty() ? "" : ": " + error);
  }
}
