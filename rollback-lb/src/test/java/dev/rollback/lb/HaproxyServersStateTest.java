package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HaproxyServersStateTest {

  @Test
  void parsesShowServersStateIncludingAdminBitsAndOperationalState() {
    String dump = """
        1
        # be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
        3 app 1 v1 127.0.0.1 2 0 100 100 5 6 3 4 6 0 0 0 - 8081 - 0 0 - - 0
        3 app 2 v2 127.0.0.1 2 8 0 100 5 6 3 4 6 0 0 0 - 8082 - 0 0 - - 0
        3 app 3 v3 127.0.0.1 0 1 50 100 5 6 3 4 6 0 0 0 - 8083 - 0 0 - - 0
        4 other 1 x 127.0.0.1 2 0 1 1 5 6 3 4 6 0 0 0 - 8084 - 0 0 - - 0

        """;

    RoutingState s = HaproxyRouter.parseServersState("app", dump).orElseThrow();

    assertThat(s.servers()).containsOnlyKeys("v1", "v2", "v3");
    assertThat(s.server("v1")).isEqualTo(new ServerRoute(100, AdminState.READY, Operational.UP));
    assertThat(s.server("v2")).isEqualTo(new ServerRoute(0, AdminState.DRAIN, Operational.UP));
    assertThat(s.server("v3")).isEqualTo(new ServerRoute(50, AdminState.MAINT, Operational.DOWN));
  }

  @Test
  void anErrorAnswerIsNoState() {
    assertThat(HaproxyRouter.parseServersState("app", "Can't find backend.\n\n")).isEmpty();
  }
}
