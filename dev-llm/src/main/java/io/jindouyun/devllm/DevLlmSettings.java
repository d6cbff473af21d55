package io.jindouyun.devllm;

import java.time.Duration;
import java.util.Objects;

/**
 * Server-wide defaults of the development LLM. Every answer setting can be overridden per request
 * by a header or a prompt directive (see {@link DevLlmServer}); the {@code max*} fields bound what
 * a request may ask for. The same names serve as {@code --flags} of {@link DevLlmMain}, e.g. {@code
 * tokenDelay} is {@code --token-delay-ms}.
 *
 * @param host address to bind ({@code --host}); loopback by default
 * @param port port to bind, 0 for a free one ({@code --port})
 * @param ttft time to the first content token ({@code --ttft-ms}, header {@code X-Dev-Ttft-Ms})
 * @param tokenDelay delay between two tokens ({@code --token-delay-ms}, header {@code
 *     X-Dev-Token-Delay-Ms})
 * @param tokens answer length in tokens when the request does not cut it with {@code max_tokens}
 *     ({@code --tokens}, header {@code X-Dev-Tokens})
 * @param fail failure injected into every answer ({@code --fail}, header {@code X-Dev-Fail})
 * @param failAfter tokens sent before a mid-stream failure, -1 for half the answer ({@code
 *     --fail-after}, header {@code X-Dev-Fail-After})
 * @param failTimes fail only the first N requests per answer key, 0 for every request ({@code
 *     --fail-times}, header {@code X-Dev-Fail-Times})
 * @param apiKey bearer token required on {@code /v1/*}, null for none ({@code --api-key})
 * @param maxBodyBytes largest accepted request body ({@code --max-body-bytes})
 * @param maxTokens largest answer a request may ask for ({@code --max-tokens})
 * @param maxDelay largest TTFT or token delay a request may ask for ({@code --max-delay-ms})
 * @param maxConcurrentRequests chat requests in flight before 503 ({@code
 *     --max-concurrent-requests})
 * @param maxFailKeys answer keys whose {@code failTimes} counters are remembered, oldest evicted
 *     ({@code --max-fail-keys})
 * @param retryAfter {@code Retry-After} of an injected 429, whole seconds ({@code --retry-after-s})
 * @param idleTimeout a keep-alive connection idle this long between requests is closed ({@code
 *     --idle-timeout-ms})
 */
