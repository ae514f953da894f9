package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.lb.LoadGenerator.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Zero loss, request by request: the responses received are matched against the requests sent
 * and against what each backend says it served. Every request id sent is answered exactly once,
 * with 200, carrying its own id, by the backend that logged serving it — and that backend served
 * it exactly once.
 */
final class RequestLedger {
  private RequestLedger() {}

  /** Asserts zero loss for {@code load}'s requests ({@code responses} = {@code load.stop()}) served by {@code backends}. */
  static void assertEveryRequestAnsweredExactlyOnce(LoadGenerator load, List<Response> responses, TestBackend... backends) {
    List<String> sent = load.sentIds();
    assertThat(sent).as("requests sent").hasSizeGreaterThan(300);
    assertThat(responses).extracting(Response::id).as("the responses received, by request id")
        .containsExactlyInAnyOrderElementsOf(sent);
    assertThat(responses).filteredOn(r -> !r.ok() || !r.echoedId().equals(r.id()))
        .as("requests not answered with 200 carrying their own id (of %d)", responses.size()).isEmpty();

    Map<String, List<String>> servedBy = new HashMap<>();
    for (TestBackend b : backends) {
      for (String id : b.servedIds(load.prefix() + "-")) servedBy.computeIfAbsent(id, k -> new ArrayList<>()).add(b.name());
    }
    Map<String, List<String>> notOnce = servedBy.entrySet().stream().filter(e -> e.getValue().size() != 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertThat(notOnce).as("requests that reached the backends more than once").isEmpty();
    assertThat(servedBy.keySet()).as("requests the backends served").containsExactlyInAnyOrderElementsOf(sent);
    List<String> mismatched = responses.stream().filter(r -> !List.of(r.servedBy()).equals(servedBy.get(r.id())))
        .map(r -> r.id() + " answered as " + r.servedBy() + " but served by " + servedBy.get(r.id())).toList();
    assertThat(mismatched).as("responses whose X-Served-By is not the backend that served them").isEmpty();
  }
}
