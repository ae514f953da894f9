package dev.rollback.lb.internal;

import dev.rollback.lb.AdminState;
import dev.rollback.lb.Operational;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and rewrites a {@code split_clients "KEY" $NAME { ... }} block: a sticky percentage split
 * (NGINX hashes KEY with MurmurHash2) between values, usually upstream names used as
 * {@code proxy_pass http://$NAME}. The backend is {@code NAME} (without {@code $}), the servers are
 * the values; shares follow the weights of the servers taking traffic, the last one gets {@code *}.
 * A server without a share is kept as a tag-only comment line so its routing can be read back.
 *
 * <pre>
 * split_clients "${remote_addr}${http_x_user_id}" $app_pool {
 *     10.00% v2; # rollback-lb name=v2 weight=10 admin=READY
 *     * v1; # rollback-lb name=v1 weight=90 admin=READY
 * }
 * </pre>
 */
public final class SplitClientsBlock {
  private static final Pattern HEAD = Pattern.compile("^\\s*split_clients\\s+(\"[^\"]*\"|\\S+)\\s+\\$(\\S+)\\s*\\{\\s*(#.*)?$");
  private static final Pattern ENTRY = Pattern.compile("^(\\s*)(\\*|[0-9.]+%)\\s+([^\\s;#]+)\\s*;\\s*(#.*)?$");
  private static final Pattern TAG_ONLY = Pattern.compile("^(\\s*)#\\s*rollback-lb\\s+name=(\\S+)\\s+weight=(\\d+)\\s+admin=(READY|DRAIN|MAINT).*$");
  private static final Pattern TAG =
      Pattern.compile("#\\s*rollback-lb\\s+name=(\\S+)\\s+weight=(\\d+)\\s+admin=(READY|DRAIN|MAINT)");

  private SplitClientsBlock() {}

  /** The routing of split {@code $backend} in {@code text}; empty if the file has no such block. */
  public static Optional<RoutingState> read(String text, String backend) {
    String[] all = text.split("\n", -1);
    int[] range = block(all, backend);
    if (range == null) return Optional.empty();
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    List<String> untagged = new ArrayList<>();
    BigDecimal used = BigDecimal.ZERO;
    for (int j = range[0] + 1; j < range[1]; j++) {
      Matcher tagOnly = TAG_ONLY.matcher(all[j]);
      if (tagOnly.matches()) {
        m.put(tagOnly.group(2), route(tagOnly.group(3), tagOnly.group(4)));
        continue;
      }
      Matcher e = ENTRY.matcher(all[j]);
      if (!e.matches()) continue;
      Matcher t = TAG.matcher(e.group(4) == null ? "" : e.group(4));
      if (t.find()) {
        m.put(t.group(1), route(t.group(2), t.group(3)));
      } else if (e.group(2).equals("*")) {
        untagged.add(e.group(3));
      } else {
        BigDecimal pct = new BigDecimal(e.group(2).substring(0, e.group(2).length() - 1));
        used = used.add(pct);
        m.put(e.group(3), ServerRoute.ready(pct.multiply(BigDecimal.valueOf(100)).intValue()));
      }
    }
    for (String star : untagged) {
      m.put(star, ServerRoute.ready(BigDecimal.valueOf(100).subtract(used).multiply(BigDecimal.valueOf(100)).intValue()));
    }
    return Optional.of(RoutingState.of(backend, m));
  }

  /** {@code text} with the entries of split {@code $backend} rewritten to {@code target} merged over the current routing. */
  public static String rewrite(String text, RoutingState after) {
    String[] all = text.split("\n", -1);
    int[] range = block(all, after.backend());
    if (range == null) throw new IllegalArgumentException("no split_clients $" + after.backend() + " block");
    String indent = "    ";
    for (int j = range[0] + 1; j < range[1]; j++) {
      Matcher e = ENTRY.matcher(all[j]);
      if (e.matches()) {
        indent = e.group(1);
        break;
      }
    }
    List<String> serving = after.serving();
    int total = serving.stream().mapToInt(s -> after.server(s).weight()).sum();
    List<String> lines = new ArrayList<>();
    BigDecimal used = BigDecimal.ZERO;
    for (Map.Entry<String, ServerRoute> e : after.servers().entrySet()) {
      String name = e.getKey();
      ServerRoute r = e.getValue();
      String tag = "# rollback-lb name=" + name + " weight=" + r.weight() + " admin=" + r.admin().name();
      if (!r.takesTraffic()) {
        lines.add(indent + tag);
      } else if (name.equals(serving.get(serving.size() - 1))) {
        lines.add(indent + "* " + name + "; " + tag);
      } else {
        BigDecimal pct = BigDecimal.valueOf(r.weight() * 100L).divide(BigDecimal.valueOf(total), 2, RoundingMode.DOWN);
        used = used.add(pct);
        lines.add(indent + pct.toPlainString() + "% " + name + "; " + tag);
      }
    }
    List<String> out = new ArrayList<>(List.of(all).subList(0, range[0] + 1));
    out.addAll(lines);
    out.addAll(List.of(all).subList(range[1], all.length));
    return String.join("\n", out);
  }

  private static ServerRoute route(String weight, String admin) {
    return new ServerRoute(Integer.parseInt(weight), AdminState.valueOf(admin), Operational.UNKNOWN);
  }

  /** The indexes of the head line and the closing brace, or null. */
  private static int[] block(String[] all, String backend) {
    for (int i = 0; i < all.length; i++) {
      Matcher h = HEAD.matcher(all[i]);
      if (h.matches() && h.group(2).equals(backend)) {
        for (int j = i + 1; j < all.length; j++) {
          if (all[j].strip().startsWith("}")) return new int[] {i, j};
        }
        throw new IllegalArgumentException("split_clients $" + backend + " block is not closed");
      }
    }
    return null;
  }
}
