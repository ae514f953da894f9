package dev.rollback.cli.internal;

import dev.rollback.detect.HealthCheck;
import dev.rollback.spi.Parameter;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads a {@link Node} as the value of a {@link Parameter}, reporting every way it is wrong. */
public final class Values {
  private Values() {}

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 1.5s}, or ISO-8601 {@code PT5M}; null if not a duration. */
  public static @Nullable Duration parseDuration(String text) {
    String t = text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        return null;
      }
    }
    Matcher m = DURATION_PART.matcher(t);
    int at = 0;
    Duration d = Duration.ZERO;
    boolean any = false;
    while (m.find() && m.start() == at) {
      any = true;
      at = m.end();
      double n = Double.parseDouble(m.group(1));
      long nanos = switch (m.group(2)) {
        case "ms" -> Math.round(n * 1e6);
        case "s" -> Math.round(n * 1e9);
        case "m" -> Math.round(n * 60e9);
        case "h" -> Math.round(n * 3600e9);
        default -> Math.round(n * 86400e9);
      };
      d = d.plusNanos(nanos);
    }
    return any && at == t.length() ? d : null;
  }

  /** A duration as a plan file writes it: {@code 1h30m}, {@code 250ms}, {@code 1.5s}. */
  public static String formatDuration(Duration d) {
    if (d.isZero()) return "0s";
    StringBuilder b = new StringBuilder();
    long h = d.toHours();
    int m = d.toMinutesPart();
    int s = d.toSecondsPart();
    int ms = d.toMillisPart();
    if (h > 0) b.append(h).append('h');
    if (m > 0) b.append(m).append('m');
    if (s > 0 && ms == 0) b.append(s).append('s');
    else if (s > 0) b.append(s).append('.').append(String.format("%03d", ms).replaceAll("0+$", "")).append('s');
    else if (ms > 0) b.append(ms).append("ms");
    return b.toString();
  }

  /** Resolves targets and checks by name; supplied by the compiler. */
  public interface Refs {
    /** The opened target, or null with a problem reported. */
    @Nullable Object target(String name, List<String> types, Node.Mark at, String path);

    @Nullable HealthCheck check(String name, Node.Mark at, String path);
  }

  public static @Nullable Object read(Parameter p, Node n, String path, Ctx ctx, Refs refs) {
    return switch (p.type()) {
      case STRING -> text(n, path, ctx, "text");
      case INTEGER -> integer(p, n, path, ctx);
      case NUMBER -> number(p, n, path, ctx);
      case BOOLEAN -> bool(n, path, ctx);
      case DURATION -> duration(n, path, ctx);
      case URI -> uri(n, path, ctx);
      case PATH -> {
        String t = text(n, path, ctx, "a file or directory");
        yield t == null ? null : ctx.baseDir.resolve(t).normalize();
      }
      case ENUM -> {
        String t = text(n, path, ctx, "one of " + p.choices());
        if (t == null) yield null;
        for (String c : p.choices()) if (c.equalsIgnoreCase(t)) yield c;
        ctx.error(n.mark(), path, "must be one of " + p.choices() + ", not '" + t + "'" + Suggest.didYouMean(t, p.choices()));
        yield null;
      }
      case STRING_LIST -> list(n, path, ctx, (item, ip) -> text(item, ip, ctx, "text"));
      case INTEGER_LIST -> list(n, path, ctx, (item, ip) -> integer(p, item, ip, ctx));
      case STRING_MAP -> map(n, path, ctx, (item, ip) -> text(item, ip, ctx, "text"));
      case INTEGER_MAP -> map(n, path, ctx, (item, ip) -> integer(p, item, ip, ctx));
      case SECRET -> secret(n, path, ctx);
      case TARGET -> {
        String t = text(n, path, ctx, "the name of a target declared under spec.targets");
        yield t == null ? null : refs.target(t, p.choices(), n.mark(), path);
      }
      case CHECK -> {
        String t = text(n, path, ctx, "the name of a check declared under spec.checks");
        yield t == null ? null : refs.check(t, n.mark(), path);
      }
    };
  }

  static @Nullable String text(Node n, String path, Ctx ctx, String what) {
    if (n instanceof Node.Scalar s) return s.text();
    ctx.error(n.mark(), path, "must be " + what + ", not " + Node.describe(n));
    return null;
  }

  static @Nullable Integer integer(Parameter p, Node n, String path, Ctx ctx) {
    String t = text(n, path, ctx, "a whole number");
    if (t == null) return null;
    long v;
    try {
      v = Long.parseLong(t.trim());
      if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      ctx.error(n.mark(), path, "must be a whole number, not '" + t + "'");
      return null;
    }
    if (!inBounds(p, v, n, path, ctx)) return null;
    return (int) v;
  }

  static @Nullable Double number(Parameter p, Node n, String path, Ctx ctx) {
    String t = text(n, path, ctx, "a number");
    if (t == null) return null;
    double v;
    try {
      v = Double.parseDouble(t.trim());
      if (Double.isNaN(v) || Double.isInfinite(v)) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      ctx.error(n.mark(), path, "must be a number, not '" + t + "'");
      return null;
    }
    if (p.min().isPresent() && (v < p.min().get() || v > p.max().get())) {
      ctx.error(n.mark(), path, "must be between " + p.min().get() + " and " + p.max().get() + ", not " + t);
      return null;
    }
    return v;
  }

  private static boolean inBounds(Parameter p, long v, Node n, String path, Ctx ctx) {
    if (p.min().isPresent() && (v < p.min().get() || v > p.max().get())) {
      ctx.error(n.mark(), path, "must be between " + p.min().get() + " and " + p.max().get() + ", not " + v);
      return false;
    }
    return true;
  }

  static @Nullable Boolean bool(Node n, String path, Ctx ctx) {
    String t = text(n, path, ctx, "true or false");
    if (t == null) return null;
    if (t.equalsIgnoreCase("true")) return true;
    if (t.equalsIgnoreCase("false")) return false;
    ctx.error(n.mark(), path, "must be true or false, not '" + t + "'");
    return null;
  }

  static @Nullable Duration duration(Node n, String path, Ctx ctx) {
    String t = text(n, path, ctx, "a duration such as 30s, 5m or 1h30m");
    if (t == null) return null;
    Duration d = parseDuration(t);
    if (d == null) {
      ctx.error(n.mark(), path, "must be a duration such as 250ms, 30s, 5m or 1h30m, not '" + t + "'");
      return null;
    }
    if (d.isZero() || d.isNegative()) {
      ctx.error(n.mark(), path, "must be a positive duration, not '" + t + "'");
      return null;
    }
    return d;
  }

  static @Nullable URI uri(Node n, String path, Ctx ctx) {
    String t = text(n, path, ctx, "a URL");
    if (t == null) return null;
    try {
      URI u = new URI(t.trim());
      if (!u.isAbsolute()) throw new URISyntaxException(t, "not absolute (it needs a scheme such as http://)");
      return u;
    } catch (URISyntaxException e) {
      ctx.error(n.mark(), path, "must be an absolute URL, not '" + t + "': " + e.getReason());
      return null;
    }
  }

  interface ItemReader {
    @Nullable Object read(Node item, String path);
  }

  private static @Nullable List<Object> list(Node n, String path, Ctx ctx, ItemReader r) {
    if (!(n instanceof Node.ListNode l)) {
      ctx.error(n.mark(), path, "must be a list, not " + Node.describe(n));
      return null;
    }
    List<Object> out = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < l.items().size(); i++) {
      Object v = r.read(l.items().get(i), path + "[" + i + "]");
      if (v == null) ok = false;
      else out.add(v);
    }
    return ok ? out : null;
  }

  private static @Nullable Map<String, Object> map(Node n, String path, Ctx ctx, ItemReader r) {
    if (!(n instanceof Node.MapNode m)) {
      ctx.error(n.mark(), path, "must be a mapping, not " + Node.describe(n));
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    boolean ok = true;
    for (Map.Entry<String, Node> e : m.entries().entrySet()) {
      Object v = r.read(e.getValue(), Ctx.child(path, e.getKey()));
      if (v == null) ok = false;
      else out.put(e.getKey(), v);
    }
    return ok ? out : null;
  }

  /** {@code secretRef: {env: NAME}} or {@code secretRef: {file: PATH}}; a written value is refused. */
  static @Nullable String secret(Node n, String path, Ctx ctx) {
    String how = "reference it instead: secretRef: {env: NAME} or secretRef: {file: PATH}";
    if (n instanceof Node.Scalar) {
      ctx.error(n.mark(), path, "a secret must not be written in the file (the value is not shown here); " + how);
      return null;
    }
    Ctx.Obj o = ctx.asObj(n, path, "secretRef: {env: NAME} or {file: PATH}");
    if (o == null) return null;
    o.allow("secretRef");
    Ctx.Obj ref = o.obj("secretRef", true, "{env: NAME} or {file: PATH}");
    if (ref == null) return null;
    ref.allow("env", "file");
    String env = ref.string("env", false, "an environment variable's name");
    String file = ref.string("file", false, "a file holding the secret");
    if ((env == null) == (file == null)) {
      ctx.error(ref.mark(), ref.path, "give exactly one of env and file");
      return null;
    }
    if (env != null) {
      String v = ctx.env.get(env);
      if (v != null && !v.isBlank()) {
        ctx.resolvedSecrets.add(v);
        return v;
      }
      if (ctx.secrets == Ctx.SecretMode.STAND_IN) {
        ctx.notes.add("secret " + path + " not checked: environment variable " + env + " is not set");
        return Ctx.STAND_IN;
      }
      ctx.error(ref.markOf("env"), ref.pathOf("env"), "environment variable " + env + " is not set");
      return null;
    }
    Path f = ctx.baseDir.resolve(file);
    try {
      String v = Files.readString(f, StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) throw new IOException("it is empty");
      ctx.resolvedSecrets.add(v);
      return v;
    } catch (IOException e) {
      if (ctx.secrets == Ctx.SecretMode.STAND_IN) {
        ctx.notes.add("secret " + path + " not checked: cannot read " + f);
        return Ctx.STAND_IN;
      }
      ctx.error(ref.markOf("file"), ref.pathOf("file"), "cannot read the secret file " + f + ": " + e.getMessage());
      return null;
    }
  }

  static <T> Function<T, T> identity() {
    return t -> t;
  }
}
