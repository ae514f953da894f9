package dev.rollback.cli.internal;

import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The step and target types found with {@link ServiceLoader} on the class path, by name. The
 * types are small classes: finding them loads no module's clients (fabric8, JDBC drivers) until a
 * step of theirs is built. With {@code -Drollback.typeIndex=FILE}, a {@link TypeIndex} written for
 * this class path stands in for the search.
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
    Optional<TypeIndex.Listed> index = TypeIndex.current();
    if (index.isPresent()) {
      Registry r = TypeIndex.registry(index.get(), loader);
      if (r != null) return r;
    }
    List<StepType> steps = new ArrayList<>();
    ServiceLoader.load(StepType.class, loader).forEach(steps::add);
    List<TargetType> targets = new ArrayList<>();
    ServiceLoader.load(TargetType.class, loader).forEach(targets::add);
    return of(steps, targets);
  }

  /** The registry of these types; two different types of one name are an error. */
  static Registry of(List<StepType> stepTypes, List<TargetType> targetTypes) {
    Map<String, StepType> steps = new TreeMap<>();
    for (StepType t : stepTypes) {
      StepType old = steps.put(t.name(), t);
      if (old != null && old.getClass() != t.getClass()) {
        throw new IllegalStateException("two step types are named " + t.name() + ": " + old.getClass().getName() + " and "
            + t.getClass().getName());
      }
    }
    Map<String, TargetType> targets = new TreeMap<>();
    for (TargetType t : targetTypes) {
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
