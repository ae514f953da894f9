package dev.rollback.cli.internal;

/**
 * Loads, on a second thread, what compiling any plan needs — the registered types, the loader and
 * the model — while the main thread reads and parses the file (a module's clients are loaded only
 * when a plan uses one of its targets). The main thread does not wait for it: whatever is not
 * ready yet, it loads itself.
 */
final class Preload {
  private Preload() {}

  private static final String[] CLASSES = {
      "dev.rollback.cli.internal.Compiler", "dev.rollback.cli.internal.Values", "dev.rollback.cli.internal.Ctx",
      "dev.rollback.RollbackPlan", "dev.rollback.Step", "dev.rollback.spi.StateSteps"};

  static void start() {
    Thread t = new Thread(() -> {
      try {
        Registry.get();
        for (String c : CLASSES) Class.forName(c, true, Preload.class.getClassLoader());
        java.security.MessageDigest.getInstance("SHA-256");
      } catch (Throwable e) {
        // only a head start: the main thread loads whatever this could not
      }
    }, "rollback-preload");
    t.setDaemon(true);
    t.start();
  }
}
