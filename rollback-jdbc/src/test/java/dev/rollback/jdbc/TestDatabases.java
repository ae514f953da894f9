package dev.rollback.jdbc;

import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/** The databases every test that needs no PostgreSQL-only feature runs on. */
final class TestDatabases {
  private static final AtomicInteger H2 = new AtomicInteger();

  private TestDatabases() {}

  static DataSource h2() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:rollback" + H2.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
    ds.setUser("sa");
    return ds;
  }

  static DataSource create(String kind) throws Exception {
    return switch (kind) {
      case "h2" -> h2();
      case "postgres" -> PostgresServer.newDatabase();
      default -> throw new IllegalArgumentException(kind);
    };
  }
}
