package dev.rollback.journal;

/** A record in the middle of a journal is unreadable: not a torn write, but damage. Names where. */
public final class JournalCorruptedException extends JournalException {
  private static final long serialVersionUID = 1L;
  private final String location;

  public JournalCorruptedException(String location, String problem) {
    super("journal " + location + " is damaged: " + problem
        + ". Records after it cannot be trusted; nothing was changed. Inspect or restore the file, then resume.");
    this.location = location;
  }

  /** Where the damage is, e.g. {@code /var/lib/app/journal/run-1.jsonl:17 (byte 4211)}. */
  public String location() {
    return location;
  }
}
