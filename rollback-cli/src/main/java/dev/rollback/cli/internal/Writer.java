package dev.rollback.cli.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/** Writes a {@link Node} document back as YAML or JSON; reading the output gives the same document. */
public final class Writer {
  private Writer() {}

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./$(][A-Za-z0-9 _./@$(){}+=%,-]*(:[A-Za-z0-9_./@$(){}+=%,-]+)*");
  private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

  public static String yaml(Node root) {
    StringBuilder b = new StringBuilder();
    if (root instanceof Node.MapNode m && !m.entries().isEmpty()) {
      mapBody(m, 0, b);
    } else if (root instanceof Node.ListNode l && !l.items().isEmpty()) {
      listBody(l, 0, b);
    } else {
      b.append(inline(root)).append('\n');
    }
    return b.toString();
  }

  private static void mapBody(Node.MapNode m, int indent, StringBuilder b) {
    boolean first = true;
    for (Map.Entry<String, Node> e : m.entries().entrySet()) {
      if (!first) b.append(" ".repeat(indent));
      first = false;
      b.append(key(e.getKey())).append(':');
      value(e.getValue(), indent, b);
    }
  }

  /** Writes a value after "key:" (or "-") on the current line. */
  private static void value(Node v, int indent, StringBuilder b) {
    if (v instanceof Node.MapNode m && !m.entries().isEmpty()) {
      b.append('\n').append(" ".repeat(indent + 2));
      mapBody(m, indent + 2, b);
    } else if (v instanceof Node.ListNode l && !l.items().isEmpty()) {
      b.append('\n').append(" ".repeat(indent + 2));
      listBody(l, indent + 2, b);
    } else {
      b.append(' ').append(inline(v)).append('\n');
    }
  }

  private static void listBody(Node.ListNode l, int indent, StringBuilder b) {
    boolean first = true;
    for (Node item : l.items()) {
      if (!first) b.append(" ".repeat(indent));
      first = false;
      b.append("- ");
      if (item instanceof Node.MapNode m && !m.entries().isEmpty()) {
        mapBody(m, indent + 2, b);
      } else if (item instanceof Node.ListNode inner && !inner.items().isEmpty()) {
        listBody(inner, indent + 2, b);
      } else {
        b.append(inline(item)).append('\n');
      }
    }
  }

  private static String inline(Node n) {
    if (n instanceof Node.MapNode) return "{}";
    if (n instanceof Node.ListNode) return "[]";
    Node.Scalar s = (Node.Scalar) n;
    if (s.isNull()) return "null";
    return scalar(s.text());
  }

  private static String key(String k) {
    return scalar(k);
  }

  static String scalar(String text) {
    boolean nullWord = text.equals("~") || text.equalsIgnoreCase("null");
    if (!nullWord && !text.isEmpty() && SAFE.matcher(text).matches() && !text.endsWith(" ") && !text.contains(" #")) return text;
    StringBuilder q = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        case '\r' -> q.append("\\r");
        default -> {
          if (c < 0x20) q.append(String.format("\\x%02x", (int) c));
          else q.append(c);
        }
      }
    }
    return q.append('"').toString();
  }

  public static String json(Node root) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      json(root, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out + "\n";
  }

  private static void json(Node n, JsonGenerator g) throws IOException {
    if (n instanceof Node.MapNode m) {
      g.writeStartObject();
      for (Map.Entry<String, Node> e : m.entries().entrySet()) {
        g.writeFieldName(e.getKey());
        json(e.getValue(), g);
      }
      g.writeEndObject();
    } else if (n instanceof Node.ListNode l) {
      g.writeStartArray();
      for (Node i : l.items()) json(i, g);
      g.writeEndArray();
    } else {
      Node.Scalar s = (Node.Scalar) n;
      if (s.isNull()) g.writeNull();
      else if (s.plain() && (s.text().equals("true") || s.text().equals("false"))) g.writeBoolean(s.text().equals("true"));
      else if (s.plain() && NUMBER.matcher(s.text()).matches()) g.writeNumber(s.text());
      else g.writeString(s.text());
    }
  }
}
