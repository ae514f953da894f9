package dev.rollback.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;

/** Where a command prints its result: text for people, or one JSON document with {@code -o json}. */
final class Out {
  final PrintStream out;
  final PrintStream err;
  final boolean json;

  Out(PrintStream out, PrintStream err, boolean json) {
    this.out = out;
    this.err = err;
    this.json = json;
  }

  /** Prints {@code value} as JSON with {@code -o json}, else {@code text}. */
  void result(Object value, String text) {
    if (json) out.println(toJson(value));
    else out.print(text.endsWith("\n") ? text : text + "\n");
  }

  static String toJson(Object value) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
