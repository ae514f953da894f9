package dev.rollback.notify;

import dev.rollback.Decision;
import dev.rollback.RollbackException;
import dev.rollback.engine.RollbackEngine;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers gates from files, for runbooks and shells: a {@code *.answer} file in a directory holds
 * {@code gate=}, {@code decision=} and {@code actor=} lines. The engine's process picks it up
 * ({@link #answerPending} once, or {@link #watch} every interval), answers through
 * {@link RollbackEngine#answer} (which journals decision and actor) and moves the file to
 * {@code done/} or to {@code rejected/} with a {@code .reason} file next to it. Nothing is deleted.
 *
 * <p>Write one from a shell with the command line:
 * {@code java -cp ... dev.rollback.notify.GateAnswerFiles DIR GATE_ID DECISION ACTOR}.
 */
public final class GateAnswerFiles {
  private static final Logger log = LoggerFactory.getLogger(GateAnswerFiles.class);
  public static final String SUFFIX = ".answer";

  private final Path dir;

  private GateAnswerFiles(Path dir) {
    this.dir = dir;
  }

  public static GateAnswerFiles in(Path dir) {
    Objects.requireNonNull(dir, "dir");
    try {
      Files.createDirectories(dir.resolve("done"));
      Files.createDirectories(dir.resolve("rejected"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the gate answer directory " + dir + ": " + e.getMessage(), e);
    }
    return new GateAnswerFiles(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Writes an answer file atomically (temporary file, then rename) and returns its path. */
  public Path write(String gateId, Decision decision, String actor) throws IOException {
    Objects.requireNonNull(gateId, "gateId");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(actor, "actor");
    if (actor.isBlank()) throw new IllegalArgumentException("actor must name who decided");
    Properties p = new Properties();
    p.setProperty("gate", gateId);
    p.setProperty("decision", decision.name());
    p.setProperty("actor", actor);
    String base = "answer-" + System.currentTimeMillis() + "-" + Integer.toHexString(gateId.hashCode());
    Path tmp = Files.createTempFile(dir, base, ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      p.store(w, "gate answer by " + actor);
    }
    Path target = dir.resolve(tmp.getFileName().toString().replace(".tmp", SUFFIX));
    return Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** What happened to one answer file. */
  public record Outcome(Path file, boolean applied, String message) {}

  /** Answers every pending answer file once, oldest name first. */
  public List<Outcome> answerPending(RollbackEngine engine) {
    Objects.requireNonNull(engine, "engine");
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      ds.forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list gate answers in " + dir + ": " + e.getMessage(), e);
    }
    files.sort(null);
    List<Outcome> out = new ArrayList<>();
    for (Path f : files) out.add(process(engine, f));
    return out;
  }

  private Outcome process(RollbackEngine engine, Path f) {
    String problem;
    try {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      String gate = p.getProperty("gate", "").trim();
      String decision = p.getProperty("decision", "").trim();
      String actor = p.getProperty("actor", "").trim();
      if (gate.isEmpty() || decision.isEmpty() || actor.isEmpty()) {
        problem = f.getFileName() + ": needs gate=, decision= and actor= lines";
      } else {
        Decision d;
        try {
          d = Decision.valueOf(decision.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          d = null;
        }
        if (d == null) {
          problem = f.getFileName() + ": decision must be one of " + List.of(Decision.values()) + ", not '" + decision + "'";
        } else {
          try {
            engine.answer(gate, d, actor);
            move(f, "done");
            log.info("gate {} answered {} by {} from file {}", gate, d, actor, f.getFileName());
            return new Outcome(f, true, "gate " + gate + " answered " + d + " by " + actor);
          } catch (IllegalArgumentException | RollbackException e) {
            problem = f.getFileName() + ": " + e.getMessage();
          }
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      problem = f.getFileName() + ": cannot read it: " + e.getMessage();
    }
    log.warn("gate answer rejected: {}", problem);
    try {
      Path moved = move(f, "rejected");
      Files.writeString(moved.resolveSibling(moved.getFileName() + ".reason"), problem + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.warn("cannot move rejected gate answer {}: {}", f, e.getMessage());
    }
    return new Outcome(f, false, problem);
  }

  private Path move(Path f, String sub) throws IOException {
    return Files.move(f, dir.resolve(sub).resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Answers pending files every {@code interval} on a daemon thread until closed. */
  public AutoCloseable watch(RollbackEngine engine, Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("interval must be positive: " + interval);
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rollback-gate-files");
      t.setDaemon(true);
      return t;
    });
    s.scheduleWithFixedDelay(() -> {
      try {
        answerPending(engine);
      } catch (RuntimeException e) {
        log.warn("gate answer files in {}: {}", dir, e.getMessage());
      }
    }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return s::shutdownNow;
  }

  /** {@code DIR GATE_ID DECISION ACTOR}: writes an answer file; exit code 2 on bad arguments. */
  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println("usage: GateAnswerFiles DIR GATE_ID PROCEED|RETRY|SKIP|HALT ACTOR");
      System.exit(2);
      return;
    }
    Decision d;
    try {
      d = Decision.valueOf(args[2].toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      System.err.println("decision must be one of " + List.of(Decision.values()) + ", not '" + args[2] + "'");
      System.exit(2);
      return;
    }
    Path written = in(Path.of(args[0])).write(args[1], d, args[3]);
    System.out.println("wrote " + written);
  }
}
