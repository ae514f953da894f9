package dev.rollback.jdbc;

import dev.rollback.jdbc.internal.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A migration written in Java: an up action, a down action (or a declaration that there is none),
 * and what the up action destroys, declared in the directive syntax ({@code "orders(discount)"},
 * {@code "orders"}) because Java code cannot be parsed for it.
 *
 * <pre>{@code
 * JavaMigration.builder("4", "backfill totals")
 *     .up(c -> c.createStatement().execute("UPDATE orders SET total = qty * price"))
 *     .down(c -> {})
 *     .archiving("orders(total)")
 *     .build();
 * }</pre>
 */
public final class JavaMigration {
  private final String version;
  private final String description;
  private final ConnectionWork up;
  private final @Nullable ConnectionWork down;
  private final List<String> archives;

  private JavaMigration(Builder b) {
    this.version = b.version;
    this.description = b.description;
    this.up = Objects.requireNonNull(b.up, () -> "Java migration " + b.version + " has no up action");
    if (b.down == null && !b.irreversible) {
      throw new IllegalStateException("Java migration " + b.version + " (" + b.description
          + ") has no down action: add .down(...) or declare it .irreversible()");
    }
    this.down = b.down;
    this.archives = List.copyOf(b.archives);
  }

  public static Builder builder(String version, String description) {
    return new Builder(version, description);
  }

  public String version() { return version; }
  public String description() { return description; }
  public ConnectionWork up() { return up; }
  public Optional<ConnectionWork> down() { return Optional.ofNullable(down); }
  public List<String> archives() { return archives; }

  @Override
  public String toString() {
    return "JavaMigration[" + version + " " + description + "]";
  }

  /** Builds a {@link JavaMigration}. */
  public static final class Builder {
    private final String version;
    private final String description;
    private @Nullable ConnectionWork up;
    private @Nullable ConnectionWork down;
    private boolean irreversible;
    private final List<String> archives = new ArrayList<>();

    private Builder(String version, String description) {
      this.version = Version.normalize(Objects.requireNonNull(version, "version"));
      this.description = Objects.requireNonNull(description, "description");
    }

    public Builder up(ConnectionWork up) {
      this.up = Objects.requireNonNull(up, "up");
      return this;
    }

    public Builder down(ConnectionWork down) {
      this.down = Objects.requireNonNull(down, "down");
      return this;
    }

    /** There is no down action; a plan that would reverse this migration fails validation. */
    public Builder irreversible() {
      this.irreversible = true;
      return this;
    }

    /** What the up action destroys: {@code "table(col, …)"} or {@code "table"}. */
    public Builder archiving(String... targets) {
      for (String t : targets) archives.add(Objects.requireNonNull(t, "target"));
      return this;
    }

    public JavaMigration build() {
      return new JavaMigration(this);
    }
  }
}
