package dev.rollback.k8s.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Step;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class K8sTypesTest {
  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name()))
        .contains("k8s.undo", "k8s.undoToKnownGood", "k8s.serviceSwitch", "k8s.setImage");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name())).contains("kubernetes");
  }

  @Test
  void anUndoOfEachKindWaitsForItsRolloutWithinItsTimeout() throws Exception {
    Kubernetes k8s = (Kubernetes) new K8sTypes.Cluster().open(Arguments.of("test", Map.of("server",
        URI.create("https://127.0.0.1:6443"), "token", "t", "insecureSkipTlsVerify", true)));
    try {
      for (String kind : new String[] {"deployment", "statefulSet", "daemonSet"}) {
        Step s = new K8sTypes.Undo().step(Arguments.of("test", Map.of("target", k8s, "namespace", "shop", "name", "checkout",
            "kind", kind, "toRevision", 3, "rolloutTimeout", Duration.ofMinutes(2))));
        assertThat(s.describe()).contains("checkout").contains("revision 3");
        assertThat(s.timeout()).contains(Duration.ofMinutes(2).plusSeconds(30));
      }
    } finally {
      k8s.client().close();
    }
  }
}
