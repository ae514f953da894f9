package dev.rollback.lb;

import java.util.Objects;

/**
 * One server's routing: its weight and admin state (what a rollback sets and restores), and its
 * operational state as the load balancer sees it (observed, never restored).
 */
public record ServerRoute(int weight, AdminState admin, Operational operational) {
  public ServerRoute {
    if (weight < 0) throw new IllegalArgumentException("weight must not be negative: " + weight);
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(operational, "operational");
  }

  /** A server that is READY with {@code weight}; operational state unknown (a target, not an observation). */
  public static ServerRoute ready(int weight) {
    return new ServerRoute(weight, AdminState.READY, Operational.UNKNOWN);
  }

  public static ServerRoute of(int weight, AdminState admin) {
    return new ServerRoute(weight, admin, Operational.UNKNOWN);
  }

  /** Takes new requests: READY with a positive weight. */
  public boolean takesTraffic() {
    return admin == AdminState.READY && weight > 0;
  }

  /** Same weight and admin state; the operational state is ignored. */
  public boolean sameRouting(ServerRoute other) {
    return weight == other.weight && admin == other.admin;
  }

  public ServerRoute withWeight(int weight) {
    return new ServerRoute(weight, admin, operational);
  }

  public ServerRoute withAdmin(AdminState admin) {
    return new ServerRoute(weight, admin, operational);
  }

  @Override
  public String toString() {
    return weight + "/" + admin + (operational == Operational.UNKNOWN ? "" : "/" + operational);
  }
}
