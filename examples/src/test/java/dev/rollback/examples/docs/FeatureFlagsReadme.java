package dev.rollback.examples.docs;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.Bucketing;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.FlagSignalHook;
import dev.rollback.flags.FlagState;
import dev.rollback.flags.PropagationCheck;
import dev.rollback.flags.Rollout;
import dev.rollback.flags.UnleashFlagStore;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.Traffic;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/** What the examples of rollback-featureflags/README.md take as given. */
abstract class FeatureFlagsReadme {
  String adminToken;                  // an Unleash admin API token
  UnleashFlagStore unleash;
  FeatureFlags flags;
  Client client;                      // the application's OpenFeature client
  HaproxyRouter haproxy;              // rollback-lb
  RollbackEngine engine;
  HealthCheck health;
  URI oldHealthUri;
  List<String> userIds;
  boolean failed;                     // how the request went
  long start;                         // System.nanoTime() when the request started
}