public record DevLlmSettings(
    String host,
    int port,
    Duration ttft,
    Duration tokenDelay,
    int tokens,
    FailMode fail,
    int failAfter,
    int failTimes,
    String apiKey,
    int maxBodyBytes,
    int maxTokens,
    Duration maxDelay,
    int maxConcurrentRequests,
    int maxFailKeys,
    Duration retryAfter,
    Duration idleTimeout) {

  /** Default bind address: loopback. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Default port of {@link DevLlmMain}; {@link #DEFAULTS} uses 0 (a free port). */
  public static final int DEFAULT_MAIN_PORT = 8099;

  /** Default time to the first token. */
  public static final Duration DEFAULT_TTFT = Duration.ofMillis(20);

  /** Default delay between tokens. */
  public static final Duration DEFAULT_TOKEN_DELAY = Duration.ofMillis(5);

  /** Default answer length in tokens. */
  public static final int DEFAULT_TOKENS = 64;

  /**
   * Free port, 20 ms TTFT, 5 ms between tokens, 64 tokens, no failure, no key, 1 MiB bodies, at
   * most 16,384 tokens and 60 s delays, 10,000 requests in flight, 10,000 fail keys, Retry-After 1
   * s.
   */
  public static final DevLlmSettings DEFAULTS =
      new DevLlmSettings(
          DEFAULT_HOST,
          0,
          DEFAULT_TTFT,
          DEFAULT_TOKEN_DELAY,
          DEFAULT_TOKENS,
          FailMode.NONE,
          -1,
          0,
          null,
          1024 * 1024,
          16_384,
          Duration.ofSeconds(60),
          10_000,
          10_000,
          Duration.ofSeconds(1),
          Duration.ofSeconds(60));

  /** Validates every field; {@code apiKey} may be null or blank (no check). */
  public DevLlmSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(fail, "fail");
    requireNonNegative(ttft, "ttft");
    requireNonNegative(tokenDelay, "tokenDelay");
    requireNonNegative(maxDelay, "maxDelay");
    requireNonNegative(retryAfter, "retryAfter");
    requireNonNegative(idleTimeout, "idleTimeout");
    if (idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0..65535: " + port);
    }
    if (tokens < 0 || maxTokens < 1 || tokens > maxTokens) {
      throw new IllegalArgumentException("need 0 <= tokens <= maxTokens, 1 <= maxTokens");
    }
    if (failAfter < -1 || failTimes < 0) {
      throw new IllegalArgumentException("failAfter must be >= -1 and failTimes >= 0");
    }
    if (maxBodyBytes < 1 || maxConcurrentRequests < 1 || maxFailKeys < 1) {
      throw new IllegalArgumentException("maxBodyBytes, maxConcurrentRequests, maxFailKeys >= 1");
    }
    if (apiKey != null && apiKey.isBlank()) {
      apiKey = null;
    }
  }

  private static void requireNonNegative(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative");
    }
  }

  /** A copy bound to {@code port}. */
  public DevLlmSettings withPort(int port) {
    return copy(c -> c.port = port);
  }

  /** A copy with the given default TTFT and delay between tokens. */
  public DevLlmSettings withTiming(Duration ttft, Duration tokenDelay) {
    return copy(
        c -> {
          c.ttft = ttft;
          c.tokenDelay = tokenDelay;
        });
  }

  /** A copy with the given default answer length. */
  public DevLlmSettings withTokens(int tokens) {
    return copy(c -> c.tokens = tokens);
  }

  /** A copy that injects {@code fail} after {@code failAfter} tokens into the first N answers. */
  public DevLlmSettings withFailure(FailMode fail, int failAfter, int failTimes) {
    return copy(
        c -> {
          c.fail = fail;
          c.failAfter = failAfter;
          c.failTimes = failTimes;
        });
  }

  /** A copy that requires {@code Authorization: Bearer <apiKey>} on {@code /v1/*}. */
  public DevLlmSettings withApiKey(String apiKey) {
    return copy(c -> c.apiKey = apiKey);
  }

  /** A copy with the given body size bound. */
  public DevLlmSettings withMaxBodyBytes(int maxBodyBytes) {
    return copy(c -> c.maxBodyBytes = maxBodyBytes);
  }

  /** A copy with {@code change} applied; the constructor validates the result. */
  private DevLlmSettings copy(java.util.function.Consumer<Copy> change) {
    Copy copy = new Copy(this);
    change.accept(copy);
    return copy.build();
  }

  /** The mutable fields of one {@link #copy}; confined to the calling thread. */
  private static final class Copy {
    String host;
    int port;
    Duration ttft;
    Duration tokenDelay;
    int tokens;
    FailMode fail;
    int failAfter;
    int failTimes;
    String apiKey;
    int maxBodyBytes;
    int maxTokens;
    Duration maxDelay;
    int maxConcurrentRequests;
    int maxFailKeys;
    Duration retryAfter;
    Duration idleTimeout;

    Copy(DevLlmSettings from) {
      host = from.host;
      port = from.port;
      ttft = from.ttft;
      tokenDelay = from.tokenDelay;
      tokens = from.tokens;
      fail = from.fail;
      failAfter = from.failAfter;
      failTimes = from.failTimes;
      apiKey = from.apiKey;
      maxBodyBytes = from.maxBodyBytes;
      maxTokens = from.maxTokens;
      maxDelay = from.maxDelay;
      maxConcurrentRequests = from.maxConcurrentRequests;
      maxFailKeys = from.maxFailKeys;
      retryAfter = from.retryAfter;
      idleTimeout = from.idleTimeout;
    }

    DevLlmSettings build() {
      return new DevLlmSettings(
          host,
          port,
          ttft,
          tokenDelay,
          tokens,
          fail,
          failAfter,
          failTimes,
          apiKey,
          maxBodyBytes,
          maxTokens,
          maxDelay,
          maxConcurrentRequests,
          maxFailKeys,
          retryAfter,
          idleTimeout);
    }
  }

  /** Never prints the API key. */
  @Override
  public String toString() {
    return "DevLlmSettings[host=%s, port=%d, ttft=%s, tokenDelay=%s, tokens=%d, fail=%s, failAfter=%d, failTimes=%d, apiKey=%s, maxBodyBytes=%d, maxTokens=%d, maxDelay=%s, maxConcurrentRequests=%d, maxFailKeys=%d, retryAfter=%s, idleTimeout=%s]"
        .formatted(
            host,
            port,
            ttft,
            tokenDelay,
            tokens,
            fail.token(),
            failAfter,
            failTimes,
            apiKey == null ? "none" : "***",
            maxBodyBytes,
            maxTokens,
            maxDelay,
            maxConcurrentRequests,
            maxFailKeys,
            retryAfter,
            idleTimeout);
  }
}
