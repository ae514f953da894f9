package dev.rollback.examples;

import dev.rollback.detect.HealthCheck;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.Traffic;
import dev.rollback.lb.TrafficRouter;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The load balancer and the database the drill runs on: embedded (the in-process
 * {@link LoopbackBalancer} and an H2 database in memory) or real (HAProxy and PostgreSQL 15,
 * started by the drill on loopback). The drill's plan is the same on both; only these differ.
 */
final class DrillSystems implements AutoCloseable {
  private final String describe;
  private final TrafficRouter router;
  private final URI frontend;
  private final DataSource database;
  private final String databaseName;
  private final String backend;
  private final Map<String, URI> health;
  private final List<AutoCloseable> closeables;

  private DrillSystems(String describe, TrafficRouter router, URI frontend, DataSource database, String databaseName,
      String backend, Map<String, URI> health, List<AutoCloseable> closeables) {
    this.describe = describe;
    this.router = router;
    this.frontend = frontend;
    this.database = database;
    this.databaseName = databaseName;
    this.backend = backend;
    this.health = health;
    this.closeables = closeables;
  }

  /** The in-process load balancer in front of {@code servers} (name to port), and H2 in memory. */
  static DrillSystems embedded(String backend, Map<String, Integer> servers, Map<String, Integer> weights) throws Exception {
    LoopbackBalancer lb = LoopbackBalancer.start(backend, servers, weights);
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:drill-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    h2.setUser("sa");
    List<AutoCloseable> closeables = new ArrayList<>();
    closeables.add(lb);
    closeables.add(() -> {
      try (var c = h2.getConnection(); var st = c.createStatement()) {
        st.execute("SHUTDOWN");
      }
    });
    return new DrillSystems("embedded", lb, lb.frontend(), h2, "H2 in memory", backend, health(servers), closeables);
  }

  /** A real HAProxy in front of {@code servers} and a real PostgreSQL 15, both started here and stopped by {@link #close()}. */
  static DrillSystems real(String backend, Map<String, Integer> servers, Map<String, Integer> weights) throws Exception {
    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      RealServers.Postgres pg = RealServers.Postgres.start();
      closeables.add(pg);
      RealServers.Haproxy haproxy = RealServers.Haproxy.start(backend, servers, weights);
      closeables.add(0, haproxy);
      HaproxyRouter router = HaproxyRouter.unixSocket(haproxy.socket());
      return new DrillSystems("real", router, URI.create("http://127.0.0.1:" + haproxy.frontendPort()),
          pg.dataSource("checkout"), "PostgreSQL 15 on 127.0.0.1:" + pg.port(), backend, health(servers), closeables);
    } catch (Exception e) {
      closeAll(closeables);
      throw e;
    }
  }

  private static Map<String, URI> health(Map<String, Integer> servers) {
    Map<String, URI> m = new java.util.LinkedHashMap<>();
    servers.forEach((name, port) -> m.put(name, URI.create("http://127.0.0.1:" + port + "/health")));
    return m;
  }

  /** "embedded" or "real". */
  String describe() {
    return describe;
  }

  TrafficRouter router() {
    return router;
  }

  /** Where users send their requests: the load balancer's frontend. */
  URI frontend() {
    return frontend;
  }

  DataSource database() {
    return database;
  }

  String databaseName() {
    return databaseName;
  }

  /**
   * UP when the load balancer can send {@code server} traffic: HAProxy's own health checks see it
   * UP; the embedded balancer has no checks, so the server's {@code /health} answers.
   */
  HealthCheck serving(String server) {
    if (router instanceof HaproxyRouter) return Traffic.serverReady(router, backend, server);
    return HealthCheck.http("checkout " + server + " /health", health.get(server));
  }

  @Override
  public void close() {
    closeAll(closeables);
  }

  private static void closeAll(List<AutoCloseable> closeables) {
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("could not stop " + c + ": " + e.getMessage());
      }
    }
  }
}
