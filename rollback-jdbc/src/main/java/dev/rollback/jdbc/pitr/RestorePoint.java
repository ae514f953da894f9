package dev.rollback.jdbc.pitr;

import dev.rollback.Snapshot;
import dev.rollback.jdbc.Fingerprint;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A named restore point ({@code pg_create_restore_point}) as this library registered it: where it
 * is in the WAL, on which timeline, when, the base backup a recovery to it starts from, and the
 * fingerprints of the tables taken exactly at it (a recovery to it must reproduce them).
 *
 * @param database the database the fingerprints were taken in
 * @param backup the base backup (a directory under the backups directory) that precedes it
 * @param fingerprints by table name as given; empty when no table was named
 */
public record RestorePoint(String name, String lsn, int timeline, Instant time, String database, Path backup,
    Map<String, Fingerprint> fingerprints) {
  public RestorePoint {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(lsn, "lsn");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(backup, "backup");
    fingerprints = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fingerprints));
  }

  /** The journal's form: the known-good snapshot of the change that created it. */
  public Snapshot toSnapshot() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("restorePoint", name);
    v.put("lsn", lsn);
    v.put("timeline", Integer.toString(timeline));
    v.put("time", time.toString());
    v.put("database", database);
    v.put("backup", backup.toString());
    fingerprints.forEach((t, f) -> v.put("fingerprint." + t, f.encode()));
    return Snapshot.of(v);
  }

  /** Reads {@link #toSnapshot()}'s form back. */
  public static RestorePoint fromSnapshot(Snapshot s) {
    Map<String, Fingerprint> fps = new LinkedHashMap<>();
    s.values().forEach((k, v) -> {
      if (k.startsWith("fingerprint.")) {
        String table = k.substring("fingerprint.".length());
        fps.put(table, Fingerprint.decode(table, List.of(), v));
      }
    });
    return new RestorePoint(s.require("restorePoint"), s.require("lsn"), Integer.parseInt(s.require("timeline")),
        Instant.parse(s.require("time")), s.require("database"), Path.of(s.require("backup")), fps);
  }

  /** One line for notes and errors. */
  public String describe() {
    return "restore point '" + name + "' at LSN " + lsn + " on timeline " + timeline + ", " + time + " (base backup "
        + backup.getFileName() + (fingerprints.isEmpty() ? "" : ", fingerprints of " + fingerprints.keySet()) + ")";
  }
}
