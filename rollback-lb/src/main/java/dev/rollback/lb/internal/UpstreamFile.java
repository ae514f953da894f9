package dev.rollback.lb.internal;

import dev.rollback.lb.AdminState;
import dev.rollback.lb.Operational;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and rewrites the {@code server} lines of one {@code upstream NAME { ... }} block of an
 * NGINX config file, leaving every other line as it is. Each server line it writes carries a tag
 * comment with the server's name and its exact routing, because NGINX's own syntax cannot say
 * everything a {@link RoutingState} can ({@code weight=0} is rejected: it is written as {@code down}).
 *
 * <pre>
 * upstream app {
 *     server 127.0.0.1:8081 weight=100 max_fails=3; # rollback-lb name=v1 weight=100 admin=READY
 *     server 127.0.0.1:8082 down; # rollback-lb name=v2 weight=0 admin=READY
 * }
 * </pre>
 *
 * A server line without a tag is named by its address and read from its parameters.
 */
public final class UpstreamFile {
  private static final Pattern UPSTREAM = Pattern.compile("^\\s*upstream\\s+(\\S+)\\s*\\{\\s*(#.*)?$");
  private static final Pattern SERVER =
      Pattern.compile("^(\\s*)server\\s+([^\\s;#]+)((?:\\s+[^\\s;#]+)*)\\s*;\\s*(#.*)?$");
  private static final Pattern TAG =
      Pattern.compile("#\\s*rollback-lb\\s+name=(\\S+)\\s+weight=(\\d+)\\s+admin=(READY|DRAIN|MAINT)\\s*$");

  private UpstreamFile() {}

  private record Line(int index, String indent, String address, List<String> params, String name,
      ServerRoute route) {}

  /** The routing of upstream {@code backend} in {@code text}; empty if the file has no such upstream block. */
  public static Optional<RoutingState> read(String text, String backend) {
    List<Line> lines = servers(text.split("\n", -1), backend);
    if (lines == null) return Optional.empty();
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    for (Line l : lines) m.put(l.name, l.route);
    return Optional.of(RoutingState.of(backend, m));
  }

  /** {@code text} with the server lines of upstream {@code target.backend()} rewritten to {@code target}. */
  public static String rewrite(String text, RoutingState target) {
    String[] all = text.split("\n", -1);
    List<Line> lines = servers(all, target.backend());
    if (lines == null) throw new IllegalArgumentException("no upstream " + target.backend() + " block");
    for (Line l : lines) {
      ServerRoute to = target.servers().get(l.name);
      if (to == null) continue;
      StringBuilder sb = new StringBuilder(l.indent).append("server ").append(l.address);
      for (String p : l.params) sb.append(' ').append(p);
      sb.append(to.takesTraffic() ? " weight=" + to.weight() : " down");
      sb.append("; # rollback-lb name=").append(l.name).append(" weight=").append(to.weight())
          .append(" admin=").append(to.admin().name());
      all[l.index] = sb.toString();
    }
    return String.join("\n", all);
  }

  /** The server lines of the block, or null when there is no such block. */
  private static List<Line> servers(String[] all, String backend) {
    int i = 0;
    while (i < all.length) {
      Matcher u = UPSTREAM.matcher(all[i]);
      if (u.matches() && u.group(1).equals(backend)) break;
      i++;
    }
    if (i == all.length) return null;
    List<Line> out = new ArrayList<>();
    for (int j = i + 1; j < all.length; j++) {
      String line = all[j];
      if (line.strip().startsWith("}")) return out;
      Matcher s = SERVER.matcher(line);
      if (!s.matches()) continue;
      String address = s.group(2);
      List<String> params = new ArrayList<>();
      int weight = 1;
      boolean down = false;
      boolean backup = false;
      for (String p : s.group(3).trim().split("\\s+")) {
        if (p.isEmpty()) continue;
        if (p.startsWith("weight=")) weight = Integer.parseInt(p.substring(7));
        else if (p.equals("down")) down = true;
        else if (p.equals("backup")) backup = true;
        else params.add(p);
      }
      String comment = s.group(4) == null ? "" : s.group(4);
      Matcher t = TAG.matcher(comment);
      String name;
      ServerRoute route;
      if (t.find()) {
        name = t.group(1);
        route = new ServerRoute(Integer.parseInt(t.group(2)), AdminState.valueOf(t.group(3)), Operational.UNKNOWN);
      } else {
        name = address;
        route = new ServerRoute(backup ? 0 : weight, down ? AdminState.MAINT : AdminState.READY, Operational.UNKNOWN);
      }
      out.add(new Line(j, s.group(1), address, params, name, route));
    }
    throw new IllegalArgumentException("upstream " + backend + " block is not closed");
  }
}
