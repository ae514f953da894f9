package dev.rollback.spi;

import dev.rollback.RollbackException;

/**
 * A step derived by {@link StateSteps} could not read, set or settle its system. The message names
 * the step path, the adapter ({@link StateAdapter#describe()}) and what was tried; the cause is
 * what the adapter threw.
 */
public final class StateStepException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final String stepPath;
  private final String adapter;

  public StateStepException(String stepPath, String adapter, String problem, Throwable cause) {
    super("step '" + stepPath + "': " + adapter + ": " + problem, cause);
    this.stepPath = stepPath;
    this.adapter = adapter;
  }

  public StateStepException(String stepPath, String adapter, String problem) {
    super("step '" + stepPath + "': " + adapter + ": " + problem);
    this.stepPath = stepPath;
    this.adapter = adapter;
  }

  /** The step's path in its plan or release, e.g. {@code traffic/restore traffic checkout}. */
  public String stepPath() { return stepPath; }

  /** The adapter's description, e.g. {@code backend checkout on haproxy unix:/run/lb/admin.sock}. */
  public String adapter() { return adapter; }
}
