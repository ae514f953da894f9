package dev.rollback.spi;

import dev.rollback.Change;
import dev.rollback.Step;
import java.util.List;

/**
 * A kind of step that plan files can name ({@code type: lb.weights}), with typed parameters.
 * Modules register theirs with {@link java.util.ServiceLoader} in
 * {@code META-INF/services/dev.rollback.spi.StepType}; the plan-file loader of
 * {@code rollback-cli} finds them there, checks each use against {@link #parameters()} and calls
 * {@link #step} (in a {@code RollbackPlan}) or {@link #change} (in a {@code Release}).
 *
 * <pre>{@code
 * public final class KillSwitchType implements StepType {
 *   public String name() { return "flag.killSwitch"; }
 *   public String summary() { return "turn a flag off for everyone in one write"; }
 *   public List<Parameter> parameters() {
 *     return List.of(Parameter.required("target", Parameter.Type.TARGET, "the flag store").withChoices("flagd", "unleash"),
 *         Parameter.required("flag", Parameter.Type.STRING, "the flag's key"));
 *   }
 *   public Step step(Arguments args) {
 *     return FeatureFlags.using(args.target("target", FlagStore.class)).killSwitch(args.string("flag"));
 *   }
 * }
 * }</pre>
 *
 * <p>Implementations are stateless, have a public no-argument constructor, and load nothing heavy
 * until {@link #step} or {@link #change} is called, so that listing the types stays cheap. A value
 * that the parameter types cannot rule out but the step refuses is an {@link IllegalArgumentException}
 * whose message names the parameter; the loader reports it at the step's place in the file.
 */
public interface StepType {

  /** The name plan files use: a module prefix and a verb or noun, {@code lb.weights}, {@code k8s.undo}. */
  String name();

  /** One sentence saying what the step does, for generated docs, schemas and runbooks. */
  String summary();

  /** The parameters a use of this type gives under {@code params}. */
  List<Parameter> parameters();

  /** The step, from checked arguments. */
  Step step(Arguments args);

  /** Whether {@link #change} builds a release change (a forward step with its revert). */
  default boolean hasChange() {
    return false;
  }

  /** The release change, from checked arguments; only when {@link #hasChange()}. */
  default Change change(Arguments args) {
    throw new UnsupportedOperationException("step type " + name() + " has no release change; use it in a RollbackPlan");
  }
}
