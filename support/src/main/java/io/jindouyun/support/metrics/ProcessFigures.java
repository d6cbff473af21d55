package io.jindouyun.support.metrics;

/**
 * Process and machine figures at one instant.
 *
 * @param cpuTimeNanos CPU time used by this process so far (negative when unknown)
 * @param processCpuLoad the JVM's own recent process CPU load 0..1 (negative when unknown)
 * @param systemCpuLoad recent CPU load of the whole machine 0..1 (negative when unknown)
 * @param heapUsedBytes heap in use
 * @param heapMaxBytes heap limit (committed when there is no limit)
 * @param rssBytes resident set size
 * @param processors processors available to the JVM
 * @param gcPauseMillis GC pause time so far, milliseconds (negative when unknown; see {@link
 *     GcPauses})
 * @param cpuStat the CFS counters of this process's cgroup ({@link CpuStat#UNKNOWN} when not
 *     readable)
 */
public record ProcessFigures(
    long cpuTimeNanos,
    double processCpuLoad,
    double systemCpuLoad,
    long heapUsedBytes,
    long heapMaxBytes,
    long rssBytes,
    int processors,
    long gcPauseMillis,
    CpuStat cpuStat) {}
