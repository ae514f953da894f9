package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.FileJournal;
import dev.rollback.test.CapturedLog;
import dev.rollback.test.EchoingHttpServer;
import dev.rollback.test.RunOutputs;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An Unleash "server" that echoes each request — the token header included — back in its error
 * reply (the real Unleash does not echo: {@code UnleashFlagStoreIT} checks its 401). Neither the
 * token, nor its secret part, nor the base URL's password may reach the journal file, the reports,
 * an exception or a log line.
 */
class UnleashRedactionTest {
  private static final String SECRET_PART = "UnleashAdminSECRET0123456789";
  private static final String TOKEN = "*:*." + SECRET_PART;
  private static final String URL_PASSWORD = "BaseUrlPa55SECRET";

  @TempDir Path dir;

  @Test
  void aServerEchoingTheTokenLeavesItInNoOutputOfTheRun() {
    Map<String, String> outputs = new LinkedHashMap<>();
    Path journalDir = dir.resolve("journal");
    for (int status : List.of(401, 500)) {
      try (EchoingHttpServer echo = EchoingHttpServer.start(status); CapturedLog log = CapturedLog.start()) {
        URI base = URI.create("http://ops:" + URL_PASSWORD + "@127.0.0.1:" + echo.uri().getPort() + "/");
        UnleashFlagStore store = UnleashFlagStore.builder(base, TOKEN).build();

        Throwable direct = catchThrowable(() -> store.disable("new-checkout"));
        assertThat(direct).isInstanceOf(FlagWriteException.class).hasMessageContaining("answered " + status);
        assertThat(echo.requests()).as("the server saw the token and echoed it").anySatisfy(r -> assertThat(r).contains(TOKEN));
        outputs.put(status + " exception", direct.toString());

        FileJournal journal = FileJournal.create(journalDir);
        RollbackResult result;
        try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
          result = engine.run(RollbackPlan.builder("checkout-2.4.0").withFailurePolicy(FailurePolicy.CONTINUE)
              .step(FeatureFlags.using(store).killSwitch("new-checkout")).build(), Deployment.of("checkout", "2.4.0"));
        }
        assertThat(result.outcome()).isNotEqualTo(RunOutcome.RECOVERED);
        outputs.put(status + " result", result + "\n" + String.join("\n", result.problems()));
        Map<String, String> run = RunOutputs.of(journal.read(result.runId()).records(), journalDir);
        assertThat(String.join("\n", run.values())).as("the failure is reported, its echo redacted")
            .contains("answered " + status).contains("Authorization: ***");
        run.forEach((where, text) -> outputs.put(status + " " + where, text));
        outputs.put(status + " toString", store + " " + store.describe());
        outputs.put(status + " log", log.text());
      }
    }
    outputs.forEach((where, text) -> assertThat(text).as(where).doesNotContain(SECRET_PART, URL_PASSWORD));
  }
}
