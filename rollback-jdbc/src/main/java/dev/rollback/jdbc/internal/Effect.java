package dev.rollback.jdbc.internal;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a destructive statement destroys, and so what is archived before it runs.
 *
 * @param kind what the statement does
 * @param table the table as written in the script
 * @param columns the columns whose values are lost (COLUMNS mode); empty for whole rows
 * @param where the rows affected ({@code null}: all rows)
 */
public record Effect(Kind kind, String table, List<String> columns, @Nullable String where) {
  public Effect {
    columns = List.copyOf(columns);
  }

  public enum Kind {
    DROP_TABLE(false),
    DROP_COLUMNS(true),
    TYPE_CHANGE(true),
    UPDATE(true),
    DELETE(false),
    TRUNCATE(false),
    /** Declared by a {@code -- rollback:archive table(cols)} directive. */
    DECLARED_COLUMNS(true),
    /** Declared by a {@code -- rollback:archive table} directive. */
    DECLARED_ROWS(false),
    /**
     * A dropped column kept in the table under a hidden name instead ({@code withDroppedColumnsKeptInPlace}):
     * nothing is copied; the rollback swaps it back or copies its values into the re-added column.
     */
    KEPT_IN_PLACE(true);

    private final boolean columnsMode;

    Kind(boolean columnsMode) {
      this.columnsMode = columnsMode;
    }

    /** Column values are put back into existing rows (true), or whole missing rows re-inserted (false). */
    public boolean columnsMode() {
      return columnsMode;
    }
  }

  public String describe() {
    String what = switch (kind) {
      case DROP_TABLE -> "drops table " + table;
      case DROP_COLUMNS -> "drops " + table + "(" + String.join(", ", columns) + ")";
      case TYPE_CHANGE -> "changes the type of " + table + "(" + String.join(", ", columns) + ")";
      case UPDATE -> "updates " + table + "(" + String.join(", ", columns) + ")";
      case DELETE -> "deletes rows of " + table;
      case TRUNCATE -> "truncates " + table;
      case DECLARED_COLUMNS -> "touches " + table + "(" + String.join(", ", columns) + ") (declared)";
      case DECLARED_ROWS -> "touches rows of " + table + " (declared)";
      case KEPT_IN_PLACE -> "drops " + table + "(" + String.join(", ", columns) + "), kept in place under a hidden name";
    };
    return where == null ? what : what + " where " + where;
  }
}
