/**
 * Feature-flag rollback: kill switches and gradual shifting on OpenFeature, flagd and Unleash. Coming with the feature-flag issue.
 */
@NullMarked
package dev.rollback.flags;

import org.jspecify.annotations.NullMarked;
