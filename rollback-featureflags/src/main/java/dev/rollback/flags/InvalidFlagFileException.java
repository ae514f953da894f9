package dev.rollback.flags;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A flag file is not valid JSON or not a flagd flag definition. The store refuses to write over
 * it: the file is left exactly as it was, so nothing in it is lost.
 */
public final class InvalidFlagFileException extends FlagException {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final int line;
  private final int column;

  public InvalidFlagFileException(Path file, int line, int column, String problem, @Nullable Throwable cause) {
    super("flag file " + file + " is not valid at line " + line + ", column " + column + ": " + problem
        + "; it was left unchanged: fix the file (or restore it from version control) and retry", cause);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  public Path file() { return file; }
  public int line() { return line; }
  public int column() { return column; }
}
