package dev.rollback.test;

import dev.rollback.communication.Notification;
import dev.rollback.communication.Notifier;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A notifier that keeps every {@link Notification} it is asked to send, and fails on demand: the
 * next sends ({@link #failNext}) or every send until told otherwise ({@link #failAlways}).
 * Notifications are delivered on the engine's own threads, so {@link #awaitSent} waits (bounded)
 * for them. Thread-safe.
 *
 * <pre>{@code
 * RecordingNotifier chat = RecordingNotifier.named("chat");
 * chat.failNext(new IOException("503 from Slack"));          // the first send fails, the retry lands
 * ...
 * assertThat(chat.awaitSent(1, Duration.ofSeconds(5))).singleElement()
 *     .extracting(Notification::kind).isEqualTo(NotificationKind.ROLLBACK_TRIGGERED);
 * }</pre>
 */
public final class RecordingNotifier implements Notifier {
  private final String name;
  private final List<Notification> sent = new ArrayList<>();
  private final Deque<Exception> nextFailures = new ArrayDeque<>();
  private @Nullable Exception alwaysFailing;
  private int calls;

  private RecordingNotifier(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  public static RecordingNotifier named(String name) {
    return new RecordingNotifier(name);
  }

  /** The next sends throw {@code failures}, one each, in order; later sends succeed again. */
  public synchronized void failNext(Exception... failures) {
    for (Exception e : failures) nextFailures.add(Objects.requireNonNull(e, "failure"));
  }

  /** Every send throws {@code failure} until {@link #stopFailing()}. */
  public synchronized void failAlways(Exception failure) {
    alwaysFailing = Objects.requireNonNull(failure, "failure");
  }

  /** Sends succeed again (failures still queued by {@link #failNext} are dropped). */
  public synchronized void stopFailing() {
    alwaysFailing = null;
    nextFailures.clear();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized void send(Notification notification) throws Exception {
    Objects.requireNonNull(notification, "notification");
    calls++;
    if (!nextFailures.isEmpty()) throw nextFailures.poll();
    if (alwaysFailing != null) throw alwaysFailing;
    sent.add(notification);
    notifyAll();
  }

  /** The notifications sent successfully, in order. */
  public synchronized List<Notification> sent() {
    return List.copyOf(sent);
  }

  /** How many times {@link #send} was called, failed sends included. */
  public synchronized int calls() {
    return calls;
  }

  /**
   * Waits until at least {@code count} notifications were sent, at most {@code within}, and returns
   * them all; an {@link AssertionError} says how many came and what they were otherwise.
   */
  public synchronized List<Notification> awaitSent(int count, Duration within) throws InterruptedException {
    Objects.requireNonNull(within, "within");
    long deadline = System.nanoTime() + within.toNanos();
    while (sent.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("notifier '" + name + "' was sent " + sent.size() + " of the " + count
            + " notifications expected within " + within + " (" + calls + " send calls): "
            + sent.stream().map(Notification::title).toList());
      }
      wait(Math.max(1, left / 1_000_000), 0);
    }
    return List.copyOf(sent);
  }

  @Override
  public String toString() {
    return "RecordingNotifier[" + name + "]";
  }
}
