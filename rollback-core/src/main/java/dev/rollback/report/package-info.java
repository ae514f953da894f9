/**
 * Reports built from a run's journal: {@link dev.rollback.report.RunReport} (outcome, per-step
 * timings, decisions, failures with causes) as JSON and Markdown; incident timelines and
 * post-mortem drafts.
 */
@NullMarked
package dev.rollback.report;

import org.jspecify.annotations.NullMarked;
