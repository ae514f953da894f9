/** Implementation of the load-balancer routers: runtime-API client, parsers, config writer. Not API. */
@NullMarked
package dev.rollback.lb.internal;

import org.jspecify.annotations.NullMarked;
