package dev.rollback.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.jdbc.Migrations;
import dev.rollback.jdbc.PostgresServer;
import dev.rollback.journal.FileJournal;
import dev.rollback.test.CapturedLog;
import dev.rollback.test.RunOutputs;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JDBC URL's password never reaches a journal, a report, an exception or a log line: against the
 * real PostgreSQL refusing a wrong password (it names the user, not the password), and with a URL
 * that DriverManager echoes whole ("No suitable driver found for jdbc:...").
 */
class JdbcRedactionIT {
  private static final String WRONG_PASSWORD = "WrongPgPassw0rdSECRET";
  private static final String USER_PASSWORD = "UserInfoPassw0rdSECRET";

  @TempDir Path dir;

  @Test
  void postgresRefusingAWrongPasswordInTheUrlLeavesItInNoOutput() throws Exception {
    PostgresServer.Server pg = PostgresServer.start();
    String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres?user=rollback&password=" + WRONG_PASSWORD
        + "&connectTimeout=5";
    Map<String, String> outputs = run(new JdbcTypes.UrlDataSource(url, null, null), "password authentication failed");
    outputs.forEach((where, text) -> assertThat(text).as(where).doesNotContain(WRONG_PASSWORD));
  }

  @Test
  void aUrlEchoedByDriverManagerKeepsItsPasswordsHidden() throws Exception {
    String url = "jdbc:nosuchdriver://app:" + USER_PASSWORD + "@127.0.0.1:5432/shop?password=" + WRONG_PASSWORD;
    JdbcTypes.UrlDataSource ds = new JdbcTypes.UrlDataSource(url, "app", USER_PASSWORD);
    Map<String, String> outputs = run(ds, "No suitable driver found for jdbc:nosuchdriver://***@127.0.0.1:5432/shop?password=***");
    outputs.put("toString", ds.toString());
    outputs.forEach((where, text) -> assertThat(text).as(where).doesNotContain(WRONG_PASSWORD, USER_PASSWORD));
  }

  private Map<String, String> run(JdbcTypes.UrlDataSource ds, String expected) throws Exception {
    Map<String, String> outputs = new LinkedHashMap<>();
    try (CapturedLog log = CapturedLog.start()) {
      Throwable direct = catchThrowable(ds::getConnection);
      assertThat(direct).isInstanceOf(SQLException.class).hasMessageContaining(expected);
      outputs.put("exception", direct.toString());
      for (Throwable c = direct.getCause(); c != null; c = c.getCause()) outputs.put("cause " + c, c.toString());

      Path journalDir = dir.resolve("journal");
      FileJournal journal = FileJournal.create(journalDir);
      Migrations m = Migrations.builder(ds).fromClasspath("db/orders").build();
      RollbackResult result;
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
        result = engine.run(RollbackPlan.builder("checkout-2.4.0").withFailurePolicy(FailurePolicy.CONTINUE)
            .step(m.rollbackStep("1")).build(), Deployment.of("checkout", "2.4.0"));
      }
      assertThat(result.outcome()).isNotEqualTo(RunOutcome.RECOVERED);
      outputs.put("result", result + "\n" + String.join("\n", result.problems()));
      Map<String, String> run = RunOutputs.of(journal.read(result.runId()).records(), journalDir);
      assertThat(String.join("\n", run.values())).as("the driver's failure is reported").contains(expected);
      outputs.putAll(run);
      outputs.put("log", log.text());
    }
    return outputs;
  }
}
