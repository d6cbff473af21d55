package io.jindouyun.gateway.config;

import io.jindouyun.gateway.stream.StreamLimits;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Bounds and deadlines of the stream map and the SSE streams ({@code jindouyun.gateway.stream.*}).
 *
 * <p>The byte budget. {@code globalByteBudget} bounds the heap that all answer buffers hold, as
 * counted by {@code ByteBudget}: per live generation a fixed 512 bytes, its text's arrays at their
 * capacity (one byte per char while the text is Latin-1, two after) and each chunk held back out of
 * order (256 bytes plus two per char). Measured against the retained heap, that count is within a
 * few percent for answers and errs high for idle streams and held-back chunks ({@code
 * BudgetFootprint}, BENCHMARKS.md). New handshakes get 503 once seven eighths of it are used; a
 * chunk that takes it over the limit ends its answer with an {@code unavailable} error and drops
 * that answer's buffer.
 *
 * <p>Why 96 MB: {@code ./jdy up} starts a gateway with {@code -Xmx384m
 * -XX:+ExitOnOutOfMemoryError}. An idle gateway's live heap is about 27 MB; flooded at twice its
 * budget, its live heap after a full GC was the baseline plus the budget (155 MB at a 128 MB
 * budget: 27 + 128), and at 96 MB it was 108-120 MB, a third of the heap and under G1's 45%
 * threshold for starting a concurrent marking. The rest is for what the budget does not count: G1's
 * young generation and the copies a collection needs, a reader's events as they are written, the
 * Kafka consumer's fetched records, the SSE connections (about 3 KB each) and the user slots
 * ({@code maxUsers}). A gateway given a larger heap can be given a larger budget in proportion.
 *
 * @param maxBytesPerStream UTF-8 bytes one answer may buffer, its text and the chunks held back
 *     together; over it the stream fails with {@code stream-too-large} and is cancelled. Its heap
 *     is at most about twice that (UTF-16), plus its arrays' growth slack
 * @param globalByteBudget heap all answer buffers may hold (see above); from seven eighths of it
 *     new handshakes get 503, over it the answer whose chunk passed it ends with an error
 * @param maxUsers user slots (live or warm) held at once; over it new users get 503
 * @param maxReadersPerStream readers (tabs) of one stream at once; over it 429
 * @param maxPendingChunks out-of-order chunks held per stream while a gap is open
 * @param gapWait how long a missing chunk is waited for before the stream fails with an error
 * @param claimTimeout how long a new stream waits for its first reader before it is cancelled
 * @param ackTimeout how long a finished stream waits for its ack before its buffer is released
 * @param warmTimeout how long a user's slot stays for reuse after the stream ended
 * @param historySize acknowledged stream ids remembered per user
 * @param pingInterval how often an idle SSE stream gets a {@code : ping} comment
 * @param maxLifetime how long a stream may stay open from its handshake; then its readers get an
 *     {@code error} event (stream-expired), its answer is cancelled upstream and its buffer
 *     released. Longer than the handshake's job-ttl, so that the consumer's own expiry error
 *     normally ends the stream first
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.stream")
public record StreamProperties(
    @DefaultValue("1MB") @NotNull DataSize maxBytesPerStream,
    @DefaultValue("96MB") @NotNull DataSize globalByteBudget,
    @DefaultValue("100000") @Min(1) int maxUsers,
    @DefaultValue("8") @Min(1) int maxReadersPerStream,
    @DefaultValue("1024") @Min(1) int maxPendingChunks,
    @DefaultValue("5s") @NotNull Duration gapWait,
    @DefaultValue("30s") @NotNull Duration claimTimeout,
    @DefaultValue("2m") @NotNull Duration ackTimeout,
    @DefaultValue("2m") @NotNull Duration warmTimeout,
    @DefaultValue("16") @Min(0) int historySize,
    @DefaultValue("15s") @NotNull Duration pingInterval,
    @DefaultValue("6m") @NotNull Duration maxLifetime) {

  /** The bounds as the stream map takes them. */
  StreamLimits limits() {
    return new StreamLimits(
        maxBytesPerStream.toBytes(),
        globalByteBudget.toBytes(),
        maxUsers,
        maxReadersPerStream,
        maxPendingChunks,
        gapWait,
        claimTimeout,
        ackTimeout,
        warmTimeout,
        historySize,
        maxLifetime);
  }
}
