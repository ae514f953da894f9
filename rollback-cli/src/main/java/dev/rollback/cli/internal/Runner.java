package dev.rollback.cli.internal;

import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RollbackResult;
import dev.rollback.StepOutcome;
import dev.rollback.engine.ResumeOptions;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.Journal;
import dev.rollback.report.ReportFormat;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs plans for the command line: an engine on a file journal, progress on stderr, the inbox
 * watched for answers and acknowledgements, and a cancel on SIGINT/SIGTERM so the journal says
 * where the run stopped.
 */
final class Runner implements AutoCloseable {
  private final Journal journal;
  private final RollbackEngine engine;
  private final Inbox inbox;
  private final ScheduledExecutorService watcher;
  private final Set<String> runs = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile RollbackRun current;
  private final Thread hook;
  private final PrintStream err;

  Runner(Path journalDir, Inbox inbox, PrintStream err, boolean quiet) {
    this.err = err;
    this.journal = FileJournal.create(journalDir);
    this.inbox = inbox;
    RollbackEngine.Builder b = RollbackEngine.builder().withJournal(journal);
    if (!quiet) b.withListener(e -> progress(e, err));
    this.engine = b.build();
    this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rollback-inbox");
      t.setDaemon(true);
      return t;
    });
    watcher.scheduleWithFixedDelay(() -> {
      try {
        inbox.process(engine, this::liveRuns, journal);
      } catch (RuntimeException e) {
        err.println("inbox " + inbox.dir() + ": " + e.getMessage());
      }
    }, 100, 200, TimeUnit.MILLISECONDS);
    this.hook = new Thread(() -> {
      RollbackRun r = current;
      if (r != null && !r.result().isDone()) {
        r.cancel("the rollback command was interrupted (signal)");
        try {
          r.await(java.time.Duration.ofSeconds(20));
          this.err.println("cancelled run " + r.runId() + "; resume it with: rollback resume " + r.runId());
        } catch (RuntimeException e) {
          // exiting anyway
        }
        this.err.flush();
        // the exit code a CI job can branch on, instead of the signal's
        Runtime.getRuntime().halt(Exit.CANCELLED);
      }
    }, "rollback-cancel-on-exit");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  private Set<String> liveRuns() {
    Set<String> s = new HashSet<>(runs);
    s.addAll(engine.runningRuns());
    return s;
  }

  RollbackEngine engine() { return engine; }
  Journal journal() { return journal; }

  /** Starts a run with {@code start} and waits for its result; the run id (and, for fleets, its children) is watched in the inbox. */
  RollbackResult run(String runId, Function<RollbackEngine, RollbackRun> start) {
    runs.add(runId);
    RollbackRun r = start.apply(engine);
    current = r;
    RollbackResult result = r.await();
    inbox.process(engine, this::liveRuns, journal);
    return result;
  }

  static RunOptions options(String runId, String reason) {
    return RunOptions.defaults().withRunId(runId).withReason(reason);
  }

  static ResumeOptions resumeOptions(boolean force) {
    return force ? ResumeOptions.force() : ResumeOptions.defaults();
  }

  private static void progress(RollbackEvent e, PrintStream err) {
    String line = null;
    if (e instanceof RollbackEvent.RunStarted s) {
      line = (s.resumed() ? "resumed " : "started ") + s.mode().name().toLowerCase(java.util.Locale.ROOT) + " '" + s.plan()
          + "' for " + s.deployment() + " (run " + s.runId() + ")";
    } else if (e instanceof RollbackEvent.StepStarted s) {
      line = "  > " + s.runId() + " " + s.step() + (s.attempt() > 1 ? " (attempt " + s.attempt() + ")" : "");
    } else if (e instanceof RollbackEvent.StepFinished s) {
      line = "  " + mark(s.outcome()) + " " + s.runId() + " " + s.step() + ": " + words(s.outcome());
    } else if (e instanceof RollbackEvent.GateOpened g) {
      line = gate(g.request());
    } else if (e instanceof RollbackEvent.GateDecided g) {
      line = "  gate " + g.gateId() + ": " + g.decision() + " by " + g.actor() + (g.timedOut() ? " (timed out)" : "");
    } else if (e instanceof RollbackEvent.BudgetExceeded b) {
      line = "  budget of " + ReportFormat.duration(b.budget()) + " exceeded";
    } else if (e instanceof RollbackEvent.RunFinished f) {
      line = "finished run " + f.runId() + ": " + f.outcome() + " in " + ReportFormat.duration(f.elapsed());
    }
    if (line != null) err.println(line);
  }

  private static String gate(GateRequest g) {
    return "  ? waiting at gate '" + g.gate() + "' (" + g.kind() + "): " + g.question() + "\n    answer with: rollback answer "
        + g.id() + " " + String.join("|", g.options().stream().map(Enum::name).toList()) + "   (on timeout at "
        + ReportFormat.time(g.deadline()) + ": " + g.onTimeout() + ")";
  }

  private static String mark(StepOutcome o) {
    return o.isDone() ? "ok" : o instanceof StepOutcome.Skipped ? "--" : "!!";
  }

  static String words(StepOutcome o) {
    if (o instanceof StepOutcome.Succeeded s) return "done in " + ReportFormat.duration(s.duration());
    if (o instanceof StepOutcome.AlreadyApplied a) return "already applied (" + a.how() + ")";
    if (o instanceof StepOutcome.Failed f) return "failed: " + f.error();
    if (o instanceof StepOutcome.Skipped s) return "skipped: " + s.reason();
    if (o instanceof StepOutcome.Cancelled c) return "cancelled: " + c.reason();
    return "not run";
  }

  static Deployment parseDeployment(String text) {
    int at = text.indexOf('@');
    if (at <= 0 || at == text.length() - 1) throw new IllegalArgumentException("--deployment must be service@version, not '" + text + "'");
    return Deployment.of(text.substring(0, at), text.substring(at + 1));
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // shutting down
    }
    watcher.shutdownNow();
    engine.close();
    journal.close();
  }
}
