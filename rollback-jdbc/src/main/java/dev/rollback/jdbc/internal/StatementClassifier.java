package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.MigrationException;
import java.util.ArrayList;
import java.util.List;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import net.sf.jsqlparser.statement.alter.RenameTableStatement;
import net.sf.jsqlparser.statement.comment.Comment;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.sequence.CreateSequence;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.create.view.CreateView;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.update.Update;
import net.sf.jsqlparser.statement.update.UpdateSet;

/**
 * Classifies one statement with JSqlParser (never with regular expressions): what it destroys, as
 * {@link Effect}s. Additive statements (CREATE, ADD COLUMN, INSERT, RENAME, indexes, constraints)
 * destroy nothing. A statement the parser cannot read or does not know is destructive unless a
 * directive in the script declares what it touches: {@code -- rollback:archive orders(discount)},
 * {@code -- rollback:archive orders}, or {@code -- rollback:safe}.
 */
public final class StatementClassifier {
  private StatementClassifier() {}

  /** The effects of {@code stmt}; throws naming {@code origin} when it cannot be classified. */
  public static List<Effect> classify(String origin, SqlScript.Statement stmt) {
    List<Effect> declared = new ArrayList<>();
    boolean safe = false;
    for (String d : stmt.directives()) {
      if (d.equals("safe")) {
        safe = true;
      } else if (d.startsWith("archive ")) {
        declared.add(parseArchive(origin, stmt.line(), d.substring("archive ".length()).trim()));
      } else if (!d.equals("irreversible")) {
        throw new MigrationException(origin + ":" + stmt.line() + ": unknown directive '-- rollback:" + d
            + "'; known: '-- rollback:archive table(col, …)', '-- rollback:archive table', '-- rollback:safe', '-- rollback:irreversible'");
      }
    }
    if (safe) return List.of();
    if (!declared.isEmpty()) return declared;
    Statement parsed;
    try {
      parsed = CCJSqlParserUtil.parse(stmt.sql());
    } catch (JSQLParserException e) {
      throw new MigrationException(origin + ":" + stmt.line() + ": cannot parse the statement, so what it destroys is unknown ("
          + firstLine(e) + "). Fix the SQL, or declare what it touches on the line before it: "
          + "'-- rollback:archive table(col, …)', '-- rollback:archive table' or '-- rollback:safe'", e);
    }
    List<Effect> effects = effectsOf(parsed);
    if (effects == null) {
      throw new MigrationException(origin + ":" + stmt.line() + ": a " + parsed.getClass().getSimpleName()
          + " statement is not classified, so it counts as destructive. Declare what it touches on the line before it: "
          + "'-- rollback:archive table(col, …)', '-- rollback:archive table' or '-- rollback:safe'");
    }
    return effects;
  }

