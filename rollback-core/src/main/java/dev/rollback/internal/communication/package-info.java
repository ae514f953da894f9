/**
 * Notification delivery lanes and page escalation. Not public API.
 */
@NullMarked
package dev.rollback.internal.communication;

import org.jspecify.annotations.NullMarked;
