/**
 * Traffic rollback on HAProxy and NGINX. Coming with the load-balancer issue.
 */
@NullMarked
package dev.rollback.lb;

import org.jspecify.annotations.NullMarked;
