package io.jindouyun.bench;

/**
 * One chat of the chaos bench: when it started (epoch ms, so the fault script's clock can place
 * it), how it ended, its time to first token (ms from its start; -1 without one), how often its
 * stream was read again with {@code Last-Event-ID}, and its error (null when none).
 */
record ChaosChat(
    int index, long startMs, ChaosOutcome outcome, double ttftMs, int reconnects, String error) {}
