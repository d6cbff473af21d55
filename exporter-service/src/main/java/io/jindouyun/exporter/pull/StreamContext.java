package io.jindouyun.exporter.pull;

import io.jindouyun.support.backoff.Backoff;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every {@link TargetStream} shares: the single-threaded executor they run on, where their
 * snapshots go, the reconnect backoff, the timings and the counters.
 *
 * @param intervalMs snapshot interval asked of the targets
 * @param idleTimeoutNanos silence after which an open stream counts as hung
 * @param firstSnapshotTimeoutNanos silence after which a stream without a snapshot yet counts as
 *     hung (covers the connect)
 * @param maxMessageBytes bound on one inbound snapshot
 */
record StreamContext(
    ScheduledExecutorService executor,
    SnapshotStore store,
    Backoff backoff,
    long intervalMs,
    long idleTimeoutNanos,
    long firstSnapshotTimeoutNanos,
    int maxMessageBytes,
    StreamStats stats) {}
