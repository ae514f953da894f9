package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.swarm.internal.Api;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The state of one Swarm service that a rollback restores: its whole spec, as the daemon returns
 * it ({@code docker service inspect}'s {@code Spec}), including the config and secret references
 * (by id and name; a secret's value never appears in a spec). Immutable; equal when the specs are
 * equal field by field.
 */
public final class SwarmServiceState {
  private final String service;
  private final ObjectNode spec;
  private final String specJson;

  SwarmServiceState(String service, JsonNode spec) {
    this.service = Objects.requireNonNull(service, "service");
    if (!(Objects.requireNonNull(spec, "spec") instanceof ObjectNode o)) {
      throw new IllegalArgumentException("spec of service " + service + " must be a JSON object: " + spec);
    }
    // through text, so equal specs are equal trees whoever built them (5 parses as an int node,
    // whether it was put as an int or a long)
    this.specJson = o.toString();
    try {
      this.spec = (ObjectNode) Api.JSON.readTree(specJson);
    } catch (IOException e) {
      throw new IllegalStateException("spec of service " + service + " does not read back: " + e.getMessage(), e);
    }
  }

  /** A state from a spec in the Docker Engine API's JSON form (as {@code docker service inspect} shows it). */
  public static SwarmServiceState of(String service, String specJson) {
    Objects.requireNonNull(specJson, "specJson");
    try {
      return new SwarmServiceState(service, Api.JSON.readTree(specJson));
    } catch (IOException e) {
      throw new IllegalArgumentException("spec of service " + service + " is not JSON: " + e.getMessage(), e);
    }
  }

  /** The service's name. */
  public String service() { return service; }

  /** The spec as JSON. */
  public String specJson() { return specJson; }

  ObjectNode spec() { return spec.deepCopy(); }

  JsonNode taskTemplate() { return spec.path("TaskTemplate"); }

  /** The container image of the spec. */
  public String image() {
    return spec.path("TaskTemplate").path("ContainerSpec").path("Image").asText("");
  }

  /** The replica count of a replicated service; empty for a global one. */
  public OptionalLong replicas() {
    JsonNode r = spec.path("Mode").path("Replicated").path("Replicas");
    return r.isNumber() ? OptionalLong.of(r.asLong()) : OptionalLong.empty();
  }

  /** The configs the spec references, as {@code name (id)}. */
  public List<String> configs() {
    return references("Configs", "ConfigName", "ConfigID");
  }

  /** The secrets the spec references, as {@code name (id)}; never their values. */
  public List<String> secrets() {
    return references("Secrets", "SecretName", "SecretID");
  }

  private List<String> references(String field, String name, String id) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : spec.path("TaskTemplate").path("ContainerSpec").path(field)) {
      out.add(r.path(name).asText() + " (" + r.path(id).asText() + ")");
    }
    return List.copyOf(out);
  }

  /** This state with another image (everything else unchanged). */
  public SwarmServiceState withImage(String image) {
    Objects.requireNonNull(image, "image");
    if (image.isBlank()) throw new IllegalArgumentException("image of service " + service + " must not be blank");
    ObjectNode s = spec();
    JsonNode cs = s.path("TaskTemplate").path("ContainerSpec");
    if (!(cs instanceof ObjectNode c)) {
      throw new IllegalArgumentException("service " + service + " does not run containers (no TaskTemplate.ContainerSpec)");
    }
    c.put("Image", image);
    return new SwarmServiceState(service, s);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SwarmServiceState other && other.service.equals(service) && other.spec.equals(spec);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, spec);
  }

  /** In words, for step sentences and notes: {@code image app:1, configs [app-v1 (id)]}. */
  String summary() {
    return "image " + image() + (configs().isEmpty() ? "" : ", configs " + configs())
        + (secrets().isEmpty() ? "" : ", secrets " + secrets());
  }

  @Override
  public String toString() {
    return "SwarmServiceState[" + service + " " + summary() + "]";
  }
}
