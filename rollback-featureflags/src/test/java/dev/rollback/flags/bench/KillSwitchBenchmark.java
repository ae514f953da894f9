package dev.rollback.flags.bench;

import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.FlagState;
import dev.rollback.flags.FlagdFileStore;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.PropagationCheck;
import dev.rollback.flags.Rollout;
import dev.rollback.flags.UnleashFlagStore;
import dev.rollback.flags.UnleashSdkProvider;
import dev.rollback.flags.UnleashServer;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.InMemoryJournal;
import io.getunleash.DefaultUnleash;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Kill switch latency, from the call until an in-process OpenFeature client sees the flag off,
 * p50 and p99 over N runs, per backend, next to each backend's own latency measured the same way
 * in the same run (a raw write, then the same propagation check). Not part of {@code mvn verify}:
 * run {@code scripts/bench/flags.sh [inmemory] [flagd] [unleash] [runs=50]}.
 */
public final class KillSwitchBenchmark {
  private static final Deployment DEPLOYMENT = Deployment.of("bench", "1");
  private static final String FLAG = "new-checkout";

  public static void main(String[] args) throws Exception {
    List<String> which = new ArrayList<>();
    int runs = 50;
    for (String a : args) {
      if (a.startsWith("runs=")) runs = Integer.parseInt(a.substring(5));
      else which.add(a);
    }
    if (which.isEmpty()) which = List.of("inmemory", "flagd", "unleash");
    System.out.printf(Locale.ROOT, "kill switch: call -> in-process OpenFeature client sees the flag off; %d runs each%n", runs);
    if (which.contains("inmemory")) inMemory(runs);
    if (which.contains("flagd")) flagd(runs);
    if (which.contains("unleash")) unleash(runs);
  }

  private static void inMemory(int runs) throws Exception {
    InMemoryFlagStore store = InMemoryFlagStore.create().define(FLAG, Rollout.percent(50));
    OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(store.provider());
    // the step's own propagation check is an in-process OpenFeature client: a hook on it notes, on the
    // thread that evaluates, the first answer "off" (no extra thread, so no scheduling of one in the figure)
    dev.openfeature.sdk.Client checkClient = api.getClient();
    FirstOff firstOff = new FirstOff();
    checkClient.addHooks(firstOff);
    PropagationCheck check = PropagationCheck.of(checkClient).withTimeout(Duration.ofSeconds(5));
    Path dir = Files.createTempDirectory("rollback-bench-journal-");
    try (RollbackEngine fileEngine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build();
        RollbackEngine memEngine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackPlan plan = RollbackPlan.builder("kill").step(FeatureFlags.using(store).withPropagationCheck(check).killSwitch(FLAG)).build();
      Runnable reset = () -> store.setRollout(FLAG, Rollout.percent(50));
      // what the issue measures: from the call until a client of the application sees the flag off,
      // seen by a thread that evaluates the flag in a loop (the run goes on to journal its outcome)
      dev.openfeature.sdk.Client observer = api.getClient();
      Runnable allOn = () -> store.setRollout(FLAG, Rollout.all());
      // the JVM's first series paid for compiling what every later one shares (the journal's
      // encoder, the engine's run loop): a throwaway series on each engine first
      measure(1, WARMUP_IN_MEMORY, allOn, () -> firstOff.timeRun(fileEngine, plan));
      System.out.printf(Locale.ROOT, "first kill switch of this JVM (cold: nothing compiled yet, FileJournal): call -> the step's"
          + " client sees it off in %.2f ms%n", coldNanos / 1e6);
      measure(1, WARMUP_IN_MEMORY, allOn, () -> firstOff.timeRun(memEngine, plan));
      // one engine after the other, not interleaved: a FileJournal run's notifications are journaled
      // (and forced) on other threads after it returns, on the cores the next run would use
      report("in-memory, call -> the step's OpenFeature client sees it off, FileJournal",
          measure(runs, WARMUP_IN_MEMORY, allOn, () -> firstOff.timeRun(fileEngine, plan)));
      report("in-memory, call -> the step's OpenFeature client sees it off, InMemoryJournal",
          measure(runs, WARMUP_IN_MEMORY, allOn, () -> firstOff.timeRun(memEngine, plan)));
      report("in-memory, call -> a client sees the flag off, engine + FileJournal (fsync)",
          measure(runs, WARMUP_IN_MEMORY, allOn, () -> timeUntilSeenOff(fileEngine, plan, observer)));
      report("in-memory, call -> a client sees the flag off, engine + InMemoryJournal",
          measure(runs, WARMUP_IN_MEMORY, allOn, () -> timeUntilSeenOff(memEngine, plan, observer)));
      report("in-memory, step via engine + FileJournal (fsync)", measure(runs, WARMUP_IN_MEMORY, reset, () -> timeRun(fileEngine, plan)));
      report("in-memory, step via engine + InMemoryJournal", measure(runs, WARMUP_IN_MEMORY, reset, () -> timeRun(memEngine, plan)));
      RollbackPlan noop = RollbackPlan.builder("noop").step(dev.rollback.Step.of("noop", ctx -> { })).build();
      report("reference: engine run of a no-op step + FileJournal (fsync)", measure(runs, WARMUP_IN_MEMORY, () -> { }, () -> timeRun(fileEngine, noop)));
      report("reference: engine run of a no-op step + InMemoryJournal", measure(runs, WARMUP_IN_MEMORY, () -> { }, () -> timeRun(memEngine, noop)));
      report("in-memory, store.disable + propagation check only", measure(runs, WARMUP_IN_MEMORY, reset, () -> {
        long t0 = System.nanoTime();
        store.disable(FLAG);
        check.awaitVisible(store, store.read(FLAG));
        return System.nanoTime() - t0;
      }));
    } finally {
      api.shutdown();
    }
  }

