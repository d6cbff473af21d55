package io.jindouyun.gateway.handshake;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the handshake pipeline ({@code jindouyun.gateway.handshake.*}).
 *
 * @param maxBodySize largest accepted request body; larger bodies get 413
 * @param maxMessages most messages in one request
 * @param maxTotalChars most characters over all message contents; more gets 413
 * @param models the model names a client may ask for
 * @param defaultModel the model used when the request names none
 * @param maxTokensLimit the largest {@code maxTokens} a client may ask for
 * @param maxTemperature the largest {@code temperature} a client may ask for (the least is 0)
 * @param maxConversationIdLength longest accepted {@code conversationId}
 * @param jobTtl how long after the handshake the answer is still wanted (the job's deadline)
 * @param rateLimit the per-user token bucket
 * @param send how the job is sent to Kafka
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.handshake")
public record HandshakeProperties(
    @DefaultValue("64KB") @NotNull DataSize maxBodySize,
    @DefaultValue("64") @Min(1) int maxMessages,
    @DefaultValue("32000") @Min(1) int maxTotalChars,
    @DefaultValue("jdy-dev-1") @NotEmpty List<String> models,
    @DefaultValue("jdy-dev-1") @NotNull String defaultModel,
    @DefaultValue("4096") @Min(1) int maxTokensLimit,
    @DefaultValue("2.0") double maxTemperature,
    @DefaultValue("128") @Min(1) int maxConversationIdLength,
    @DefaultValue("5m") @NotNull Duration jobTtl,
    @DefaultValue @Valid RateLimit rateLimit,
    @DefaultValue @Valid Send send) {

  /**
   * The per-user token bucket.
   *
   * @param capacity handshakes a user may make in a burst
   * @param refillPeriod time for one token to come back
   * @param maxBuckets users tracked at once; idle full buckets are evicted at the bound
   */
  public record RateLimit(
      @DefaultValue("20") @Min(1) int capacity,
      @DefaultValue("1s") @NotNull Duration refillPeriod,
      @DefaultValue("100000") @Min(1) int maxBuckets) {}

  /**
   * Sending the job to Kafka.
   *
   * @param attempts tries in all before the handshake fails with 503
   * @param backoff wait before the first retry; doubles per retry (with jitter)
   * @param maxBackoff the longest wait between tries
   * @param timeout how long one try may take until the broker's ack
   */
  public record Send(
      @DefaultValue("3") @Min(1) int attempts,
      @DefaultValue("100ms") @NotNull Duration backoff,
      @DefaultValue("1s") @NotNull Duration maxBackoff,
      @DefaultValue("5s") @NotNull Duration timeout) {}
}
