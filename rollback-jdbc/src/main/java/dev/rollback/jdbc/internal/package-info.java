/** Implementation of rollback-jdbc: script lexing, statement classification, archive, runner. Not API. */
@NullMarked
package dev.rollback.jdbc.internal;

import org.jspecify.annotations.NullMarked;
