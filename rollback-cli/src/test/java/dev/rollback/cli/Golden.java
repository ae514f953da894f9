package dev.rollback.cli;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** Where the golden plan files are, and the loader the tests use (secrets from a fixed environment). */
final class Golden {
  private Golden() {}

  static final Map<String, String> ENV = Map.of("UNLEASH_TOKEN", "t0ken", "DB_PASSWORD", "pw", "SLACK_WEBHOOK",
      "https://hooks.example/services/x", "PD_KEY", "routing-key", "HOOK_KEY", "hmac-key", "SMTP_PASSWORD", "smtp-pw",
      "K8S_TOKEN", "k8s-token");

  static Path dir() {
    try {
      return Path.of(Golden.class.getResource("/golden/checkout.yaml").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path file(String name) {
    return dir().resolve(name);
  }

  static Plans.Loader loader() {
    return Plans.loader().withEnvironment(ENV);
  }

  /** The source directory of the test resources, for writing golden expectations in update mode. */
  static Path sourceDir() {
    return Path.of("src/test/resources/golden").toAbsolutePath();
  }
}
