package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.JavaMigration;
import dev.rollback.jdbc.Migration;
import dev.rollback.jdbc.MigrationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/** A migration with its parsed statements and what each destroys. */
public final class LoadedMigration {
  private final Migration info;
  private final List<SqlScript.Statement> up;
  private final List<List<Effect>> effects;
  private final List<SqlScript.Statement> down;
  private final @Nullable JavaMigration java;

  private LoadedMigration(Migration info, List<SqlScript.Statement> up, List<List<Effect>> effects,
      List<SqlScript.Statement> down, @Nullable JavaMigration java) {
    this.info = info;
    this.up = List.copyOf(up);
    this.effects = List.copyOf(effects);
    this.down = List.copyOf(down);
    this.java = java;
  }

  /** Parses and classifies a SQL pair; every problem names the file and line. */
  public static LoadedMigration sql(String version, String description, String script, String upText,
      @Nullable String undoScript, @Nullable String downText) {
    List<SqlScript.Statement> up = SqlScript.split(script, upText);
    if (up.isEmpty()) throw new MigrationException(script + ": the script has no statement");
    boolean irreversible = up.stream().anyMatch(s -> s.directives().contains("irreversible"));
    if (undoScript == null && !irreversible) {
      throw new MigrationException(script + " has no undo script U" + version.replace('.', '_') + "__….sql: add one, "
          + "or declare the migration irreversible with a '-- rollback:irreversible' line before its first statement");
    }
    if (undoScript != null && irreversible) {
      throw new MigrationException(script + " is declared irreversible but " + undoScript + " exists: remove one of them");
    }
    List<List<Effect>> effects = new ArrayList<>();
    for (SqlScript.Statement s : up) effects.add(StatementClassifier.classify(script, s));
    List<SqlScript.Statement> down = downText == null ? List.of() : SqlScript.split(undoScript, downText);
    if (downText != null) {
      for (SqlScript.Statement s : down) {
        // parse-check the undo script too, so a typo surfaces now and not mid-incident
        checkParses(undoScript, s);
      }
    }
    return new LoadedMigration(new Migration(version, description, script, undoScript, checksum(upText)), up, effects, down, null);
  }

  private static void checkParses(String origin, SqlScript.Statement s) {
    if (s.directives().contains("safe")) return;
    try {
      net.sf.jsqlparser.parser.CCJSqlParserUtil.parse(s.sql());
    } catch (net.sf.jsqlparser.JSQLParserException e) {
      throw new MigrationException(origin + ":" + s.line() + ": cannot parse the statement: " + firstLine(e)
          + " (mark it '-- rollback:safe' if the database accepts SQL the parser does not know)", e);
    }
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).trim();
  }

  public static LoadedMigration java(JavaMigration j) {
    List<Effect> declared = new ArrayList<>();
    for (String a : j.archives()) {
      declared.addAll(StatementClassifier.classify("java migration " + j.version(),
          new SqlScript.Statement("", 0, List.of("archive " + a))));
    }
    String script = "java:V" + j.version() + "__" + j.description().replace(' ', '_');
    Migration info = new Migration(j.version(), j.description(), script, j.down().isPresent() ? script + " (down)" : null, 0);
    return new LoadedMigration(info, List.of(), List.of(declared), List.of(), j);
  }

  /** CRC32 over the script's lines without their line ends, a leading BOM dropped: Flyway's checksum. */
  public static int checksum(String text) {
    CRC32 crc = new CRC32();
    String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
    for (String line : t.split("\r\n|\r|\n", -1)) {
      crc.update(line.getBytes(StandardCharsets.UTF_8));
    }
    // a trailing line end yields an empty last element that Flyway's line reader does not see
    return (int) crc.getValue();
  }

  public Migration info() { return info; }
  public String version() { return info.version(); }
  public List<SqlScript.Statement> up() { return up; }
  public List<List<Effect>> effects() { return effects; }
  public List<SqlScript.Statement> down() { return down; }
  public @Nullable JavaMigration java() { return java; }
  public boolean isDestructive() { return effects.stream().anyMatch(e -> !e.isEmpty()); }
}
