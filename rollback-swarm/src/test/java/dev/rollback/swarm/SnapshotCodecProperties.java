package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.swarm.internal.Api;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

class SnapshotCodecProperties {

  @Property(tries = 200)
  void anySpecSurvivesTheSnapshotUnchanged(
      @ForAll @StringLength(min = 1, max = 30) String image,
      @ForAll @Size(max = 5) Map<@AlphaChars @StringLength(min = 1, max = 8) String, String> labels,
      @ForAll long replicas) {
    ObjectNode spec = Api.JSON.createObjectNode();
    spec.put("Name", "svc");
    labels.forEach(spec.putObject("Labels")::put);
    spec.putObject("TaskTemplate").putObject("ContainerSpec").put("Image", image);
    spec.putObject("Mode").putObject("Replicated").put("Replicas", replicas);
    SwarmServiceState state = new SwarmServiceState("svc", spec);

    SwarmServiceState back = SwarmServiceAdapter.CODEC.decode(SwarmServiceAdapter.CODEC.encode(state));

    assertThat(back).isEqualTo(state);
    assertThat(back.image()).isEqualTo(image);
    assertThat(back.replicas()).hasValue(replicas);
  }
}
