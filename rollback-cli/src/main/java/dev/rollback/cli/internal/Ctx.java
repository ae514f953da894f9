package dev.rollback.cli.internal;

import dev.rollback.cli.Problem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** What a load of one document knows: where it is, how secrets resolve, and the problems found so far. */
public final class Ctx {
  /** How secrets are resolved: for real (a run) or with a stand-in when missing (validate, plan, runbook). */
  public enum SecretMode { RESOLVE, STAND_IN }

  static final String STAND_IN = "https://secret-not-resolved.invalid/stand-in";

  final Path baseDir;
  final Map<String, String> env;
  /** Every secret value a {@code secretRef} resolved to, for the command's redactor. */
  final Set<String> resolvedSecrets;
  final SecretMode secrets;
  final List<Problem> problems;
  final List<String> notes = new ArrayList<>();

  public Ctx(Path baseDir, Map<String, String> env, SecretMode secrets, List<Problem> problems) {
    this(baseDir, env, secrets, problems, new java.util.LinkedHashSet<>());
  }

  Ctx(Path baseDir, Map<String, String> env, SecretMode secrets, List<Problem> problems, Set<String> resolvedSecrets) {
    this.resolvedSecrets = resolvedSecrets;
    this.baseDir = baseDir;
    this.env = env;
    this.secrets = secrets;
    this.problems = problems;
  }

  public void error(Node.Mark at, String path, String message) {
    problems.add(new Problem(at.file(), at.line(), at.column(), path, message));
  }

  int problemCount() {
    return problems.size();
  }

  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A mapping being read: fields by name, unknown fields reported with the closest known one. */
  public final class Obj {
    final Node.MapNode node;
    final String path;

    Obj(Node.MapNode node, String path) {
      this.node = node;
      this.path = path;
    }

    Node.Mark mark() { return node.mark(); }

    void allow(Collection<String> known) {
      for (String k : node.entries().keySet()) {
        if (!known.contains(k)) {
          error(node.keyMark(k), child(path, k), "unknown field '" + k + "'" + Suggest.didYouMean(k, known)
              + (known.size() <= 14 ? " (known: " + String.join(", ", known) + ")" : ""));
        }
      }
    }

    void allow(String... known) {
      allow(List.of(known));
    }

    boolean has(String key) {
      Node n = node.get(key);
      return n != null && !(n instanceof Node.Scalar s && s.isNull());
    }

    @Nullable Node get(String key) {
      Node n = node.get(key);
      return n instanceof Node.Scalar s && s.isNull() ? null : n;
    }

    String pathOf(String key) { return child(path, key); }

    Node.Mark markOf(String key) {
      Node n = node.get(key);
      return n != null ? n.mark() : node.mark();
    }

    /** A required field: reported missing at this mapping when absent. */
    @Nullable Node require(String key, String what) {
      Node n = get(key);
      if (n == null) error(node.mark(), path, "missing field '" + key + "': " + what);
      return n;
    }

    @Nullable String string(String key, boolean required, String what) {
      Node n = required ? require(key, what) : get(key);
      if (n == null) return null;
      if (!(n instanceof Node.Scalar s)) {
        error(n.mark(), pathOf(key), "must be text (" + what + "), not " + Node.describe(n));
        return null;
      }
      return s.text();
    }

    @Nullable Obj obj(String key, boolean required, String what) {
      Node n = required ? require(key, what) : get(key);
      if (n == null) return null;
      if (!(n instanceof Node.MapNode m)) {
        error(n.mark(), pathOf(key), "must be a mapping (" + what + "), not " + Node.describe(n));
        return null;
      }
      return new Obj(m, pathOf(key));
    }

    @Nullable List<Node> list(String key, boolean required, String what) {
      Node n = required ? require(key, what) : get(key);
      if (n == null) return null;
      if (!(n instanceof Node.ListNode l)) {
        error(n.mark(), pathOf(key), "must be a list (" + what + "), not " + Node.describe(n));
        return null;
      }
      return l.items();
    }

    @Nullable String choice(String key, Set<String> values, @Nullable String dflt) {
      String v = string(key, false, "one of " + values);
      if (v == null) return dflt;
      for (String c : values) if (c.equalsIgnoreCase(v)) return c;
      error(markOf(key), pathOf(key), "must be one of " + values + ", not '" + v + "'" + Suggest.didYouMean(v, values));
      return dflt;
    }
  }

  Obj obj(Node.MapNode n, String path) {
    return new Obj(n, path);
  }

  /** The node as a mapping, or a problem and null. */
  @Nullable Obj asObj(Node n, String path, String what) {
    if (n instanceof Node.MapNode m) return new Obj(m, path);
    error(n.mark(), path, "must be a mapping (" + what + "), not " + Node.describe(n));
    return null;
  }
}
