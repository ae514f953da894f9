package dev.rollback.examples.gettingstarted;

// README:begin release
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.Rollout;
import dev.rollback.jdbc.JdbcJournal;
import dev.rollback.jdbc.Migrations;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.h2.jdbcx.JdbcDataSource;

/** Release 2.4.0 of checkout: a migration that drops a column, then the new code path's flag; reverted together. */
public class CheckoutRelease {
  final JdbcDataSource database = new JdbcDataSource();
  final Migrations migrations;
  final InMemoryFlagStore flags = InMemoryFlagStore.create().defineOff("new-checkout");

  CheckoutRelease(String jdbcUrl) throws Exception {
    database.setURL(jdbcUrl);
    migrations = Migrations.builder(database)
        .fromClasspath("db/checkout")            // V1__create_orders.sql, V2__drop_discount.sql, U2__drop_discount.sql
        .verifying("orders")                     // fingerprint before the migration, checked after its rollback
        .build();
    migrations.migrateTo("1");                   // what production runs today, with its data
    try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO orders (id, customer, discount) VALUES (1, 'ann', 5.00), (2, 'bob', 7.50)");
    }
  }

  RollbackResult release() {
    Release release = Release.builder("checkout-2.4.0")
        .forDeployment(Deployment.of("checkout", "2.4.0"))
        .change(migrations.change("2"))          // archives orders.discount, then drops it
        .change(FeatureFlags.using(flags).turnOn("new-checkout", Rollout.percent(100)))
        .healthGate(HealthCheck.of("checkout smoke test", this::smokeTest)).within(Duration.ofSeconds(2))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(database)).build()) {
      return engine.run(release);
    }
  }

  HealthStatus smokeTest() {
    return HealthStatus.DOWN;                    // 2.4.0's checkout fails its smoke test
  }

  public static void main(String[] args) throws Exception {
    CheckoutRelease checkout = new CheckoutRelease("jdbc:h2:mem:checkout;DB_CLOSE_DELAY=-1");
    System.out.println(checkout.release());     // RECOVERED: the flag is off and the database is back at 1
    System.out.println("database version: " + checkout.migrations.currentVersion());                // 1
    System.out.println("new-checkout enabled: " + checkout.flags.read("new-checkout").enabled());   // false
    try (Connection c = checkout.database.getConnection(); Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("SELECT id, customer, discount FROM orders ORDER BY id")) {
      while (rows.next()) {
        System.out.println(rows.getInt(1) + " " + rows.getString(2) + " " + rows.getBigDecimal(3));  // 1 ann 5.00, 2 bob 7.50
      }
    }
  }
}
// README:end release
