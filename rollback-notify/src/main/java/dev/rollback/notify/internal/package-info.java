/** Implementation of the channels: HTTP posting, JSON, redaction. Not API. */
@NullMarked
package dev.rollback.notify.internal;

import org.jspecify.annotations.NullMarked;