  /** null: not classifiable. */
  private static List<Effect> effectsOf(Statement s) {
    if (s instanceof CreateTable || s instanceof CreateIndex || s instanceof CreateView || s instanceof CreateSequence
        || s instanceof Insert || s instanceof Select || s instanceof Comment || s instanceof RenameTableStatement) {
      return List.of();
    }
    if (s instanceof Drop d) {
      String type = d.getType() == null ? "" : d.getType().toUpperCase(java.util.Locale.ROOT);
      if (type.equals("TABLE")) return List.of(new Effect(Effect.Kind.DROP_TABLE, d.getName().getFullyQualifiedName(), List.of(), null));
      if (type.equals("INDEX") || type.equals("VIEW") || type.equals("SEQUENCE")) return List.of();
      return null;
    }
    if (s instanceof Truncate t) {
      List<Effect> out = new ArrayList<>();
      List<net.sf.jsqlparser.schema.Table> tables = t.getTables() != null && !t.getTables().isEmpty() ? t.getTables() : List.of(t.getTable());
      for (net.sf.jsqlparser.schema.Table tb : tables) out.add(new Effect(Effect.Kind.TRUNCATE, tb.getFullyQualifiedName(), List.of(), null));
      return out;
    }
    if (s instanceof Delete d) {
      if (d.getJoins() != null && !d.getJoins().isEmpty() || d.getUsingList() != null && !d.getUsingList().isEmpty()
          || d.getLimit() != null || d.getWithItemsList() != null && !d.getWithItemsList().isEmpty()) {
        return null;
      }
      return List.of(new Effect(Effect.Kind.DELETE, d.getTable().getFullyQualifiedName(), List.of(),
          d.getWhere() == null ? null : d.getWhere().toString()));
    }
    if (s instanceof Update u) {
      if (u.getFromItem() != null || u.getJoins() != null && !u.getJoins().isEmpty() || u.getStartJoins() != null && !u.getStartJoins().isEmpty()
          || u.getLimit() != null || u.getWithItemsList() != null && !u.getWithItemsList().isEmpty()) {
        return null;
      }
      List<String> cols = new ArrayList<>();
      for (UpdateSet set : u.getUpdateSets()) {
        for (Column c : set.getColumns()) cols.add(c.getColumnName());
      }
      return List.of(new Effect(Effect.Kind.UPDATE, u.getTable().getFullyQualifiedName(), cols,
          u.getWhere() == null ? null : u.getWhere().toString()));
    }
    if (s instanceof Alter a) {
      String table = a.getTable().getFullyQualifiedName();
      List<String> dropped = new ArrayList<>();
      List<String> retyped = new ArrayList<>();
      for (AlterExpression e : a.getAlterExpressions()) {
        AlterOperation op = e.getOperation();
        switch (op) {
          case ADD, RENAME, RENAME_TABLE, RENAME_INDEX, RENAME_KEY, RENAME_CONSTRAINT, COMMENT, COMMENT_WITH_EQUAL_SIGN,
              DROP_PRIMARY_KEY, DROP_UNIQUE, DROP_FOREIGN_KEY -> { }
          case DROP -> {
            if (e.getColumnName() != null) dropped.add(e.getColumnName());
            else if (e.getConstraintName() == null && e.getIndex() == null) return null;
          }
          case ALTER, MODIFY, CHANGE -> {
            if (e.getColDataTypeList() != null) {
              for (AlterExpression.ColumnDataType t : e.getColDataTypeList()) retyped.add(t.getColumnName());
            }
            // SET DEFAULT, DROP NOT NULL and the like keep every value
          }
          default -> {
            return null;
          }
        }
      }
      List<Effect> out = new ArrayList<>();
      if (!dropped.isEmpty()) out.add(new Effect(Effect.Kind.DROP_COLUMNS, table, dropped, null));
      if (!retyped.isEmpty()) out.add(new Effect(Effect.Kind.TYPE_CHANGE, table, retyped, null));
      return out;
    }
    return null;
  }

  private static Effect parseArchive(String origin, int line, String spec) {
    int open = spec.indexOf('(');
    if (open < 0) {
      if (spec.isEmpty() || spec.contains(" ")) {
        throw new MigrationException(origin + ":" + line + ": malformed directive '-- rollback:archive " + spec
            + "'; write '-- rollback:archive table' or '-- rollback:archive table(col, …)'");
      }
      return new Effect(Effect.Kind.DECLARED_ROWS, spec, List.of(), null);
    }
    if (!spec.endsWith(")")) {
      throw new MigrationException(origin + ":" + line + ": malformed directive '-- rollback:archive " + spec
          + "'; write '-- rollback:archive table(col, …)'");
    }
    String table = spec.substring(0, open).trim();
    List<String> cols = new ArrayList<>();
    for (String c : spec.substring(open + 1, spec.length() - 1).split(",")) {
      if (!c.isBlank()) cols.add(c.trim());
    }
    if (table.isEmpty() || cols.isEmpty()) {
      throw new MigrationException(origin + ":" + line + ": malformed directive '-- rollback:archive " + spec
          + "'; write '-- rollback:archive table(col, …)'");
    }
    return new Effect(Effect.Kind.DECLARED_COLUMNS, table, cols, null);
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).trim();
  }
}
