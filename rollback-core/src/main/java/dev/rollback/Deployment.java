package dev.rollback;

import java.util.Objects;

/**
 * The deployment a run is about: a service and the version that went out. {@link #id()} is what
 * the journal, leases and guards key on ("checkout@2.4.0").
 */
public record Deployment(String service, String version) {
  public Deployment {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(version, "version");
    if (service.isBlank()) throw new IllegalArgumentException("service must not be blank");
    if (version.isBlank()) throw new IllegalArgumentException("version must not be blank");
  }

  public static Deployment of(String service, String version) {
    return new Deployment(service, version);
  }

  public String id() {
    return service + "@" + version;
  }

  @Override
  public String toString() {
    return id();
  }
}
