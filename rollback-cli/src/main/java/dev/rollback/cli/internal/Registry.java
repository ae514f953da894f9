package dev.rollback.cli.internal;

import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The step and target types found with {@link ServiceLoader} on the class path, by name. The
 * types are small classes: finding them loads no module's clients (fabric8, JDBC drivers) until a
 * step of theirs is built.
 */
public final class Registry {
  private static volatile Registry instance;

  private final Map<String, StepType> steps;
  private final Map<String, TargetType> targets;

  private Registry(Map<String, StepType> steps, Map<String, TargetType> targets) {
    this.steps = Collections.unmodifiableMap(steps);
    this.targets = Collections.unmodifiableMap(targets);
  }

  /** The types on the class path of this class's loader, found once. */
  public static Registry get() {
    Registry r = instance;
    if (r == null) {
      synchronized (Registry.class) {
        if (instance == null) instance = load(Registry.class.getClassLoader());
        r = instance;
      }
    }
    return r;
  }

  static Registry load(ClassLoader loader) {
    Map<String, StepType> steps = new TreeMap<>();
    for (StepType t : ServiceLoader.load(StepType.class, loader)) {
      StepType old = steps.put(t.name(), t);
      if (old != null && old.getClass() != t.getClass()) {
        throw new IllegalStateException("two step types are named " + t.name() + ": " + old.getClass().getName() + " and "
            + t.getClass().getName());
      }
    }
    Map<String, TargetType> targets = new TreeMap<>();
    for (TargetType t : ServiceLoader.load(TargetType.class, loader)) {
      TargetType old = targets.put(t.name(), t);
      if (old != null && old.getClass() != t.getClass()) {
        throw new IllegalStateException("two target types are named " + t.name() + ": " + old.getClass().getName() + " and "
            + t.getClass().getName());
      }
    }
    return new Registry(steps, targets);
  }

  public Map<String, StepType> steps() { return steps; }
  public Map<String, TargetType> targets() { return targets; }

  public List<String> stepNames() { return List.copyOf(steps.keySet()); }
  public List<String> targetNames() { return List.copyOf(targets.keySet()); }
}
