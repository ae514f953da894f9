package dev.rollback.flags;

/** The flag does not exist in the store. */
public final class UnknownFlagException extends FlagException {
  private static final long serialVersionUID = 1L;
  private final String flag;

  public UnknownFlagException(String store, String flag, String known) {
    super("flag '" + flag + "' does not exist in " + store + (known.isEmpty() ? "" : " (known flags: " + known + ")"));
    this.flag = flag;
  }

  public String flag() {
    return flag;
  }
}
