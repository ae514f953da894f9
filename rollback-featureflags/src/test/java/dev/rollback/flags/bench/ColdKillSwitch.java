package dev.rollback.flags.bench;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.PropagationCheck;
import dev.rollback.flags.Rollout;
import dev.rollback.journal.FileJournal;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;

/**
 * The first kill switch of a JVM, the one that matters in an incident: nothing on the engine's path
 * has run yet. The application has been evaluating the flag (OpenFeature is loaded and warm); the
 * engine journals to a {@link FileJournal}. {@code warm} calls {@link RollbackEngine#warmUp()} first,
 * as an armed guard has. One measurement per JVM: {@code scripts/bench/flags.sh cold} starts several.
 */
public final class ColdKillSwitch {
  public static void main(String[] args) throws Exception {
    boolean warm = args.length > 0 && args[0].equals("warm");
    InMemoryFlagStore store = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(50));
    OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(store.provider());
    Client app = api.getClient();
    for (int i = 0; i < 10_000; i++) app.getBooleanValue("new-checkout", false);
    PropagationCheck check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofSeconds(5));
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(Files.createTempDirectory("rollback-cold-"))).build()) {
      RollbackPlan plan = RollbackPlan.builder("kill").step(FeatureFlags.using(store).withPropagationCheck(check).killSwitch("new-checkout"))
          .build();
      if (warm) RollbackEngine.warmUp();
      long t0 = System.nanoTime();
      RollbackResult r = engine.run(plan, Deployment.of("bench", "1"));
      long took = System.nanoTime() - t0;
      if (r.outcome() != RunOutcome.RECOVERED) throw new IllegalStateException("kill switch run failed: " + r.summary());
      System.out.printf(Locale.ROOT, "first kill switch of a JVM (%s), FileJournal: the whole run %.2f ms%n",
          warm ? "after RollbackEngine.warmUp()" : "cold", took / 1e6);
    } finally {
      api.shutdown();
    }
  }
}
