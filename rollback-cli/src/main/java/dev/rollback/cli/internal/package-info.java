/** The loader, writer, schemas and command line of rollback-cli; not API. */
@NullMarked
package dev.rollback.cli.internal;

import org.jspecify.annotations.NullMarked;
