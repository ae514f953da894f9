package dev.rollback.cli.internal;

import dev.rollback.cli.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Parses YAML and JSON (a JSON document is YAML) into {@link Node}s with their places. A syntax
 * error becomes a {@link Problem} at the place the parser stopped; a key written twice in one
 * mapping is a problem too (YAML parsers keep the last one silently).
 */
public final class YamlReader {
  private YamlReader() {}

  /** The result: the root (empty on a syntax error or an empty file) and the problems. */
  public record Parsed(Optional<Node> root, List<Problem> problems) {}

  public static Parsed parse(String text, String file) {
    List<Problem> problems = new ArrayList<>();
    try {
      LoadSettings settings = LoadSettings.builder().setLabel(file).setAllowDuplicateKeys(true).setMaxAliasesForCollections(50)
          .build();
      Timing.mark("yaml settings");
      Optional<org.snakeyaml.engine.v2.nodes.Node> root = new Compose(settings).composeString(text);
      Timing.mark("yaml composed");
      if (root.isEmpty()) {
        problems.add(new Problem(file, 1, 1, "", "the file is empty; a plan file starts with apiVersion: and kind:"));
        return new Parsed(Optional.empty(), problems);
      }
      Node n = convert(root.get(), file, "", problems);
      return new Parsed(Optional.of(n), problems);
    } catch (MarkedYamlEngineException e) {
      Optional<Mark> m = e.getProblemMark().or(e::getContextMark);
      int line = m.map(x -> x.getLine() + 1).orElse(1);
      int col = m.map(x -> x.getColumn() + 1).orElse(1);
      String what = (e.getContext() == null ? "" : e.getContext() + ", ") + e.getProblem();
      problems.add(new Problem(file, line, col, "", "not valid YAML or JSON: " + what));
      return new Parsed(Optional.empty(), problems);
    } catch (YamlEngineException e) {
      problems.add(new Problem(file, 1, 1, "", "not valid YAML or JSON: " + e.getMessage()));
      return new Parsed(Optional.empty(), problems);
    }
  }

  private static Node.Mark mark(org.snakeyaml.engine.v2.nodes.Node n, String file) {
    return n.getStartMark().map(m -> new Node.Mark(file, m.getLine() + 1, m.getColumn() + 1)).orElse(new Node.Mark(file, 0, 0));
  }

  private static Node convert(org.snakeyaml.engine.v2.nodes.Node n, String file, String path, List<Problem> problems) {
    Node.Mark mark = mark(n, file);
    if (n instanceof ScalarNode s) {
      return new Node.Scalar(s.getValue(), s.getScalarStyle() == ScalarStyle.PLAIN, mark);
    }
    if (n instanceof SequenceNode seq) {
      List<Node> items = new ArrayList<>();
      int i = 0;
      for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) items.add(convert(item, file, path + "[" + i++ + "]", problems));
      return new Node.ListNode(items, mark);
    }
    MappingNode map = (MappingNode) n;
    Map<String, Node> entries = new LinkedHashMap<>();
    Map<String, Node.Mark> keys = new LinkedHashMap<>();
    for (NodeTuple t : map.getValue()) {
      Node.Mark km = mark(t.getKeyNode(), file);
      if (!(t.getKeyNode() instanceof ScalarNode k)) {
        problems.add(new Problem(file, km.line(), km.column(), path, "a key must be a plain name, not a list or mapping"));
        continue;
      }
      String key = k.getValue();
      String child = path.isEmpty() ? key : path + "." + key;
      if (entries.containsKey(key)) {
        problems.add(new Problem(file, km.line(), km.column(), child, "'" + key + "' is written twice in this mapping (first at line "
            + keys.get(key).line() + ")"));
        continue;
      }
      keys.put(key, km);
      entries.put(key, convert(t.getValueNode(), file, child, problems));
    }
    return new Node.MapNode(entries, keys, mark);
  }
}
