package dev.rollback.cli.internal;

/**
 * Phase times of one command, printed to standard error when the environment variable
 * {@code ROLLBACK_TIMING} is set: for measuring where a start-up goes (milliseconds since
 * {@code main}, and since the previous mark).
 */
final class Timing {
  private Timing() {}

  private static final boolean ON = System.getenv("ROLLBACK_TIMING") != null;
  private static final long START = System.nanoTime();
  private static long last = START;

  static void mark(String phase) {
    if (!ON) return;
    long now = System.nanoTime();
    StringBuilder b = new StringBuilder("rollback timing: ");
    b.append(phase).append(' ').append((now - START) / 1_000_000).append(" ms (+").append((now - last) / 1_000_000).append(" ms)");
    last = now;
    System.err.println(b);
  }
}
