package dev.rollback.internal;

import dev.rollback.Evaluation;
import dev.rollback.Trigger;
import java.time.Instant;
import java.util.function.Function;

/** Evaluates triggers for a run: one evaluator per trigger and run. */
final class Triggers {
  private Triggers() {}

  static Function<Instant, Evaluation> evaluator(Trigger t) {
    return t::evaluate;
  }
}
