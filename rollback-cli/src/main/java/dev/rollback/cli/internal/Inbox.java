package dev.rollback.cli.internal;

import dev.rollback.Decision;
import dev.rollback.GateRequest;
import dev.rollback.RollbackException;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.Journal;
import dev.rollback.journal.RunHistory;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Answers and acknowledgements for runs in other processes: {@code rollback answer} and
 * {@code rollback ack} write a file here ({@code *.answer} with {@code gate=}, {@code decision=},
 * {@code actor=} — the format of rollback-notify's {@code GateAnswerFiles} — or {@code *.ack} with
 * {@code run=} and {@code actor=}); the process running the run picks it up, applies it through
 * its engine (which journals who decided), and moves it to {@code done/}, or to {@code rejected/}
 * with a {@code .reason} file. A file for a run this process does not run is left for the one that does.
 */
public final class Inbox {
  private final Path dir;

  public Inbox(Path dir) {
    this.dir = dir;
  }

  public Path dir() { return dir; }

  /** Writes an answer file atomically; returns its path. */
  public Path writeAnswer(String gateId, Decision decision, String actor) {
    Properties p = new Properties();
    p.setProperty("gate", gateId);
    p.setProperty("decision", decision.name());
    p.setProperty("actor", actor);
    return write(p, "answer");
  }

  public Path writeAck(String runId, String actor) {
    Properties p = new Properties();
    p.setProperty("run", runId);
    p.setProperty("actor", actor);
    return write(p, "ack");
  }

  private Path write(Properties p, String suffix) {
    try {
      Files.createDirectories(dir.resolve("done"));
      Files.createDirectories(dir.resolve("rejected"));
      Path tmp = Files.createTempFile(dir, suffix + "-" + System.currentTimeMillis() + "-", ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(w, "rollback " + suffix);
      }
      return Files.move(tmp, dir.resolve(tmp.getFileName().toString().replace(".tmp", "." + suffix)),
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to the inbox " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Where a file went: still waiting (null), done, or rejected with the reason. */
  public record Fate(boolean done, String reason) {}

  /** The fate of a file written by {@link #writeAnswer} or {@link #writeAck}, if it was processed. */
  public @org.jspecify.annotations.Nullable Fate fate(Path written) {
    Path name = written.getFileName();
    if (Files.exists(dir.resolve("done").resolve(name))) return new Fate(true, "");
    Path rejected = dir.resolve("rejected").resolve(name);
    if (Files.exists(rejected)) {
      try {
        return new Fate(false, Files.readString(rejected.resolveSibling(name + ".reason"), StandardCharsets.UTF_8).strip());
      } catch (IOException e) {
        return new Fate(false, "rejected");
      }
    }
    return null;
  }

  /** Applies the files meant for runs of {@code engine} (run ids in {@code runs}); leaves the others. */
  public void process(RollbackEngine engine, Supplier<Set<String>> runs, Journal journal) {
    if (!Files.isDirectory(dir)) return;
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{answer,ack}")) {
      ds.forEach(files::add);
    } catch (IOException e) {
      return;
    }
    files.sort(null);
    for (Path f : files) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        continue;
      }
      String actor = p.getProperty("actor", "").trim();
      if (f.toString().endsWith(".ack")) {
        String run = p.getProperty("run", "").trim();
        if (!runs.get().contains(run)) continue;
        try {
          engine.acknowledge(run, actor.isEmpty() ? "unknown" : actor, "cli");
          move(f, "done", null);
        } catch (RollbackException | IllegalArgumentException e) {
          move(f, "rejected", e.getMessage());
        }
        continue;
      }
      String gate = p.getProperty("gate", "").trim();
      String run = gate.contains("/") ? gate.substring(0, gate.indexOf('/')) : gate;
      if (!runs.get().contains(run)) continue;
      boolean pending = engine.pendingGates().stream().map(GateRequest::id).anyMatch(gate::equals);
      if (!pending) {
        RunHistory h = RunHistory.of(journal.read(run));
        if (h.gate(gate).map(RunHistory.GateHistory::isDecided).orElse(false)) {
          RunHistory.GateHistory g = h.gate(gate).get();
          move(f, "rejected", "gate " + gate + " was already decided: " + g.decision() + " by " + g.actor());
        }
        continue;
      }
      try {
        engine.answer(gate, Decision.valueOf(p.getProperty("decision", "").trim().toUpperCase(Locale.ROOT)), actor);
        move(f, "done", null);
      } catch (RollbackException | IllegalArgumentException e) {
        move(f, "rejected", e.getMessage());
      }
    }
  }

  private void move(Path f, String sub, @org.jspecify.annotations.Nullable String reason) {
    try {
      Files.createDirectories(dir.resolve(sub));
      Path to = Files.move(f, dir.resolve(sub).resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      if (reason != null) Files.writeString(to.resolveSibling(to.getFileName() + ".reason"), reason + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      // left in place: tried again at the next look
    }
  }
}
