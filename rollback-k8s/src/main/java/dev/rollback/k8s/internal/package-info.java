/** Implementation helpers of rollback-k8s; not API. */
@NullMarked
package dev.rollback.k8s.internal;

import org.jspecify.annotations.NullMarked;
