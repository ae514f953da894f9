package dev.rollback.cli;

import dev.rollback.detect.Trigger;

/** A trigger of a plan file: the rule built from it, and what the file says in words (thresholds, window, samples). */
public record TriggerInfo(String description, Trigger trigger) {}
