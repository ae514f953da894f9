package dev.rollback.cli.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A plan document as parsed, every value with the place it was written: maps keep their keys'
 * order and places, scalars keep their text (a YAML scalar is read by the type its parameter
 * declares, so {@code 50} and {@code "50"} mean the same).
 */
public sealed interface Node {

  /** Where a value was written: file, 1-based line and column. */
  record Mark(String file, int line, int column) {
    static final Mark NONE = new Mark("", 0, 0);

    @Override
    public String toString() {
      return line == 0 ? file : file + ":" + line + ":" + column;
    }
  }

  Mark mark();

  /** A mapping; {@code keys} holds where each key was written. */
  record MapNode(Map<String, Node> entries, Map<String, Mark> keys, Mark mark) implements Node {
    public MapNode {
      entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
      keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    public Node get(String key) {
      return entries.get(key);
    }

    public Mark keyMark(String key) {
      return keys.getOrDefault(key, mark);
    }

    public MapNode with(String key, Node value) {
      Map<String, Node> e = new LinkedHashMap<>(entries);
      Map<String, Mark> k = new LinkedHashMap<>(keys);
      e.put(key, value);
      k.putIfAbsent(key, value.mark());
      return new MapNode(e, k, mark);
    }

    public MapNode without(String key) {
      Map<String, Node> e = new LinkedHashMap<>(entries);
      Map<String, Mark> k = new LinkedHashMap<>(keys);
      e.remove(key);
      k.remove(key);
      return new MapNode(e, k, mark);
    }
  }

  record ListNode(List<Node> items, Mark mark) implements Node {
    public ListNode {
      items = List.copyOf(items);
    }
  }

  /** A scalar's text; {@code plain} is false for quoted scalars (which are never null). */
  record Scalar(String text, boolean plain, Mark mark) implements Node {
    /** YAML's null: {@code ~}, {@code null} or nothing, unquoted. */
    public boolean isNull() {
      return plain && (text.isEmpty() || text.equals("~") || text.equals("null") || text.equals("Null") || text.equals("NULL"));
    }
  }

  static Scalar scalar(String text) {
    return new Scalar(text, false, Mark.NONE);
  }

  static MapNode map() {
    return new MapNode(Map.of(), Map.of(), Mark.NONE);
  }

  static ListNode list(List<Node> items) {
    return new ListNode(new ArrayList<>(items), Mark.NONE);
  }

  /** The kind of node in words, for messages. */
  static String describe(Node n) {
    if (n instanceof MapNode) return "a mapping";
    if (n instanceof ListNode) return "a list";
    Scalar s = (Scalar) n;
    return s.isNull() ? "empty" : "'" + s.text() + "'";
  }
}
