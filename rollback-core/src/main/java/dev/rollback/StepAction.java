package dev.rollback;

/** The body of a step: does one thing to one system. May throw; the engine records why it failed. */
@FunctionalInterface
public interface StepAction {
  void run(StepContext ctx) throws Exception;
}
