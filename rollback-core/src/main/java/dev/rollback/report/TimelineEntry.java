package dev.rollback.report;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One moment of an incident timeline: when, what kind of thing happened, who did it, on which
 * step, in a sentence; and the milestone it marks, if any.
 *
 * @param step the step path, stage or check the entry is about; empty for the run as a whole
 */
public record TimelineEntry(Instant at, Kind kind, Actor actor, String step, String text,
    @Nullable Milestone milestone) {

  public TimelineEntry {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(text, "text");
  }

  /** The milestone this entry marks. */
  public Optional<Milestone> milestoneMarked() {
    return Optional.ofNullable(milestone);
  }

  TimelineEntry marking(Milestone m) {
    return new TimelineEntry(at, kind, actor, step, text, m);
  }

  /** What kind of thing happened. */
  public enum Kind {
    /** The run was created, started, resumed or ended. */
    RUN,
    /** A trigger fired or a release started reverting. */
    TRIGGER,
    /** A stage or step started, finished, failed, was skipped or cancelled. */
    STEP,
    /** A gate opened or was decided. */
    GATE,
    /** A health check was evaluated. */
    HEALTH,
    /** A notification was sent, failed or dropped. */
    NOTIFICATION,
    /** A page went on to the next audience because nobody acknowledged it in time. */
    ESCALATION,
    /** The plan's time budget ran out. */
    BUDGET,
    /** A note, a journal repair, or a record of a kind this reader does not know. */
    NOTE
  }

  /** The incident milestones (as Rootly and FireHydrant name them). */
  public enum Milestone {
    /** The release was found bad: a trigger fired, or the rollback started. */
    DETECTED,
    /** A human took it: the first decision at a gate by a named person. */
    ACKNOWLEDGED,
    /** The rollback's last step finished: the bad release no longer serves. */
    MITIGATED,
    /** Verification passed and the run ended recovered. */
    RESOLVED
  }

  /** Who did it: the library's automation, a named human, or a gate's timeout. */
  public record Actor(Type type, String name) {
    public static final Actor ENGINE = new Actor(Type.AUTOMATION, "rollback engine");

    public Actor {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(name, "name");
    }

    public static Actor automation(String name) {
      return new Actor(Type.AUTOMATION, name);
    }

    public static Actor human(String name) {
      return new Actor(Type.HUMAN, name);
    }

    @Override
    public String toString() {
      return type == Type.HUMAN ? name : name + " (" + type.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }

    public enum Type { AUTOMATION, HUMAN, TIMEOUT }
  }
}
