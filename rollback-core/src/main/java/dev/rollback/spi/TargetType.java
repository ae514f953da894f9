package dev.rollback.spi;

import java.util.List;

/**
 * A kind of system that plan files declare once under {@code targets} and steps reference by
 * name ({@code target: lb}): an HAProxy admin socket, a flagd file, a JDBC URL, a kubeconfig
 * context, a notification channel. Registered like {@link StepType}, in
 * {@code META-INF/services/dev.rollback.spi.TargetType}.
 *
 * <p>{@link #open} builds the client object the module's steps take (a {@code TrafficRouter}, a
 * {@code FlagStore}, a {@code DataSource}, a {@code Kubernetes}, a {@code Notifier}). It should
 * not contact the system: validating and outlining a plan opens its targets without reaching
 * them. When the object is {@link AutoCloseable}, whoever opened it closes it.
 */
public interface TargetType {

  /** The name plan files use under {@code type}: {@code haproxy}, {@code flagd}, {@code jdbc}. */
  String name();

  /** One sentence saying what the target is. */
  String summary();

  /** The parameters a declaration of this type gives. */
  List<Parameter> parameters();

  /** The client object for the declared system, from checked arguments. */
  Object open(Arguments args) throws Exception;
}
