package dev.rollback.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.lb.AdminState;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamFileTest {
  private static final String FILE = """
      # shared upstreams
      upstream other {
          server 10.0.0.1:80;
      }
      upstream app {
          least_conn;
          server 127.0.0.1:8081 weight=3 max_fails=2;
          server 127.0.0.1:8082 down;
          server 127.0.0.1:8083 backup;
          keepalive 16;
      }
      """;

  @Test
  void readsUntaggedServersByAddressFromTheirParameters() {
    RoutingState s = UpstreamFile.read(FILE, "app").orElseThrow();

    assertThat(s.servers()).containsExactly(
        Map.entry("127.0.0.1:8081", ServerRoute.ready(3)),
        Map.entry("127.0.0.1:8082", ServerRoute.of(1, AdminState.MAINT)),
        Map.entry("127.0.0.1:8083", ServerRoute.ready(0)));
    assertThat(UpstreamFile.read(FILE, "missing")).isEmpty();
  }

  @Test
  void rewritesOnlyTheServerLinesOfItsUpstreamAndKeepsOtherParameters() {
    RoutingState target = RoutingState.of("app", Map.of(
        "127.0.0.1:8081", ServerRoute.ready(0), "127.0.0.1:8082", ServerRoute.ready(7)));

    String out = UpstreamFile.rewrite(FILE, target);

    assertThat(out).contains("    server 127.0.0.1:8081 max_fails=2 down; # rollback-lb name=127.0.0.1:8081 weight=0 admin=READY")
        .contains("    server 127.0.0.1:8082 weight=7; # rollback-lb name=127.0.0.1:8082 weight=7 admin=READY")
        .contains("    server 127.0.0.1:8083 backup;", "least_conn;", "keepalive 16;", "server 10.0.0.1:80;")
        .doesNotContain("weight=0;");
    RoutingState back = UpstreamFile.read(out, "app").orElseThrow();
    assertThat(target.isSatisfiedBy(back)).isTrue();
    assertThat(UpstreamFile.rewrite(out, target)).isEqualTo(out);
  }

  @Test
  void aTaggedLineKeepsItsNameAndExactRouting() {
    String tagged = "upstream app {\n  server 127.0.0.1:1 down; # rollback-lb name=green weight=40 admin=DRAIN\n}\n";

    assertThat(UpstreamFile.read(tagged, "app").orElseThrow().server("green"))
        .isEqualTo(ServerRoute.of(40, AdminState.DRAIN));
  }
}
