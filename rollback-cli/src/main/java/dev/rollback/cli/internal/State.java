package dev.rollback.cli.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The command line's state directory ({@code .rollback} by default): {@code journal/} (unless the
 * journal is elsewhere), {@code inbox/} for gate answers and acknowledgements,
 * {@code runs/<run id>/} with the plan a run was started with (for resume) and the lock its
 * process holds while it runs.
 */
public final class State {
  private final Path dir;

  public State(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() { return dir; }
  public Path defaultJournal() { return dir.resolve("journal"); }
  public Path inbox() { return dir.resolve("inbox"); }
  public Path runDir(String runId) { return dir.resolve("runs").resolve(runId); }

  /** The stored copy of the plan of {@code runId}, if the run was started by this command line. */
  public Optional<Path> storedPlan(String runId) {
    Path p = runDir(runId).resolve("plan.yaml");
    return Files.exists(p) ? Optional.of(p) : Optional.empty();
  }

  /** The journal directory a run used, as recorded when it started. */
  public Optional<Path> recordedJournal(String runId) {
    Path p = runDir(runId).resolve("journal");
    try {
      return Files.exists(p) ? Optional.of(Path.of(Files.readString(p, StandardCharsets.UTF_8).strip())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Holds the run's lock until the process ends; empty when another live process holds it. */
  public Optional<AutoCloseable> lock(String runId) {
    try {
      Path d = runDir(runId);
      Files.createDirectories(d);
      FileChannel ch = FileChannel.open(d.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = ch.tryLock();
      if (l == null) {
        ch.close();
        return Optional.empty();
      }
      Files.writeString(d.resolve("pid"), Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
      return Optional.of(() -> {
        l.release();
        ch.close();
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run " + runId + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The pid of the live process running {@code runId}, if one holds its lock. */
  public Optional<Long> liveProcess(String runId) {
    Path d = runDir(runId);
    if (!Files.exists(d.resolve("lock"))) return Optional.empty();
    try (FileChannel ch = FileChannel.open(d.resolve("lock"), StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l != null) {
        l.release();
        return Optional.empty();
      }
      return Optional.of(Long.parseLong(Files.readString(d.resolve("pid"), StandardCharsets.UTF_8).strip()));
    } catch (IOException | NumberFormatException | java.nio.channels.OverlappingFileLockException e) {
      return Optional.of(-1L);
    }
  }
}
