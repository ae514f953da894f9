package dev.rollback.jdbc.pitr;

import dev.rollback.Gate;
import dev.rollback.Step;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Replaces the live cluster with a copy recovered to the target. {@link #prepare()} recovers the
 * copy side by side (verified against the restore point's fingerprints), compares every table of
 * every database with the live cluster and exports the rows the replacement would lose;
 * {@link #step(Gate)} is the replacement behind an approval gate whose question names those
 * writes, per table. The step stops the live server ({@code pg_ctl stop -m fast}), moves its data
 * directory aside (never deletes it), moves the recovered one into its place and starts it with
 * the live server's own options ({@code postmaster.opts}). Each phase is recorded, so a resume
 * continues; if the live cluster took more writes after the question was asked, the step refuses
 * before stopping anything.
 */
public final class WholeClusterRestore {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
  private final PointInTimeRecovery pitr;
  private final RecoveryTarget target;
  private final Path liveData;
  private final String name;
  private final Duration stopTimeout;
  private @Nullable LostWrites prepared;

  private WholeClusterRestore(Builder b) {
    this.pitr = b.pitr;
    this.target = b.target;
    this.liveData = b.liveData.toAbsolutePath().normalize();
    this.name = b.name == null ? "cluster-" + SideBySideRestore.defaultName(b.target) : b.name;
    this.stopTimeout = b.stopTimeout;
  }

  public String name() {
    return name;
  }

  /** Where the live data directory is moved to: next to it, never deleted. */
  public Path asideDirectory() {
    return liveData.resolveSibling(liveData.getFileName() + ".before-" + name);
  }

  /**
   * Recovers the copy (or continues), verifies it, and counts and exports the writes the
   * replacement would lose. The live cluster is only read.
   */
  public LostWrites prepare() {
    return prepare(Progress.logOnly());
  }

  LostWrites prepare(Progress progress) {
    PointInTimeRecovery.Start start = pitr.startFor(target);
    RecoveredInstance inst = pitr.instance(name);
    inst.recover(start.backup(), target, start.timeline(), pitr.restoreCommand, pitr.bytesNeeded(start.backup()), progress);
    verify(inst, start.restorePoint());
    LostWrites lost = countLost(inst);
    this.prepared = lost;
    return lost;
  }

  private LostWrites countLost(RecoveredInstance inst) {
    Path export = inst.dir.resolve("exports").resolve("lost-writes-" + STAMP.format(pitr.clock.instant()) + ".jsonl");
    for (int n = 2; Files.exists(export); n++) {
      export = inst.dir.resolve("exports").resolve("lost-writes-" + STAMP.format(pitr.clock.instant()) + "-" + n + ".jsonl");
    }
    try {
      return ClusterDiff.lostWrites(pitr, inst, export);
    } catch (SQLException e) {
      throw new PitrException("cannot compare the live cluster with the copy recovered to " + target.describe() + ": "
          + e.getMessage(), e);
    }
  }

  private void verify(RecoveredInstance inst, Optional<RestorePoint> rp) {
    if (rp.isEmpty() || rp.get().fingerprints().isEmpty()) return;
    try (Connection c = inst.connect(rp.get().database())) {
      for (var e : rp.get().fingerprints().entrySet()) {
        var now = dev.rollback.jdbc.Fingerprint.of(c, e.getKey());
        if (!now.matches(e.getValue())) {
          throw new PitrException("the copy recovered to " + target.describe() + " in " + inst.dir + " does not match the"
              + " fingerprint of " + e.getKey() + " taken at the restore point (" + e.getValue().rows() + " rows then, " + now.rows()
              + " recovered): the live cluster was not touched");
        }
      }
    } catch (SQLException e) {
      throw new PitrException("cannot verify the copy recovered to " + target.describe() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The replacement, behind {@code gate}: its question says which writes are lost (per table) and
   * where they were exported. Calls {@link #prepare()} first if it was not called.
   */
  public Step step(Gate gate) {
    Objects.requireNonNull(gate, "gate");
    LostWrites lost = prepared != null ? prepared : prepare();
    String question = "replace the live cluster in " + liveData + " with the copy recovered to " + target.describe()
        + ". This loses " + lost.describe() + ". The live data directory is moved to " + asideDirectory()
        + ", not deleted";
    return Step.builder("replace the live cluster")
        .execute(ctx -> replace(Progress.of(ctx), lost))
        .withApproval(gate)
        .idempotent()
        .describedAs(question)
        .build();
  }

  /** Replaces the live cluster now, accepting exactly {@code lost} (from {@link #prepare()}). */
  public void replace(LostWrites lost) {
    replace(Progress.logOnly(), lost);
  }

  void replace(Progress progress, LostWrites approved) {
    RecoveredInstance inst = pitr.instance(name);
    ServerDirectory live = new ServerDirectory(liveData, pitr.proc);
    Path aside = asideDirectory();
    String phase = inst.stateValue("swap").orElse("");
    if (phase.equals("started")) {
      progress.note("the live cluster in " + liveData + " already runs the copy recovered to " + target.describe());
      return;
    }
    if (phase.isEmpty()) {
      if (!inst.phase().equals("recovered")) {
        throw new PitrException("the copy recovered to " + target.describe() + " is not ready in " + inst.dir
            + ": prepare() it first; the live cluster was not touched");
      }
      if (inst.server().runningPid().isEmpty()) {
        PointInTimeRecovery.Start start = pitr.startFor(target);
        inst.recover(start.backup(), target, start.timeline(), pitr.restoreCommand, 0, progress);
      }
      LostWrites now = countLost(inst);
      if (!now.sameCounts(approved)) {
        throw new PitrException("the live cluster took writes after the question was asked: it would now lose " + now.describe()
            + ", not what was approved (" + approved.describe() + "). Nothing was stopped or moved: prepare again and ask again");
      }
      String opts = readOptions(live);
      inst.setStateValue("liveOptions", opts);
      inst.stop();
      progress.checkpoint("swap", "stopping the live server on " + liveData);
      if (!live.stop(stopTimeout)) {
        throw new PitrException("the live server on " + liveData + " did not stop within " + stopTimeout + " (pid "
            + live.runningPid().map(String::valueOf).orElse("?") + "): nothing was moved, its data directory is as it was;"
            + " find what holds it (pg_stat_activity, a backup in progress) and run the step again");
      }
      phase = "live-stopped";
      inst.setStateValue("swap", phase);
      progress.note("stopped the live server on " + liveData);
    }
    if (phase.equals("live-stopped")) {
      if (live.runningPid().isPresent()) {
        throw new PitrException("the live server on " + liveData + " runs again (pid " + live.runningPid().get() + ") after it was"
            + " stopped for the replacement: nothing was moved; stop it, or give up the replacement");
      }
      if (Files.exists(aside)) {
        throw new PitrException(aside + " already exists: the live data directory cannot be moved aside there; nothing was moved");
      }
      move(liveData, aside);
      phase = "live-moved";
      inst.setStateValue("swap", phase);
      progress.checkpoint("swap", "live data directory moved to " + aside);
      progress.note("moved the live data directory " + liveData + " to " + aside + " (kept)");
    }
    if (phase.equals("live-moved")) {
      if (inst.server().runningPid().isPresent()) inst.stop();
      inst.removeRecoverySettings();
      if (Files.exists(liveData)) {
        throw new PitrException(liveData + " exists again after the live data directory was moved to " + aside
            + ": not moving the recovered copy over it");
      }
      move(inst.data, liveData);
      phase = "copy-moved";
      inst.setStateValue("swap", phase);
      progress.checkpoint("swap", "recovered copy moved to " + liveData);
    }
    if (phase.equals("copy-moved")) {
      if (live.runningPid().isEmpty()) {
        List<String> options = parseOptions(inst.stateValue("liveOptions").orElse(""));
        live.start(options, inst.dir.resolve("live.log"), Duration.ofMinutes(1));
      }
      live.awaitReady(pitr.serverTimeout, inst.dir.resolve("live.log"), "starting the recovered cluster in " + liveData);
      String where;
      try (Connection c = pitr.live(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT pg_is_in_recovery(), (SELECT timeline_id FROM pg_control_checkpoint())")) {
        rs.next();
        where = "timeline " + rs.getInt(2) + (rs.getBoolean(1) ? ", still in recovery" : "");
      } catch (SQLException e) {
        throw new PitrException("the recovered cluster started in " + liveData + " but " + pitr.login + " cannot connect: "
            + e.getMessage(), e);
      }
      inst.setStateValue("swap", "started");
      progress.checkpoint("swap", "started");
      progress.note("the live cluster in " + liveData + " now runs the copy recovered to " + target.describe() + " (" + where
          + "); the replaced data directory is " + aside + (approved.export().map(p -> "; lost writes exported to " + p).orElse("")));
    }
  }

  private static void move(Path from, Path to) {
    try {
      Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.AtomicMoveNotSupportedException e) {
      throw new PitrException("cannot move " + from + " to " + to + " in one step (another file system): put the work"
          + " directory on the live data directory's file system", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + from + " to " + to, e);
    }
  }

  /** The live server's command line, as it recorded it in {@code postmaster.opts}. */
  private static String readOptions(ServerDirectory live) {
    try {
      return Files.readString(live.data.resolve("postmaster.opts"), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new PitrException("cannot read how the live server was started (" + live.data.resolve("postmaster.opts") + "): "
          + e.getMessage() + "; nothing was stopped or moved", e);
    }
  }

  /** The options of a {@code postmaster.opts} line without the program and its {@code -D}. */
  static List<String> parseOptions(String line) {
    List<String> tokens = new ArrayList<>();
    Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)").matcher(line);
    while (m.find()) tokens.add(m.group(1) != null ? m.group(1).replace("\\\"", "\"") : m.group(2));
    List<String> out = new ArrayList<>();
    for (int i = 1; i < tokens.size(); i++) {
      if (tokens.get(i).equals("-D")) {
        i++;
        continue;
      }
      out.add(tokens.get(i));
    }
    return out;
  }

  /** Configures a {@link WholeClusterRestore}. */
  public static final class Builder {
    private final PointInTimeRecovery pitr;
    private final RecoveryTarget target;
    private final Path liveData;
    private @Nullable String name;
    private Duration stopTimeout = Duration.ofMinutes(2);

    Builder(PointInTimeRecovery pitr, RecoveryTarget target, Path liveData) {
      this.pitr = pitr;
      this.target = target;
      this.liveData = liveData;
    }

    /** The restore's name: its directory under the work directory (which must be on the live data directory's file system). */
    public Builder named(String restoreName) {
      Objects.requireNonNull(restoreName, "restoreName");
      if (!restoreName.matches("[A-Za-z0-9._-]{1,63}")) {
        throw new IllegalArgumentException("restore name must be 1-63 letters, digits, '.', '_' or '-': '" + restoreName + "'");
      }
      this.name = restoreName;
      return this;
    }

    /** How long the live server may take to stop (default 2 min); it is never killed. */
    public Builder withStopTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("stop timeout must be positive: " + timeout);
      this.stopTimeout = timeout;
      return this;
    }

    public WholeClusterRestore build() {
      if (!Files.isDirectory(liveData) || !Files.exists(liveData.resolve("PG_VERSION"))) {
        throw new IllegalArgumentException("not a PostgreSQL data directory (no PG_VERSION): " + liveData);
      }
      return new WholeClusterRestore(this);
    }
  }

}
