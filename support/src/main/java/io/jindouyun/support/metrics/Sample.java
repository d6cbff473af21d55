package io.jindouyun.support.metrics;

/**
 * Everything a snapshot is computed from, taken at one instant.
 *
 * @param monotonicNanos {@link System#nanoTime()} when taken
 * @param wallMillis wall-clock time when taken
 * @param meters the agreed meters
 * @param process process and machine figures
 */
public record Sample(
    long monotonicNanos, long wallMillis, MeterTotals meters, ProcessFigures process) {}
