package dev.rollback.internal.spi;

import dev.rollback.Step;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** {@code http.check}: polls an HTTP endpoint until it answers as expected, or fails after {@code within}. */
public final class HttpCheckStepType implements StepType {
  @Override public String name() { return "http.check"; }

  @Override public String summary() {
    return "wait until an HTTP GET answers with an expected status, polling; fail when it does not within the wait";
  }

  @Override public List<Parameter> parameters() {
    return List.of(
        Parameter.required("url", Parameter.Type.URI, "the URL to GET"),
        Parameter.optional("expectStatus", Parameter.Type.STRING, "healthy statuses: one code or a range")
            .withDefault("200-299"),
        Parameter.optional("within", Parameter.Type.DURATION, "how long to wait for a healthy answer").withDefault("1m"),
        Parameter.optional("every", Parameter.Type.DURATION, "how often to ask").withDefault("2s"));
  }

  @Override public Step step(Arguments args) {
    URI url = args.uri("url");
    int[] range = statusRange(args.string("expectStatus"));
    Duration within = args.duration("within");
    Duration every = args.duration("every");
    String where = (url.getHost() == null ? url.toString() : url.getHost()) + (url.getPort() > 0 ? ":" + url.getPort() : "");
    HealthCheck check = HealthCheck.http("GET " + url, url).expectStatus(range[0], range[1]);
    return Step.builder("http check " + where)
        .execute(ctx -> {
          Instant deadline = ctx.clock().instant().plus(within);
          while (true) {
            Health h = check.check();
            if (h.status() == HealthStatus.UP) {
              ctx.note("GET " + url + ": " + h.detail());
              return;
            }
            if (!ctx.clock().instant().plus(every).isBefore(deadline)) {
              throw new IllegalStateException("GET " + url + " did not answer " + args.string("expectStatus") + " within "
                  + dev.rollback.internal.Durations.human(within) + "; last: " + h.status() + " " + h.detail());
            }
            ctx.sleep(every);
          }
        })
        .idempotent()
        .withTimeout(within.plus(Duration.ofSeconds(10)))
        .describedAs("wait until GET " + url + " answers " + args.string("expectStatus") + ", at most " + dev.rollback.internal.Durations.human(within))
        .build();
  }

  static int[] statusRange(String text) {
    String t = text.trim();
    try {
      int dash = t.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? t : t.substring(0, dash).trim());
      int to = dash < 0 ? from : Integer.parseInt(t.substring(dash + 1).trim());
      if (from < 100 || to > 599 || from > to) throw new NumberFormatException();
      return new int[] {from, to};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expectStatus must be a status code or a range such as 200-299 (100 to 599): '"
          + text + "'");
    }
  }
}
