package dev.rollback.cli;

/**
 * One thing wrong with a plan file: where (file, 1-based line and column, the path inside the
 * document such as {@code spec.stages[1].steps[0].params.weight}) and what, with the fix when
 * there is an obvious one ("did you mean 'weights'?").
 */
public record Problem(String file, int line, int column, String path, String message) {

  /** {@code plan.yaml:14:9: spec.stages[1].steps[0].params.weight: unknown parameter ...}. */
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line + ":" + column : "") + ": " + (path.isEmpty() ? "" : path + ": ") + message;
  }
}
