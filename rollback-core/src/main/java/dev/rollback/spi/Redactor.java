package dev.rollback.spi;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Hides secrets in text that comes from outside: a server's reply, an exception message, a log
 * argument. A module builds one from the secrets it holds and passes every foreign text through
 * {@link #redact(String)} before it reaches a journal record, an exception or a log line; each
 * sensitive fragment becomes {@code ***}.
 *
 * <p>A secret's fragments are its whole value and, when the value is a URL (a webhook URL, a JDBC
 * URL such as {@code jdbc:postgresql://app:pw@host/db?password=pw}):
 * <ul>
 *   <li>the userinfo ({@code user:password}) and the password in it;</li>
 *   <li>each path segment that looks like a token: 8 characters or more with a digit or with
 *       upper- and lower-case letters, or 20 characters or more (Slack's {@code T…}, {@code B…}
 *       and the token in {@code /services/T…/B…/token});</li>
 *   <li>each query or {@code ;key=value} parameter value of 4 characters or more, and the value
 *       of a parameter named like a credential ({@code password}, {@code token}, {@code key},
 *       {@code secret}, {@code sig}, {@code auth}) whatever its length.</li>
 * </ul>
 * {@link #ofCredentials(String, String)} adds a user and password pair: the password, and the
 * pair as HTTP Basic and SASL PLAIN send it (base 64), because servers echo headers too. Every
 * fragment is also matched URL-encoded (both {@code +} and {@code %20} for a space, upper- and
 * lower-case hex), URL-decoded, JSON-escaped ({@code \/}) and base-64 encoded. Other fragments
 * shorter than 4 characters are not redacted on their own, which would garble every message: the
 * whole value always is.
 *
 * <p>Immutable and thread-safe; {@link #and(Redactor)} combines two. {@link #toString()} shows
 * only how many fragments it hides.
 *
 * <pre>{@code
 * Redactor redactor = Redactor.of(webhookUrl).and(Redactor.ofCredentials(user, password));
 * throw new IOException("server answered " + status + ": " + redactor.redact(body));
 * }</pre>
 */
public final class Redactor {
  /** What a redacted fragment is replaced with. */
  public static final String MASK = "***";

  private static final int MIN_FRAGMENT = 4;
  private static final Redactor NONE = new Redactor(List.of());

  /** Longest first, so a fragment inside another one never leaves a piece of the longer one behind. */
  private final List<String> fragments;

  private Redactor(List<String> fragments) {
    this.fragments = fragments;
  }

  /** A redactor that hides nothing. */
  public static Redactor none() {
    return NONE;
  }

  /** Hides each of {@code secrets} and its sensitive fragments (see the class comment). */
  public static Redactor of(String... secrets) {
    Set<String> out = new LinkedHashSet<>();
    for (String s : secrets) {
      Objects.requireNonNull(s, "secret");
      if (s.isEmpty()) continue;
      addWithForms(out, s, true);
      for (String f : urlFragments(s)) addWithForms(out, f, false);
    }
    return create(out);
  }

  /**
   * Hides the sensitive parts of {@code url} — userinfo, token-like path segments, query and
   * {@code ;key=value} parameter values — but not the URL as a whole: for a URL that is shown in
   * messages (a JDBC URL, a server's base URL) and may carry a password. {@code redact(url)} then
   * gives the form to show, e.g. {@code jdbc:postgresql://127.0.0.1/shop?user=app&password=***}.
   */
  public static Redactor ofUrlSecrets(String url) {
    Objects.requireNonNull(url, "url");
    Set<String> out = new LinkedHashSet<>();
    for (String f : urlFragments(url)) addWithForms(out, f, false);
    return create(out);
  }

  /**
   * Hides a user name and password pair: the password (with its fragments), and the pair as HTTP
   * Basic ({@code user:password}) and SASL PLAIN ({@code \0user\0password}) encode it. The user
   * name alone is not hidden: it names who failed to log in.
   */
  public static Redactor ofCredentials(String user, String password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Set<String> out = new LinkedHashSet<>();
    if (!password.isEmpty()) {
      addWithForms(out, password, true);
      for (String f : urlFragments(password)) addWithForms(out, f, false);
      addWithForms(out, user + ":" + password, true);
      addWithForms(out, "\0" + user + "\0" + password, true);
    }
    return create(out);
  }

  /** A redactor that hides what this one and {@code other} hide. */
  public Redactor and(Redactor other) {
    Objects.requireNonNull(other, "other");
    if (other.fragments.isEmpty()) return this;
    if (fragments.isEmpty()) return other;
    Set<String> all = new LinkedHashSet<>(fragments);
    all.addAll(other.fragments);
    return create(all);
  }

  /** Whether this redactor hides nothing. */
  public boolean isEmpty() {
    return fragments.isEmpty();
  }

  /** {@code text} with every fragment of every secret replaced by {@value #MASK}; {@code ""} for {@code null}. */
  public String redact(@Nullable String text) {
    if (text == null) return "";
    String out = text;
    for (String f : fragments) {
      if (out.contains(f)) out = out.replace(f, MASK);
    }
    return out;
  }

  /** {@code e}'s class name and message, redacted, with the causes' messages: what a log line or journal record may show. */
  public String describe(Throwable e) {
    Objects.requireNonNull(e, "e");
    StringBuilder b = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) b.append(": ").append(e.getMessage());
    Throwable c = e.getCause();
    for (int depth = 0; c != null && c != e && depth < 5; depth++, c = c.getCause()) {
      if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
        b.append(" (").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
      }
    }
    return redact(b.toString());
  }

  /**
   * {@code e} itself when no message in its cause chain holds a secret (so callers can still test
   * the cause's type, e.g. a {@code ConnectException}); otherwise a copy of it and its causes safe
   * to keep as a cause: each a {@link RedactedException} with the original class name, the redacted
   * message and the original stack trace. Use it when wrapping an exception whose message holds
   * foreign text, so the cause chain (which logs and the journal print) cannot carry a secret
   * around the redaction.
   */
  public Throwable scrub(Throwable e) {
    Objects.requireNonNull(e, "e");
    return isClean(e) ? e : scrub(e, 0);
  }

  private boolean isClean(Throwable e) {
    Throwable c = e;
    for (int depth = 0; c != null && depth < 8; depth++) {
      String m = c.getMessage();
      if (m != null && !m.equals(redact(m))) return false;
      for (Throwable s : c.getSuppressed()) if (!isClean(s)) return false;
      Throwable next = c.getCause();
      if (next == c) return true;
      c = next;
    }
    return c == null; // a chain deeper than scrub copies is treated as not clean
  }

  private RedactedException scrub(Throwable e, int depth) {
    Throwable cause = e.getCause();
    RedactedException c = cause == null || cause == e || depth >= 8 ? null : scrub(cause, depth + 1);
    RedactedException r = new RedactedException(e.getClass().getName(), e.getMessage() == null ? null : redact(e.getMessage()), c);
    r.setStackTrace(e.getStackTrace());
    return r;
  }

  /**
   * Stands in for an exception whose message passed a {@link Redactor}: prints as the original
   * class name and the redacted message, with the original stack trace.
   */
  public static final class RedactedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String originalClass;

    RedactedException(String originalClass, @Nullable String message, @Nullable Throwable cause) {
      super(message, cause);
      this.originalClass = originalClass;
    }

    /** The fully qualified name of the exception this one stands in for. */
    public String originalClass() {
      return originalClass;
    }

    @Override
    public String toString() {
      return getMessage() == null ? originalClass : originalClass + ": " + getMessage();
    }
  }

  private static Redactor create(Set<String> fragments) {
    if (fragments.isEmpty()) return NONE;
    List<String> sorted = new ArrayList<>(fragments);
    sorted.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
    return new Redactor(List.copyOf(sorted));
  }

  /** {@code f} and its encoded forms; short fragments only when {@code whole} (the secret's whole value). */
  private static void addWithForms(Set<String> out, String f, boolean whole) {
    if (f.isEmpty() || (!whole && f.length() < MIN_FRAGMENT)) return;
    Set<String> forms = new LinkedHashSet<>();
    forms.add(f);
    String form = URLEncoder.encode(f, StandardCharsets.UTF_8);
    forms.add(form);
    forms.add(form.replace("+", "%20"));
    forms.add(lowerHex(form));
    forms.add(lowerHex(form.replace("+", "%20")));
    try {
      forms.add(URLDecoder.decode(f, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      // not a URL-encoded text: nothing to decode
    }
    forms.add(f.replace("/", "\\/"));
    forms.add(f.replace("\\", "\\\\").replace("\"", "\\\""));
    forms.add(Base64.getEncoder().encodeToString(f.getBytes(StandardCharsets.UTF_8)));
    forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(f.getBytes(StandardCharsets.UTF_8)));
    for (String x : forms) {
      if (!x.isEmpty() && (whole || x.length() >= MIN_FRAGMENT)) out.add(x);
    }
  }

  private static String lowerHex(String encoded) {
    StringBuilder b = new StringBuilder(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%' && i + 2 < encoded.length()) {
        b.append('%').append(encoded.substring(i + 1, i + 3).toLowerCase(Locale.ROOT));
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The sensitive parts of {@code value} if it is a URL (or a JDBC URL); none otherwise. */
  static List<String> urlFragments(String value) {
    String v = value.strip();
    if (v.regionMatches(true, 0, "jdbc:", 0, 5)) v = v.substring(5);
    List<String> out = new ArrayList<>();
    // ;key=value properties (SQL Server, H2) before the URI parser sees them
    int semi = v.indexOf(';');
    if (semi >= 0) {
      params(v.substring(semi + 1), ";", out);
      v = v.substring(0, semi);
    }
    int colon = v.indexOf(':');
    if (colon <= 0 || !v.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.\\-]*")) return out;
    URI uri;
    try {
      uri = URI.create(v);
    } catch (IllegalArgumentException e) {
      return out;
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      out.add(userInfo);
      int c = userInfo.indexOf(':');
      if (c >= 0) out.add(userInfo.substring(c + 1));
    }
    String path = uri.getRawPath();
    if (path == null && uri.getRawSchemeSpecificPart() != null) {
      // an opaque URI such as postgresql:db?password=... or mailto:
      String ssp = uri.getRawSchemeSpecificPart();
      int q = ssp.indexOf('?');
      path = q < 0 ? ssp : ssp.substring(0, q);
      if (q >= 0) params(ssp.substring(q + 1), "&", out);
    }
    if (path != null) {
      for (String seg : path.split("/")) {
        if (looksLikeToken(seg)) out.add(seg);
      }
    }
    if (uri.getRawQuery() != null) params(uri.getRawQuery(), "&", out);
    if (uri.getRawFragment() != null && uri.getRawFragment().length() >= MIN_FRAGMENT) out.add(uri.getRawFragment());
    return out;
  }

  private static void params(String query, String separator, List<String> out) {
    for (String p : query.split(separator)) {
      int eq = p.indexOf('=');
      if (eq < 0) continue;
      String key = p.substring(0, eq).toLowerCase(Locale.ROOT);
      String value = p.substring(eq + 1);
      if (value.isEmpty()) continue;
      boolean credential = key.matches(".*(pass|pwd|token|key|secret|sig|auth|credential|code).*");
      if (credential && value.length() < MIN_FRAGMENT) {
        out.add(key + "=" + value); // too short to hide alone: hide it where it is written as a parameter
        out.add(p.substring(0, eq) + "=" + value);
      } else if (value.length() >= MIN_FRAGMENT) {
        out.add(value);
      }
    }
  }

  private static boolean looksLikeToken(String seg) {
    if (seg.length() >= 20) return true;
    if (seg.length() < 8) return false;
    boolean digit = false, upper = false, lower = false;
    for (int i = 0; i < seg.length(); i++) {
      char c = seg.charAt(i);
      digit |= Character.isDigit(c);
      upper |= Character.isUpperCase(c);
      lower |= Character.isLowerCase(c);
    }
    return digit || (upper && lower);
  }

  @Override
  public String toString() {
    return "Redactor[" + fragments.size() + " fragments hidden]";
  }
}
