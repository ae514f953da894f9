package dev.rollback.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Step;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CoreStepTypesTest {
  static Map<String, StepType> types() {
    return ServiceLoader.load(StepType.class).stream().map(ServiceLoader.Provider::get)
        .collect(Collectors.toMap(StepType::name, t -> t));
  }

  @Test
  void coreRegistersHttpCheckWaitAndGate() {
    assertThat(types()).containsKeys("http.check", "wait", "gate");
  }

  @Test
  void aGateStepWaitsForApprovalWithTheTimeoutAndDecisionGiven() {
    Step s = types().get("gate").step(Arguments.of("test", Map.of("gate", "dba", "timeout", Duration.ofMinutes(5),
        "onTimeout", "PROCEED", "question", "drop the column?")));
    assertThat(s.approval()).hasValueSatisfying(g -> {
      assertThat(g.name()).isEqualTo("dba");
      assertThat(g.timeout()).isEqualTo(Duration.ofMinutes(5));
      assertThat(g.onTimeout()).isEqualTo(Decision.PROCEED);
    });
    assertThat(s.describe()).isEqualTo("ask at gate 'dba': drop the column");
  }

  @Test
  void aWaitIsBoundedByItsDurationSoPlansCanSumTheirWorstCase() {
    Step s = types().get("wait").step(Arguments.of("test", Map.of("duration", Duration.ofSeconds(30), "why", "caches")));
    assertThat(s.worstCase()).contains(Duration.ofSeconds(35));
    assertThat(s.describe()).isEqualTo("wait 30s for caches");
  }

  @Test
  void anHttpCheckRefusesAStatusThatIsNotOneOrARange() {
    StepType http = types().get("http.check");
    assertThat(http.parameters()).extracting(Parameter::name).containsExactly("url", "expectStatus", "within", "every");
    assertThatThrownBy(() -> http.step(Arguments.of("test", Map.of("url", URI.create("http://127.0.0.1:1/"),
        "expectStatus", "2xx", "within", Duration.ofSeconds(1), "every", Duration.ofSeconds(1)))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expectStatus").hasMessageContaining("'2xx'");
  }

  @Test
  void argumentsNameTheParameterAndThePlaceOfAMissingValue() {
    Arguments a = Arguments.of("plan.yaml:3:5 spec.stages[0].steps[0]", Map.of("n", 3));
    assertThatThrownBy(() -> a.duration("within")).hasMessage("plan.yaml:3:5 spec.stages[0].steps[0]: parameter 'within' has no value");
    assertThatThrownBy(() -> a.duration("n")).hasMessageContaining("parameter 'n' is a Integer, not a Duration");
    assertThat(a.integer("n")).isEqualTo(3);
    assertThat(List.of(a.has("n"), a.has("within"))).containsExactly(true, false);
  }

  @Test
  void aParameterChecksItsOwnDeclaration() {
    assertThatThrownBy(() -> Parameter.required("Bad-Name", Parameter.Type.STRING, "x"))
        .hasMessageContaining("lowerCamelCase");
    assertThatThrownBy(() -> Parameter.optional("n", Parameter.Type.STRING, "x").between(1, 2))
        .hasMessageContaining("bounds apply to numbers");
    assertThatThrownBy(() -> Parameter.required("n", Parameter.Type.STRING, "x").withDefault("1"))
        .hasMessageContaining("cannot have a default");
  }
}