  private static void flagd(int runs) throws Exception {
    int pollMs = 100;
    Path dir = Files.createTempDirectory("rollback-bench-flagd-");
    Path file = dir.resolve("flags.json");
    String on = "{\"flags\":{\"" + FLAG + "\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},"
        + "\"defaultVariant\":\"off\",\"targeting\":{\"fractional\":[[\"on\",50],[\"off\",50]]}}}}";
    String off = "{\"flags\":{\"" + FLAG + "\":{\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},"
        + "\"defaultVariant\":\"off\"}}}";
    Files.writeString(file, on);
    FlagdFileStore store = FlagdFileStore.of(file);
    OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new FlagdProvider(FlagdOptions.builder().resolverType(Config.Resolver.FILE)
        .offlineFlagSourcePath(file.toString()).offlinePollIntervalMs(pollMs).deadline(15_000).build()));
    PropagationCheck check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofSeconds(10)).withPollInterval(Duration.ofMillis(1));
    FlagState onState = store.read(FLAG);
    FlagState offState = new FlagState(FLAG, false, Rollout.all(), "{}");
    Path jdir = Files.createTempDirectory("rollback-bench-journal-");
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(jdir)).build();
        RollbackEngine memEngine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackPlan plan = RollbackPlan.builder("kill").step(FeatureFlags.using(store).withPropagationCheck(check).killSwitch(FLAG)).build();
      Runnable reset = () -> {
        store.restore(onState);
        check.awaitVisible(store, onState);
      };
      List<long[]> both = interleave(runs, 3, reset, () -> {
        long t0 = System.nanoTime();
        Path tmp = dir.resolve(".raw.tmp");
        Files.writeString(tmp, off);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        check.awaitVisible(store, offState);
        return System.nanoTime() - t0;
      }, () -> timeRun(memEngine, plan), () -> timeRun(engine, plan));
      report("flagd file (provider poll " + pollMs + " ms): raw file write -> client", both.get(0));
      report("flagd file (provider poll " + pollMs + " ms): kill switch step, engine + InMemoryJournal", both.get(1));
      report("flagd file (provider poll " + pollMs + " ms): kill switch step, engine + FileJournal", both.get(2));
    } finally {
      api.shutdown();
    }
  }

  private static void unleash(int runs) throws Exception {
    try (UnleashServer server = UnleashServer.start()) {
      UnleashFlagStore store = UnleashFlagStore.builder(server.baseUrl, server.adminToken).build();
      store.create(FLAG, "kill-switch");
      store.setRollout(FLAG, Rollout.percent(50));
      DefaultUnleash unleash = server.sdk("bench", "bench-1");
      OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
      api.setProviderAndWait(new UnleashSdkProvider(unleash));
      Client client = api.getClient();
      PropagationCheck check = PropagationCheck.of(client).withTimeout(Duration.ofSeconds(30)).withPollInterval(Duration.ofMillis(5));
      FlagState onState = store.read(FLAG);
      check.awaitVisible(store, onState);
      HttpClient http = HttpClient.newHttpClient();
      Path jdir = Files.createTempDirectory("rollback-bench-journal-");
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(jdir)).build();
          RollbackEngine memEngine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
        RollbackPlan plan = RollbackPlan.builder("kill").step(FeatureFlags.using(store).withPropagationCheck(check).killSwitch(FLAG)).build();
        Runnable reset = () -> {
          store.restore(onState);
          check.awaitVisible(store, onState);
        };
        List<long[]> both = interleave(runs, 2, reset, () -> {
          long t0 = System.nanoTime();
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.baseUrl.resolve(
                  "api/admin/projects/default/features/" + FLAG + "/environments/development/off"))
              .header("Authorization", server.adminToken).POST(HttpRequest.BodyPublishers.noBody()).build(),
              HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() != 200) throw new IllegalStateException("raw /off answered " + r.statusCode());
          check.awaitVisible(store, store.read(FLAG));
          return System.nanoTime() - t0;
        }, () -> timeRun(memEngine, plan), () -> timeRun(engine, plan));
        report("Unleash 6.10.1 (SDK poll 1 s): raw admin POST /off -> client", both.get(0));
        report("Unleash 6.10.1 (SDK poll 1 s): kill switch step, engine + InMemoryJournal", both.get(1));
        report("Unleash 6.10.1 (SDK poll 1 s): kill switch step, engine + FileJournal", both.get(2));
      } finally {
        api.shutdown();
        unleash.shutdown();
      }
    }
  }

  /** Notes when an evaluation of {@link #FLAG} first answers false while armed, on the evaluating thread. */
  static final class FirstOff implements dev.openfeature.sdk.BooleanHook {
    private final java.util.concurrent.atomic.AtomicLong at = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean armed;

    @Override
    public void after(dev.openfeature.sdk.HookContext<Boolean> ctx, dev.openfeature.sdk.FlagEvaluationDetails<Boolean> details,
        java.util.Map<String, Object> hints) {
      if (armed && FLAG.equals(details.getFlagKey()) && Boolean.FALSE.equals(details.getValue())) at.compareAndSet(0, System.nanoTime());
    }

    /** Nanoseconds from the call until the step's client first saw the flag off. */
    long timeRun(RollbackEngine engine, RollbackPlan plan) {
      at.set(0);
      armed = true;
      long t0 = System.nanoTime();
      RollbackResult r;
      try {
        r = engine.run(plan, DEPLOYMENT);
      } finally {
        armed = false;
      }
      if (r.outcome() != RunOutcome.RECOVERED) throw new IllegalStateException("kill switch run failed: " + r.summary());
      if (at.get() == 0) throw new IllegalStateException("the step's client never saw the flag off");
      return at.get() - t0;
    }
  }

  private static long timeRun(RollbackEngine engine, RollbackPlan plan) {
    long t0 = System.nanoTime();
    RollbackResult r = engine.run(plan, DEPLOYMENT);
    long took = System.nanoTime() - t0;
    if (r.outcome() != RunOutcome.RECOVERED) throw new IllegalStateException("kill switch run failed: " + r.summary());
    return took;
  }

  /**
   * Nanoseconds from the call until {@code observer} (another thread, evaluating in a loop) first
   * sees the flag off; the run is awaited before returning so runs do not overlap.
   */
  private static long timeUntilSeenOff(RollbackEngine engine, RollbackPlan plan, dev.openfeature.sdk.Client observer) throws Exception {
    if (!observer.getBooleanValue(FLAG, false)) throw new IllegalStateException("the flag should be on before the kill switch");
    java.util.concurrent.atomic.AtomicLong seenAt = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.CountDownLatch watching = new java.util.concurrent.CountDownLatch(1);
    Thread watcher = new Thread(() -> {
      watching.countDown();
      while (observer.getBooleanValue(FLAG, true)) Thread.yield(); // yields: the engine needs the CPU more
      seenAt.set(System.nanoTime());
    }, "bench-observer");
    watcher.start();
    watching.await();
    long t0 = System.nanoTime();
    RollbackResult r = engine.run(plan, DEPLOYMENT);
    watcher.join(10_000);
    if (r.outcome() != RunOutcome.RECOVERED) throw new IllegalStateException("kill switch run failed: " + r.summary());
    if (seenAt.get() == 0) throw new IllegalStateException("the observer never saw the flag off");
    return seenAt.get() - t0;
  }

  interface Timed {
    long run() throws Exception;
  }

  /**
   * Runs before the measured ones on the in-process paths: about a second of them, so the JIT has
   * compiled the path (20 runs, the earlier warm-up, left the compiler busy during the measured
   * runs on two cores). The first run of each series is reported apart as the cold figure.
   */
  private static final int WARMUP_IN_MEMORY = 1_000;

  /** The first run of the last series, before any warm-up: what the first kill switch of a JVM costs. */
  private static long coldNanos;

  private static long[] measure(int runs, int warmup, Runnable reset, Timed timed) throws Exception {
    long[] out = new long[runs];
    for (int i = 0; i < warmup + runs; i++) {
      if (i == warmup) startCountingPauses();
      reset.run();
      long t = timed.run();
      if (i == 0) coldNanos = t;
      if (i >= warmup) out[i - warmup] = t;
    }
    return out;
  }

  /** Collections of the heap since {@link #startCountingPauses}: a pause inside a run is in its time. */
  private static long gcAtStart;

  /**
   * Collects the warm-up's garbage before the measured runs (JMH's {@code -gc true} does the same
   * between iterations), so a run pays for a collection only if the runs themselves cause one; the
   * report says how many collections happened during the runs.
   */
  private static void startCountingPauses() {
    System.gc();
    gcAtStart = collections();
  }

  private static long collections() {
    long n = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  /** Alternates the paths run by run so all see the same machine conditions (and the same poll phase). */
  private static List<long[]> interleave(int runs, int warmup, Runnable reset, Timed... paths) throws Exception {
    long[][] out = new long[paths.length][runs];
    for (int i = 0; i < warmup + runs; i++) {
      if (i == warmup) startCountingPauses();
      for (int k = 0; k < paths.length; k++) {
        reset.run();
        long t = paths[k].run();
        if (i == 0 && k == 0) coldNanos = t;
        if (i >= warmup) out[k][i - warmup] = t;
      }
    }
    return List.of(out);
  }

  private static void report(String what, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf(Locale.ROOT, "%-78s p50 %9.2f ms  p99 %9.2f ms  max %9.2f ms  (n=%d, gc during the runs: %d, first run %.2f ms)%n",
        what, pct(s, 0.50) / 1e6, pct(s, 0.99) / 1e6, s[s.length - 1] / 1e6, s.length, collections() - gcAtStart, coldNanos / 1e6);
  }

  private static double pct(long[] sorted, double p) {
    int idx = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

}
