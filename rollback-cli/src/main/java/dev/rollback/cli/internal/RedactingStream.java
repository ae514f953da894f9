package dev.rollback.cli.internal;

import dev.rollback.spi.Redactor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The command's output, line by line through the redactor of the secrets the loaded plan files
 * resolved: whatever a command prints, and the log lines written to standard error, pass it.
 */
final class RedactingStream extends OutputStream {
  private final OutputStream target;
  private final Supplier<Redactor> redactor;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private RedactingStream(OutputStream target, Supplier<Redactor> redactor) {
    this.target = target;
    this.redactor = redactor;
  }

  /** {@code target} behind a redactor read at each line, so secrets resolved later are hidden too. */
  static PrintStream wrap(PrintStream target, Supplier<Redactor> redactor) {
    return new PrintStream(new RedactingStream(target, redactor), true, StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void write(int b) throws IOException {
    line.write(b);
    if (b == '\n') emit();
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) write(b[i]);
  }

  @Override
  public synchronized void flush() throws IOException {
    emit();
    target.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flush();
  }

  private void emit() throws IOException {
    if (line.size() == 0) return;
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    target.write(redactor.get().redact(text).getBytes(StandardCharsets.UTF_8));
  }
}
