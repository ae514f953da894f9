package dev.rollback.jdbc.pitr;

import java.time.Instant;
import java.util.Objects;

/** Where a recovery stops: a named restore point, a WAL position (LSN), or a time. */
public sealed interface RecoveryTarget {

  /** Recover up to the restore point called {@code name} (one this library created and registered). */
  static RecoveryTarget restorePoint(String name) {
    return new Named(name);
  }

  /** Recover up to and including the WAL position {@code lsn}, e.g. {@code 0/3000148}. */
  static RecoveryTarget lsn(String lsn) {
    return new Lsn(lsn);
  }

  /** Recover up to and including the transactions committed at {@code time}. */
  static RecoveryTarget time(Instant time) {
    return new Time(time);
  }

  /** The sentence reports and errors use, e.g. {@code restore point 'rollback-42'}. */
  String describe();

  /** A restore point by name. */
  record Named(String name) implements RecoveryTarget {
    public Named {
      Objects.requireNonNull(name, "restore point name");
      if (name.isBlank()) throw new IllegalArgumentException("restore point name must not be blank");
    }

    @Override
    public String describe() {
      return "restore point '" + name + "'";
    }
  }

  /** A WAL position. */
  record Lsn(String lsn) implements RecoveryTarget {
    public Lsn {
      Objects.requireNonNull(lsn, "lsn");
      if (!lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
        throw new IllegalArgumentException("lsn must look like 0/3000148: '" + lsn + "'");
      }
    }

    @Override
    public String describe() {
      return "LSN " + lsn;
    }
  }

  /** A point in time. */
  record Time(Instant time) implements RecoveryTarget {
    public Time {
      Objects.requireNonNull(time, "time");
    }

    @Override
    public String describe() {
      return "time " + time;
    }
  }
}
