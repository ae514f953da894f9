package dev.rollback.k8s;

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
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's bearer token never reaches a journal, a report, an exception or a log line: on the
 * real API server refusing a wrong token (it answers 401 without echoing it), and through a proxy
 * that echoes each request's headers back in a 500.
 */
class KubernetesRedactionIT {
  private static final String TOKEN = "K8sBearerT0kenSECRET0123456789";

  @TempDir Path dir;

  @Test
  void theRealApiServerRefusingAWrongTokenLeavesItInNoOutput() {
    RealCluster cluster = RealCluster.get();
    try (KubernetesClient client = cluster.client(TOKEN); CapturedLog log = CapturedLog.start()) {
      Map<String, String> outputs = run(client, log);
      assertThat(String.join("\n", outputs.values())).contains("401 Unauthorized");
      outputs.forEach((where, text) -> assertThat(text).as(where).doesNotContain(TOKEN));
    }
  }

  @Test
  void aProxyEchoingTheAuthorizationHeaderLeavesTheTokenInNoOutput() {
    try (EchoingHttpServer echo = EchoingHttpServer.start(500);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config(echo)).build();
        CapturedLog log = CapturedLog.start()) {
      Map<String, String> outputs = run(client, log);
      assertThat(echo.requests()).as("the proxy saw the token").anySatisfy(r -> assertThat(r).contains("Bearer " + TOKEN));
      assertThat(String.join("\n", outputs.values())).as("the echo is reported, redacted").contains("Bearer ***");
      outputs.forEach((where, text) -> assertThat(text).as(where).doesNotContain(TOKEN));
    }
  }

  private static Config config(EchoingHttpServer echo) {
    return new ConfigBuilder(Config.empty()).withMasterUrl(echo.uri().toString()).withOauthToken(TOKEN)
        .withRequestRetryBackoffLimit(0).withNamespace("default").build();
  }

  private Map<String, String> run(KubernetesClient client, CapturedLog log) {
    Map<String, String> outputs = new LinkedHashMap<>();
    DeploymentRollout rollout = Kubernetes.using(client).deployment("shop", "checkout");
    Throwable direct = catchThrowable(rollout::rolloutStatus);
    assertThat(direct).isInstanceOf(K8sApiException.class);
    outputs.put("exception", direct.toString());
    for (Throwable c = direct.getCause(); c != null; c = c.getCause()) outputs.put("cause " + c.getClass().getName(), c.toString());

    Path journalDir = dir.resolve("journal");
    FileJournal journal = FileJournal.create(journalDir);
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = engine.run(RollbackPlan.builder("checkout-2.4.0").withFailurePolicy(FailurePolicy.CONTINUE)
          .step(rollout.undoStep(Revision.previous())).build(), Deployment.of("checkout", "2.4.0"));
    }
    assertThat(result.outcome()).isNotEqualTo(RunOutcome.RECOVERED);
    outputs.put("result", result + "\n" + String.join("\n", result.problems()));
    outputs.putAll(RunOutputs.of(journal.read(result.runId()).records(), journalDir));
    outputs.put("log", log.text());
    return outputs;
  }
}
