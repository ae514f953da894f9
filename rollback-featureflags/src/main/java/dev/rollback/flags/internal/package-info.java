/** Implementation of the flag stores (JSON, HTTP, hashing); not API. */
@NullMarked
package dev.rollback.flags.internal;

import org.jspecify.annotations.NullMarked;
