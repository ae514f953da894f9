package dev.rollback.detect;

/** Reaches {@link RequestRecorder}'s slot count from tests in other packages. */
public final class RequestRecorderSlots {
  private RequestRecorderSlots() {}

  public static RequestRecorder withSlots(String name, int slots) {
    return RequestRecorder.withSlots(name, slots);
  }
}
