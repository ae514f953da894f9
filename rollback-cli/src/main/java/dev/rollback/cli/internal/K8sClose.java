package dev.rollback.cli.internal;

import dev.rollback.k8s.Kubernetes;

/** Closes a cluster target's client; a class of its own so that loading the compiler loads nothing of fabric8. */
final class K8sClose {
  private K8sClose() {}

  static void close(Object kubernetes) {
    ((Kubernetes) kubernetes).client().close();
  }
}
