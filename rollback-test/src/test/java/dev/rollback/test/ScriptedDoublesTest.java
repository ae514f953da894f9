package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Deployment;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScriptedDoublesTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void aScriptedCheckAnswersItsScriptThenRepeatsTheLastAnswer() {
    ScriptedCheck check = ScriptedCheck.answering("checkout", HealthStatus.UP, HealthStatus.DOWN);

    assertThat(check.check().status()).isEqualTo(HealthStatus.UP);
    assertThat(check.check().status()).isEqualTo(HealthStatus.DOWN);
    assertThat(check.check().status()).isEqualTo(HealthStatus.DOWN);
    check.alwaysAnswer(HealthStatus.UNKNOWN);
    assertThat(check.check().detail()).isEqualTo("scripted UNKNOWN (check 4)");
    assertThat(check.calls()).isEqualTo(4);
  }

  @Test
  void aThrowingCheckBreaksItsPromiseSoCallersCanBeTested() {
    ScriptedCheck broken = ScriptedCheck.throwing("broken", new IllegalStateException("boom"));

    assertThatThrownBy(broken::check).isInstanceOf(IllegalStateException.class).hasMessage("boom");
    assertThat(broken.calls()).isEqualTo(1);
  }

  @Test
  void aScriptedSignalReportsWhatItWasFedAndWakesTheGuardOnAFailure() {
    ScriptedSignal requests = ScriptedSignal.requests("checkout requests");
    AtomicInteger wakeUps = new AtomicInteger();
    requests.addWakeUp(wakeUps::incrementAndGet);

    requests.record(90, 0);
    requests.record(5, 5, Duration.ofMillis(300));
    requests.recordUnknown(2);
    Observations seen = requests.observe(T0);

    assertThat(seen.total()).isEqualTo(102);
    assertThat(seen.failures()).isEqualTo(5);
    assertThat(seen.unknown()).isEqualTo(2);
    assertThat(seen.latency().count()).isEqualTo(100);
    assertThat(wakeUps).hasValue(1);
    assertThat(Trigger.errorRatio(requests).newEvaluator().evaluate(T0).verdict()).isNotNull();
  }

  @Test
  void aThrowingSignalLetsARuleShowHowItCopes() {
    ScriptedSignal broken = ScriptedSignal.throwing("broken", new IllegalStateException("metrics backend gone"));

    Evaluation e = Trigger.errorRatio(broken).newEvaluator().evaluate(T0);

    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("metrics backend gone");
  }

  @Test
  void aScriptedTriggerAnswersInOrderAndEachEvaluatorStartsTheScriptAgain() {
    ScriptedTrigger t = ScriptedTrigger.answering("errors", Duration.ofSeconds(3), Verdict.HOLD, Verdict.ROLL_BACK);
    Trigger.Evaluator first = t.newEvaluator();

    assertThat(first.evaluate(T0).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(first.evaluate(T0).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(first.evaluate(T0).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(t.newEvaluator().evaluate(T0).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(t.evaluations()).hasSize(4);
    assertThat(t.evaluatorsCreated()).isEqualTo(2);
    assertThat(t.worstCaseDetection()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aConditionalTriggerRollsBackOnceItsConditionHolds() {
    ScriptedTrigger late = ScriptedTrigger.rollingBackFrom("late errors", Duration.ofSeconds(10), T0.plusSeconds(30),
        "errors after 30 s");

    assertThat(late.newEvaluator().evaluate(T0.plusSeconds(29)).verdict()).isEqualTo(Verdict.HOLD);
    Evaluation e = late.newEvaluator().evaluate(T0.plusSeconds(30));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).isEqualTo("errors after 30 s");
  }

  @Test
  void aRecordingNotifierKeepsWhatItSentAndFailsOnDemand() throws Exception {
    RecordingNotifier chat = RecordingNotifier.named("chat");
    chat.failNext(new IOException("503 from the chat server"));

    assertThatThrownBy(() -> chat.send(notification("first"))).isInstanceOf(IOException.class);
    chat.send(notification("second"));
    chat.failAlways(new IOException("gone"));
    assertThatThrownBy(() -> chat.send(notification("third"))).hasMessage("gone");
    chat.stopFailing();
    chat.send(notification("fourth"));

    assertThat(chat.sent()).extracting(Notification::title).containsExactly("second", "fourth");
    assertThat(chat.calls()).isEqualTo(4);
    assertThat(chat.awaitSent(2, HANG_GUARD)).hasSize(2);
  }

  @Test
  void waitingForNotificationsThatNeverComeSaysWhatDidCome() throws Exception {
    RecordingNotifier pager = RecordingNotifier.named("pager");
    pager.send(notification("only one"));

    assertThatThrownBy(() -> pager.awaitSent(2, Duration.ofMillis(20)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("notifier 'pager' was sent 1 of the 2 notifications expected within PT0.02S")
        .hasMessageContaining("[only one]");
  }

  @Test
  void scriptedStepsSayThatTheirWithMethodsReturnANewDouble() {
    ScriptedStep db = ScriptedStep.named("db");
    ScriptedStep failing = db.withFailures(1);

    assertThat(failing).isNotSameAs(db);
    assertThatThrownBy(() -> failing.step().action().run(FakeStepContext.create()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("scripted failure 1 of 1");
    org.assertj.core.api.Assertions.assertThatCode(() -> db.step().action().run(FakeStepContext.create()))
        .doesNotThrowAnyException();
  }

  private static Notification notification(String title) {
    return new Notification(NotificationKind.ROLLBACK_TRIGGERED, "engineering", "run-1", "plan",
        Deployment.of("checkout", "2.4.0"), title, "text", Map.of(), Notification.dedupKeyFor("run-1"), T0);
  }
}
