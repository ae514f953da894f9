package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link dev.rollback.test.StateAdapterContract} for a Swarm service on the real dockerd: the
 * two states differ in the image and in the config the spec references, both read back from the
 * daemon after real updates, so every restore also puts the config reference back.
 */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class SwarmServiceAdapterContractIT extends dev.rollback.test.StateAdapterContract<SwarmServiceState> {
  static RealSwarm docker;
  static String name;
  static SwarmService service;
  static SwarmServiceState good;
  static SwarmServiceState changed;

  @BeforeAll
  static void createTheService() {
    docker = RealSwarm.get();
    name = RealSwarm.unique("contract");
    String v1Config = name + "-v1";
    String v1ConfigId = docker.createConfig(v1Config, "mode=v1");
    var spec = docker.serviceSpec(name, docker.image("1"), 1);
    RealSwarm.attachConfig(spec, v1ConfigId, v1Config, "/app.conf");
    docker.create(spec);
    docker.awaitConverged(name, Duration.ofSeconds(60));
    service = docker.swarm.service(name).withConvergeTimeout(Duration.ofSeconds(60));
    good = service.capture();

    String v2Config = name + "-v2";
    String v2ConfigId = docker.createConfig(v2Config, "mode=v2");
    String v2 = docker.image("2");
    docker.update(name, sp -> {
      RealSwarm.setImage(sp, v2);
      RealSwarm.attachConfig(sp, v2ConfigId, v2Config, "/app.conf");
    });
    docker.awaitConverged(name, Duration.ofSeconds(60));
    changed = service.capture();
    assertThat(changed.configs()).containsExactly(v2Config + " (" + v2ConfigId + ")");
  }

  @AfterAll
  static void removeTheService() {
    docker.remove(name);
  }

  @Override
  protected StateAdapter<SwarmServiceState> adapter() {
    return service.adapter();
  }

  @Override
  protected SwarmServiceState knownGoodState() {
    return good;
  }

  @Override
  protected SwarmServiceState changedState() {
    return changed;
  }

  @Override
  protected StateSteps<SwarmServiceState> steps(StateAdapter<SwarmServiceState> adapter) {
    return StateSteps.on(adapter).awaitingSettled(Duration.ofSeconds(60), Duration.ofMillis(100));
  }

  /** Any write shows: the service's spec, previous spec, update status, and which tasks are meant to run. */
  @Override
  protected Object fingerprint(StateAdapter<SwarmServiceState> adapter) {
    return docker.writeMarks(name);
  }
}
