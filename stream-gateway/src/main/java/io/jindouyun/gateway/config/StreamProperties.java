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
 * @param maxBytesPerStream bytes one answer may buffer; over it the stream fails and is cancelled
 * @param globalByteBudget bytes all answers may buffer; over it new handshakes get 503
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
    @DefaultValue("256MB") @NotNull DataSize globalByteBudget,
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
