package dev.rollback.engine;

import dev.rollback.Change;
import dev.rollback.Reconciliation;
import dev.rollback.Step;
import dev.rollback.StepContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiny simulated system for engine tests: named values that changes set and revert, a log of
 * every action in order, and scripted failures.
 */
final class World {
  final Map<String, String> values = new ConcurrentHashMap<>();
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  final Set<String> failing = ConcurrentHashMap.newKeySet();
  final Map<String, Integer> executions = new ConcurrentHashMap<>();

  World copy() {
    World w = new World();
    w.values.putAll(values);
    w.log.addAll(log);
    w.failing.addAll(failing);
    w.executions.putAll(executions);
    return w;
  }

  Map<String, String> snapshot() {
    return new LinkedHashMap<>(new java.util.TreeMap<>(values));
  }

  void count(String what) {
    executions.merge(what, 1, Integer::sum);
  }

  /** Sets key to "new" on apply (and fails afterwards if scripted: a partial apply); restores "old" on revert. */
  Change change(String key, boolean idempotent, boolean reconcilable) {
    Step.Builder apply = Step.builder("apply").execute(ctx -> {
      count(key + "/apply");
      log.add("apply " + key);
      values.put(key, "new");
      if (failing.contains(key)) throw new IllegalStateException("change " + key + " broke");
    }).describedAs("set " + key + " to new");
    Step.Builder revert = Step.builder("revert").execute(ctx -> {
      count(key + "/revert");
      log.add("revert " + key);
      values.put(key, "old");
    }).describedAs("set " + key + " back to old");
    if (idempotent) {
      apply.idempotent();
      revert.idempotent();
    }
    if (reconcilable) {
      apply.reconcile(ctx -> "new".equals(values.get(key)) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED);
      revert.reconcile(ctx -> "old".equals(values.get(key)) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED);
    }
    return Change.of(key, apply.build(), revert.build());
  }

  Step step(String name) {
    return Step.builder(name).execute(ctx -> act(name, ctx)).undo(ctx -> {
      count(name + "/undo");
      log.add("undo " + name);
      values.remove(name);
    }).build();
  }

  void act(String name, StepContext ctx) {
    count(name);
    log.add(name);
    if (failing.contains(name)) throw new IllegalStateException(name + " failed");
    values.put(name, "done");
  }
}
