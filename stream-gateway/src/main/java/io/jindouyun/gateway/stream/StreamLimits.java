package io.jindouyun.gateway.stream;

import java.time.Duration;

/**
 * The bounds and deadlines of the stream map.
 *
 * @param maxBytesPerStream bytes (UTF-8) one generation may buffer, text and held-back chunks
 *     together; over it the stream fails
 * @param globalByteBudget heap all streams' buffers may hold, as {@link ByteBudget} counts it; from
 *     seven eighths of it new streams are refused, over it the answer that passed it fails
 * @param maxUsers user slots held at once; over it new users are refused
 * @param maxReadersPerStream readers (tabs) following one stream at once
 * @param maxPendingChunks out-of-order chunks held while waiting for a gap to fill
 * @param gapWait how long a missing chunk is waited for before the stream fails
 * @param claimTimeout how long a new stream waits for its first reader before it expires
 * @param ackTimeout how long a finished stream waits for its ack before it is released
 * @param warmTimeout how long a user's slot stays after its stream ended, for reuse
 * @param historySize delivered stream ids remembered per user
 * @param maxLifetime how long a generation may stay open from its handshake; then it ends with an
 *     error and its buffer is released
 */
public record StreamLimits(
    long maxBytesPerStream,
    long globalByteBudget,
    int maxUsers,
    int maxReadersPerStream,
    int maxPendingChunks,
    Duration gapWait,
    Duration claimTimeout,
    Duration ackTimeout,
    Duration warmTimeout,
    int historySize,
    Duration maxLifetime) {}
