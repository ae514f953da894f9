package dev.rollback.notify.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Step;
import dev.rollback.communication.Notifier;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.RecordingNotifier;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class NotifyTypesTest {
  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name())).contains("notify");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name()))
        .contains("slack", "pagerduty", "webhook", "email");
  }

  @Test
  void aChannelIsNamedWithoutItsSecret() throws Exception {
    Notifier slack = (Notifier) new NotifyTypes.Slack().open(Arguments.of("test", Map.of("webhook",
        "https://hooks.example/services/T0/B0/secret-part", "name", "#checkout")));
    assertThat(slack.name()).isEqualTo("#checkout");
    assertThat(slack.toString()).doesNotContain("secret-part");
  }

  @Test
  void theNotifyStepSendsItsMessageToTheChannel() throws Exception {
    RecordingNotifier channel = RecordingNotifier.named("team");
    Step s = new NotifyTypes.Notify().step(Arguments.of("test", Map.of("target", channel, "title", "Rolling back",
        "text", "flags off")));
    s.action().run(FakeStepContext.create());
    assertThat(channel.sent()).singleElement().satisfies(n -> {
      assertThat(n.title()).isEqualTo("Rolling back");
      assertThat(n.text()).isEqualTo("flags off");
    });
  }
}
