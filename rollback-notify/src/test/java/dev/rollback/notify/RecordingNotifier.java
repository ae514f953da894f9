package dev.rollback.notify;

import dev.rollback.Notification;
import dev.rollback.Notifier;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what it was asked to send; optionally throws what a script says first. */
final class RecordingNotifier implements Notifier {
  private final String name;
  private final List<Notification> sent = new CopyOnWriteArrayList<>();
  private final List<Exception> failures = new CopyOnWriteArrayList<>();
  private volatile int calls;

  RecordingNotifier(String name) {
    this.name = name;
  }

  RecordingNotifier failingWith(Exception... es) {
    failures.addAll(List.of(es));
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws Exception {
    calls++;
    if (!failures.isEmpty()) throw failures.remove(0);
    sent.add(n);
  }

  List<Notification> sent() {
    return List.copyOf(sent);
  }

  int calls() {
    return calls;
  }
}
