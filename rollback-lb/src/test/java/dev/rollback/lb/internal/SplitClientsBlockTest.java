package dev.rollback.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.lb.AdminState;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SplitClientsBlockTest {
  private static final String FILE = """
      upstream blue { server 127.0.0.1:1; }
      split_clients "${remote_addr}AAA" $pool {
          10%   green;
          *     blue;
      }
      """;

  @Test
  void readsAnUntaggedSplitAsWeightsInHundredthsOfAPercent() {
    RoutingState s = SplitClientsBlock.read(FILE, "pool").orElseThrow();

    assertThat(s.servers()).containsExactly(Map.entry("green", ServerRoute.ready(1000)),
        Map.entry("blue", ServerRoute.ready(9000)));
    assertThat(s.shareOf("green")).isEqualTo(0.1);
  }

  @Test
  void rewritesSharesFromWeightsAndKeepsAServerWithoutShareAsATag() {
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    m.put("green", ServerRoute.of(5, AdminState.DRAIN));
    m.put("blue", ServerRoute.ready(1));
    m.put("red", ServerRoute.ready(2));
    RoutingState after = RoutingState.of("pool", m);

    String out = SplitClientsBlock.rewrite(FILE, after);

    assertThat(out).contains("split_clients \"${remote_addr}AAA\" $pool {",
        "    # rollback-lb name=green weight=5 admin=DRAIN",
        "    33.33% blue; # rollback-lb name=blue weight=1 admin=READY",
        "    * red; # rollback-lb name=red weight=2 admin=READY",
        "upstream blue { server 127.0.0.1:1; }");
    assertThat(SplitClientsBlock.read(out, "pool").orElseThrow()).isEqualTo(after);
  }
}
