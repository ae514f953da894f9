package dev.rollback.k8s.internal;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.k8s.DeploymentRollout;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.k8s.Revision;
import dev.rollback.k8s.RevisionedRollout;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.StateSteps;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cluster and workload steps plan files can name: target {@code kubernetes}; steps
 * {@code k8s.undo}, {@code k8s.undoToKnownGood}, {@code k8s.serviceSwitch} (also a release change)
 * and {@code k8s.setImage} (a release change). Registered in {@code META-INF/services}.
 */
public final class K8sTypes {
  private K8sTypes() {}

  static final Parameter TARGET = Parameter.required("target", Type.TARGET, "the cluster").withChoices("kubernetes");
  static final Parameter NAMESPACE = Parameter.required("namespace", Type.STRING, "the namespace");
  static final Parameter KIND = Parameter.optional("kind", Type.ENUM, "the workload's kind")
      .withChoices("deployment", "statefulSet", "daemonSet").withDefault("deployment");
  static final Parameter NAME = Parameter.required("name", Type.STRING, "the workload's name");
  static final Parameter ROLLOUT_TIMEOUT = Parameter.optional("rolloutTimeout", Type.DURATION,
      "how long to wait for the rollout to complete").withDefault("5m");

  static Step bounded(Step s, Arguments args) {
    return s.timeout().isPresent() ? s : s.withTimeout(args.duration("rolloutTimeout").plusSeconds(30));
  }

  /** The step of a Deployment, StatefulSet or DaemonSet, by {@code kind}. */
  static Step workloadStep(Arguments args, boolean knownGood) {
    Kubernetes k8s = args.target("target", Kubernetes.class);
    String ns = args.string("namespace");
    String name = args.string("name");
    Duration rollout = args.duration("rolloutTimeout");
    Revision target = args.has("toRevision") ? Revision.number(args.integer("toRevision")) : Revision.previous();
    String kind = args.string("kind");
    if (kind.equals("deployment")) {
      DeploymentRollout d = k8s.deployment(ns, name).withRolloutTimeout(rollout);
      return knownGood ? d.undoToKnownGood() : d.undoStep(target);
    }
    RevisionedRollout r = (kind.equals("statefulSet") ? k8s.statefulSet(ns, name) : k8s.daemonSet(ns, name))
        .withRolloutTimeout(rollout);
    return knownGood ? r.undoToKnownGood() : r.undoStep(target);
  }

  /** {@code kubernetes}: a cluster, from a kubeconfig (and context) or a server URL and token. */
  public static final class Cluster implements TargetType {
    @Override public String name() { return "kubernetes"; }
    @Override public String summary() { return "a Kubernetes API server, from a kubeconfig context or a server URL and token"; }
    @Override public List<Parameter> parameters() {
      return List.of(
          Parameter.optional("kubeconfig", Type.PATH, "the kubeconfig file; without it and without server, the usual lookup"),
          Parameter.optional("context", Type.STRING, "the kubeconfig context; its current one by default"),
          Parameter.optional("server", Type.URI, "the API server's URL, instead of a kubeconfig"),
          Parameter.optional("token", Type.SECRET, "a bearer token, with server"),
          Parameter.optional("insecureSkipTlsVerify", Type.BOOLEAN, "trust any certificate (test clusters only)")
              .withDefault("false"));
    }
    @Override public Object open(Arguments args) throws Exception {
      Config config;
      String context = args.has("context") ? args.string("context") : null;
      if (args.has("server")) {
        if (args.has("kubeconfig")) throw new IllegalArgumentException("give kubeconfig or server, not both");
        ConfigBuilder b = new ConfigBuilder(Config.empty()).withMasterUrl(args.uri("server").toString())
            .withRequestRetryBackoffLimit(0);
        if (args.has("token")) b = b.withOauthToken(args.secret("token"));
        config = b.build();
      } else if (args.has("kubeconfig")) {
        Path file = args.path("kubeconfig");
        config = Config.fromKubeconfig(context, Files.readString(file), file.toString());
      } else {
        config = Config.autoConfigure(context);
      }
      if (args.bool("insecureSkipTlsVerify")) {
        config.setTrustCerts(true);
        config.setDisableHostnameVerification(true);
      }
      return Kubernetes.using(new KubernetesClientBuilder().withConfig(config).build());
    }
  }

  /** {@code k8s.undo}. */
  public static final class Undo implements StepType {
    @Override public String name() { return "k8s.undo"; }
    @Override public String summary() { return "roll a Deployment, StatefulSet or DaemonSet back as kubectl rollout undo does, and wait for the rollout"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, NAMESPACE, NAME, KIND,
          Parameter.optional("toRevision", Type.INTEGER, "the revision to go back to; the previous one by default")
              .between(1, Integer.MAX_VALUE), ROLLOUT_TIMEOUT);
    }
    @Override public Step step(Arguments args) { return bounded(workloadStep(args, false), args); }
  }

  /** {@code k8s.undoToKnownGood}. */
  public static final class UndoToKnownGood implements StepType {
    @Override public String name() { return "k8s.undoToKnownGood"; }
    @Override public String summary() { return "roll a workload back to the revision captured before the deployment (rollback capture), with its config"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, NAMESPACE, NAME, KIND, ROLLOUT_TIMEOUT); }
    @Override public Step step(Arguments args) { return bounded(workloadStep(args, true), args); }
  }

  /** {@code k8s.serviceSwitch}. */
  public static final class ServiceSwitchType implements StepType {
    @Override public String name() { return "k8s.serviceSwitch"; }
    @Override public String summary() { return "blue/green: point a Service's selector at other pods (replaced whole)"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, NAMESPACE, Parameter.required("service", Type.STRING, "the Service's name"),
          Parameter.required("selector", Type.STRING_MAP, "the selector to set, e.g. {app: checkout, version: blue}"));
    }
    @Override public Step step(Arguments args) {
      var sw = args.target("target", Kubernetes.class).service(args.string("namespace"), args.string("service"));
      Map<String, String> selector = args.stringMap("selector");
      return StateSteps.restore("switch service " + args.string("service"), sw.selectorAdapter(), Map.copyOf(selector))
          .withDescription("point " + sw.describe() + " at " + selector)
          .withTimeout(Duration.ofSeconds(30));
    }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Change c = args.target("target", Kubernetes.class).service(args.string("namespace"), args.string("service"))
          .switchTo(args.stringMap("selector"));
      return c.withApply(c.apply().withTimeout(Duration.ofSeconds(30))).withRevert(c.revert().withTimeout(Duration.ofSeconds(30)));
    }
  }

  /** {@code k8s.setImage}. */
  public static final class SetImage implements StepType {
    @Override public String name() { return "k8s.setImage"; }
    @Override public String summary() { return "set a Deployment container's image and wait for the rollout; as a change, reverted to the captured revision"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, NAMESPACE, NAME, Parameter.required("container", Type.STRING, "the container's name"),
          Parameter.required("image", Type.STRING, "the image to set"), ROLLOUT_TIMEOUT);
    }
    @Override public Step step(Arguments args) {
      return bounded(change(args).apply().withName("set image " + args.string("container")), args);
    }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Change c = args.target("target", Kubernetes.class).deployment(args.string("namespace"), args.string("name"))
          .withRolloutTimeout(args.duration("rolloutTimeout")).setImage(args.string("container"), args.string("image"));
      return c.withApply(bounded(c.apply(), args)).withRevert(bounded(c.revert(), args));
    }
  }
}
