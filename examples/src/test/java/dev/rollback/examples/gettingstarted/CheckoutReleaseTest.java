package dev.rollback.examples.gettingstarted;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.test.RollbackAssertions;
import dev.rollback.examples.ReadmeSnippets;
import dev.rollback.flags.Rollout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The README's third recipe, run on H2: the failed release reverts the flag and the migration, with the data. */
class CheckoutReleaseTest {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private static CheckoutRelease checkout() throws Exception {
    return new CheckoutRelease("jdbc:h2:mem:checkout-release-" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
  }

  private static List<String> orders(CheckoutRelease checkout, String columns) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = checkout.database.getConnection(); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT " + columns + " FROM orders ORDER BY id")) {
      int n = r.getMetaData().getColumnCount();
      while (r.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) row.add(String.valueOf(r.getObject(i)));
        rows.add(String.join("|", row));
      }
    }
    return rows;
  }

  @Test
  void aReleaseThatFailsItsSmokeTestTurnsTheFlagOffAndRollsTheDatabaseBackWithItsData() throws Exception {
    CheckoutRelease checkout = checkout();

    RollbackResult result = checkout.release();

    RollbackAssertions.assertThat(result)
        .isRecovered()
        .hasStepSucceeded("database to 2/apply")
        .hasStepSucceeded("turn on new-checkout/apply")
        .hasRevertedInReverseOrder("turn on new-checkout", "database to 2");
    assertThat(checkout.flags.read("new-checkout").enabled()).isFalse();
    assertThat(checkout.migrations.currentVersion()).isEqualTo("1");
    assertThat(orders(checkout, "id, customer, discount")).containsExactly("1|ann|5.00", "2|bob|7.50");
  }

  @Test
  void aReleaseThatPassesItsSmokeTestKeepsTheFlagOnAndTheMigration() throws Exception {
    CheckoutRelease checkout = new CheckoutRelease("jdbc:h2:mem:checkout-release-" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1") {
      @Override
      dev.rollback.detect.HealthStatus smokeTest() {
        return dev.rollback.detect.HealthStatus.UP;
      }
    };

    RollbackResult result = checkout.release();

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RELEASED);
    assertThat(checkout.flags.read("new-checkout").rollout()).isEqualTo(Rollout.percent(100));
    assertThat(checkout.flags.read("new-checkout").enabled()).isTrue();
    assertThat(checkout.migrations.currentVersion()).isEqualTo("2");
    assertThat(orders(checkout, "id, customer")).containsExactly("1|ann", "2|bob");
  }

  @Test
  void theRecipesMainPrintsTheRevertedState() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      CheckoutRelease.main(new String[0]);
    } finally {
      System.setOut(out);
    }

    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("RECOVERED")
        .contains("database version: 1")
        .contains("new-checkout enabled: false")
        .contains("1 ann 5.00")
        .contains("2 bob 7.50");
  }

  @Test
  void theReadmeShowsExactlyTheCodeAndTheMigrationsOfTheRecipe() throws Exception {
    ReadmeSnippets.assertReadmeShows("gettingstarted/CheckoutRelease.java", "release");
    ReadmeSnippets.assertReadmeShowsResource("db/checkout/V1__create_orders.sql");
    ReadmeSnippets.assertReadmeShowsResource("db/checkout/V2__drop_discount.sql");
    ReadmeSnippets.assertReadmeShowsResource("db/checkout/U2__drop_discount.sql");
  }
}
