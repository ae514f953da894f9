package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.MigrationException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL script into statements at top-level semicolons, honouring single-quoted strings,
 * double-quoted identifiers, {@code --} and {@code /* *}{@code /} comments and PostgreSQL
 * dollar quotes. Each statement keeps the line it starts on and the {@code -- rollback:}
 * directives written in the comments right before it. Lexical damage (an unterminated string,
 * comment or dollar quote) is a {@link MigrationException} naming the file and line.
 *
 * <p>This is a lexer, not a classifier: what a statement does is decided by
 * {@link StatementClassifier} with a real SQL parser.
 */
public final class SqlScript {
  private SqlScript() {}

  /** One statement: its text without the trailing semicolon, where it starts, its directives. */
  public record Statement(String sql, int line, List<String> directives) {
    public Statement {
      directives = List.copyOf(directives);
    }
  }

  public static List<Statement> split(String origin, String text) {
    List<Statement> out = new ArrayList<>();
    List<String> directives = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int line = 1;
    int startLine = -1;
    int i = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      char next = i + 1 < n ? text.charAt(i + 1) : '\0';
      if (c == '-' && next == '-') {
        int end = text.indexOf('\n', i);
        if (end < 0) end = n;
        String comment = text.substring(i + 2, end).trim();
        if (comment.startsWith("rollback:")) {
          if (cur.toString().isBlank()) {
            directives.add(comment.substring("rollback:".length()).trim());
          } else {
            throw new MigrationException(origin + ":" + line + ": a '-- rollback:' directive must come before the statement it"
                + " describes, not inside it");
          }
        } else if (!cur.toString().isBlank()) {
          cur.append(' ');
        }
        i = end;
        continue;
      }
      if (c == '/' && next == '*') {
        int startedAt = line;
        int end = text.indexOf("*/", i + 2);
        if (end < 0) throw new MigrationException(origin + ":" + startedAt + ": unterminated /* comment");
        for (int k = i; k < end; k++) if (text.charAt(k) == '\n') line++;
        if (!cur.toString().isBlank()) cur.append(' ');
        i = end + 2;
        continue;
      }
      if (c == ';') {
        if (!cur.toString().isBlank()) {
          out.add(new Statement(cur.toString().trim(), startLine, directives));
        } else if (!directives.isEmpty()) {
          throw new MigrationException(origin + ":" + line + ": directive " + directives + " is not followed by a statement");
        }
        directives = new ArrayList<>();
        cur.setLength(0);
        startLine = -1;
        i++;
        continue;
      }
      if (!Character.isWhitespace(c) && startLine < 0) startLine = line;
      if (c == '\'' || c == '"') {
        int startedAt = line;
        int k = i + 1;
        while (true) {
          if (k >= n) {
            throw new MigrationException(origin + ":" + startedAt + ": unterminated " + (c == '\'' ? "string literal" : "quoted identifier")
                + " starting with " + preview(text, i));
          }
          char q = text.charAt(k);
          if (q == '\n') line++;
          if (q == c) {
            if (k + 1 < n && text.charAt(k + 1) == c) {
              k += 2;
              continue;
            }
            break;
          }
          k++;
        }
        cur.append(text, i, k + 1);
        i = k + 1;
        continue;
      }
      if (c == '$') {
        int close = text.indexOf('$', i + 1);
        String tag = close > 0 ? text.substring(i, close + 1) : "";
        if (!tag.isEmpty() && tag.substring(1, tag.length() - 1).matches("[A-Za-z_]*")) {
          int startedAt = line;
          int end = text.indexOf(tag, close + 1);
          if (end < 0) throw new MigrationException(origin + ":" + startedAt + ": unterminated dollar-quoted string " + tag);
          for (int k = i; k < end; k++) if (text.charAt(k) == '\n') line++;
          cur.append(text, i, end + tag.length());
          i = end + tag.length();
          continue;
        }
      }
      if (c == '\n') line++;
      cur.append(c);
      i++;
    }
    if (!cur.toString().isBlank()) out.add(new Statement(cur.toString().trim(), startLine, directives));
    else if (!directives.isEmpty()) {
      throw new MigrationException(origin + ":" + line + ": directive " + directives + " is not followed by a statement");
    }
    return out;
  }

  private static String preview(String text, int at) {
    String s = text.substring(at, Math.min(text.length(), at + 20)).replace('\n', ' ');
    return s + (at + 20 < text.length() ? "…" : "");
  }
}
