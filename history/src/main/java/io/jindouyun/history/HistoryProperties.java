package io.jindouyun.history;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Conversation history ({@code jindouyun.history.*}), the same for the gateways and the
 * llm-consumers.
 *
 * @param url the database as an R2DBC URL: {@code r2dbc:h2:tcp://127.0.0.1:9110/history} (an H2
 *     server), {@code r2dbc:h2:file:///path/history} (one process only), {@code
 *     r2dbc:postgresql://user:password@host:5432/jindouyun}; empty: no history (conversation ids
 *     are still issued, nothing is stored, the history API answers 503)
 * @param maxTurnsPerConversation turns one conversation holds; a handshake past it gets 409
 * @param maxTurnBytes UTF-8 bytes of one turn (its prompt and its answer); a prompt past it gets
 *     413, an answer past it is stored cut to fit and marked truncated
 * @param maxPageSize conversations per page of {@code GET /v1/conversations}; a larger {@code size}
 *     gets 400
 * @param defaultPageSize conversations per page when {@code size} is not given
 * @param contextBudgetChars characters of earlier turns a job carries; the oldest turns are left
 *     out first
 * @param timeout longest one database call may take (a store, a read, the ack's mark)
 * @param poolSize database connections per process
 */
@Validated
@ConfigurationProperties("jindouyun.history")
public record HistoryProperties(
    @DefaultValue("") @NotNull String url,
    @DefaultValue("100") @Min(1) int maxTurnsPerConversation,
    @DefaultValue("65536") @Min(1024) int maxTurnBytes,
    @DefaultValue("100") @Min(1) int maxPageSize,
    @DefaultValue("20") @Min(1) int defaultPageSize,
    @DefaultValue("16000") @Min(0) int contextBudgetChars,
    @DefaultValue("2s") @NotNull Duration timeout,
    @DefaultValue("8") @Min(1) int poolSize) {

  /** Whether history is on (a database URL is configured). */
  public boolean enabled() {
    return !url.isBlank();
  }

  /** The settings' defaults with {@code url}. */
  public static HistoryProperties of(String url) {
    return new HistoryProperties(url, 100, 65536, 100, 20, 16000, Duration.ofSeconds(2), 8);
  }

  @Override
  public String toString() {
    // the URL may hold a password
    return "HistoryProperties[enabled="
        + enabled()
        + ", maxTurnsPerConversation="
        + maxTurnsPerConversation
        + ", maxTurnBytes="
        + maxTurnBytes
        + ", maxPageSize="
        + maxPageSize
        + ", contextBudgetChars="
        + contextBudgetChars
        + "]";
  }
}
