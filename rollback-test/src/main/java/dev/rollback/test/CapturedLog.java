package dev.rollback.test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is written to {@code System.err} — where {@code slf4j-simple}, the test logging
 * binding of the modules, writes every log line — until {@link #close()} puts the original stream
 * back. Lines still reach the original stream too, so a failing test shows them.
 *
 * <pre>{@code
 * try (CapturedLog log = CapturedLog.start()) {
 *   ...
 *   assertThat(log.text()).contains("WARN").doesNotContain(token);
 * }
 * }</pre>
 */
public final class CapturedLog implements AutoCloseable {
  private final PrintStream original;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private CapturedLog(PrintStream original) {
    this.original = original;
  }

  /** Starts capturing {@code System.err}. */
  public static CapturedLog start() {
    CapturedLog log = new CapturedLog(System.err);
    System.setErr(new PrintStream(new Tee(log.original, log.captured), true, StandardCharsets.UTF_8));
    return log;
  }

  /** Everything written so far. */
  public String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }

  private static final class Tee extends java.io.OutputStream {
    private final PrintStream original;
    private final ByteArrayOutputStream captured;

    Tee(PrintStream original, ByteArrayOutputStream captured) {
      this.original = original;
      this.captured = captured;
    }

    @Override
    public void write(int b) {
      synchronized (captured) {
        captured.write(b);
      }
      original.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (captured) {
        captured.write(b, off, len);
      }
      original.write(b, off, len);
    }

    @Override
    public void flush() {
      original.flush();
    }
  }
}
