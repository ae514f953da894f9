package dev.rollback.lb.internal;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The strict pattern every backend and server name must match before it reaches a runtime-API
 * command line or a config file: nothing that can end a command ({@code ;}, newline), split an
 * argument (space) or open a block ({@code { } #}) gets through.
 */
public final class Names {
  /** Letters, digits, {@code _ . : -}; starts with a letter or digit; at most 64 characters. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");

  private Names() {}

  /** {@code value}, or an {@link IllegalArgumentException} naming {@code what} and showing the value escaped. */
  public static String require(String what, String value) {
    Objects.requireNonNull(value, what);
    if (!NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " name " + escape(value)
          + " is not allowed: names must match " + NAME.pattern()
          + " so nothing can be injected into the runtime API or the config");
    }
    return value;
  }

  /** The value quoted, with control characters shown as escapes, for error messages. */
  public static String escape(String value) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '"' -> sb.append("\\\"");
        default -> {
          if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}
