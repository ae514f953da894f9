package dev.rollback.k8s;

import dev.rollback.Change;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Objects;

/**
 * Blue/green by Service selector: a {@link Change} that points the Service at other pods
 * (e.g. {@code version=green}) and whose revert restores the selector captured at release start.
 * Derived by {@link StateSteps} from the selector's {@link StateAdapter} ({@link #selectorAdapter()}):
 * the selector is replaced whole (a JSON patch, not a merge), guarded by the resourceVersion read,
 * nothing is written when it already matches, and the steps reconcile by reading it back.
 */
public final class ServiceSwitch {
  private final ServiceSelector adapter;
  private final String namespace;
  private final String name;

  ServiceSwitch(KubernetesClient client, String namespace, String name) {
    this.adapter = new ServiceSelector(client, namespace, name);
    this.namespace = namespace;
    this.name = name;
  }

  public String describe() { return adapter.describe(); }

  /** The selector as a {@link StateAdapter}, for {@link StateSteps} and the adapter contract test. */
  public StateAdapter<Map<String, String>> selectorAdapter() { return adapter; }

  /** The Service's selector now. */
  public Map<String, String> selector() {
    return adapter.current();
  }

  /** Replaces the selector with {@code selector} (nothing is written when it already has it). */
  public void select(Map<String, String> selector) {
    Objects.requireNonNull(selector, "selector");
    adapter.select(Map.copyOf(selector));
  }

  /** A change that switches the Service to {@code selector}; its revert restores the captured selector. */
  public Change switchTo(Map<String, String> selector) {
    Objects.requireNonNull(selector, "selector");
    Map<String, String> target = Map.copyOf(selector);
    if (target.isEmpty()) throw new IllegalArgumentException("selector of " + describe() + " must not be empty");
    String label = "switch service " + name + " in " + namespace + " to " + adapter.describe(target).substring("selector ".length());
    Change c = StateSteps.change(label.replace('/', '-'), adapter, target);
    return c.withApply(c.apply().withDescription(label))
        .withRevert(c.revert().withDescription("switch " + describe() + " back to the selector captured at release start"));
  }

  @Override
  public String toString() {
    return "ServiceSwitch[" + namespace + "/" + name + "]";
  }
}
