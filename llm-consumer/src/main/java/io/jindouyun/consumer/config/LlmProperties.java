package io.jindouyun.consumer.config;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The OpenAI-compatible LLM the consumer streams answers from.
 *
 * @param baseUrl base URL; {@code /v1/chat/completions} is appended
 * @param apiKey bearer token sent as {@code Authorization}, empty for none (never printed)
 * @param model model used when a job names none
 * @param connectTimeout bound on opening the TCP connection
 * @param readTimeout bound on silence while waiting for the response and between its reads
 * @param maxRetries retries of a transient failure before the first token (0 = none)
 * @param retryInitialBackoff delay before the first retry (doubling, half jitter)
 * @param retryMaxBackoff ceiling of a retry delay, also of an honoured {@code Retry-After}
 * @param maxConnections bound on pooled connections to the LLM
 * @param maxEventBytes bound on one server-sent event of the LLM's stream
 */
@Validated
@ConfigurationProperties("jindouyun.llm")
public record LlmProperties(
    @DefaultValue("http://127.0.0.1:8099") URI baseUrl,
    @DefaultValue("") String apiKey,
    @DefaultValue("jdy-dev-1") @NotBlank String model,
    @DefaultValue("2s") Duration connectTimeout,
    @DefaultValue("60s") Duration readTimeout,
    @DefaultValue("3") @Min(0) int maxRetries,
    @DefaultValue("200ms") Duration retryInitialBackoff,
    @DefaultValue("5s") Duration retryMaxBackoff,
    @DefaultValue("2000") @Min(1) int maxConnections,
    @DefaultValue("262144") @Min(1024) int maxEventBytes) {

  /** Never prints the API key. */
  @Override
  public String toString() {
    return "LlmProperties[baseUrl=%s, apiKey=%s, model=%s, connectTimeout=%s, readTimeout=%s, maxRetries=%d, retryInitialBackoff=%s, retryMaxBackoff=%s, maxConnections=%d, maxEventBytes=%d]"
        .formatted(
            baseUrl,
            apiKey.isEmpty() ? "none" : "***",
            model,
            connectTimeout,
            readTimeout,
            maxRetries,
            retryInitialBackoff,
            retryMaxBackoff,
            maxConnections,
            maxEventBytes);
  }
}
