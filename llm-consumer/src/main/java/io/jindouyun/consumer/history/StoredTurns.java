package io.jindouyun.consumer.history;

import io.jindouyun.consumer.job.EndedAnswer;
import io.jindouyun.consumer.job.TurnRecorder;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.HistoryStore;
import io.jindouyun.history.Message;
import io.jindouyun.history.StoreResult;
import io.jindouyun.history.Turn;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.util.retry.Retry;

/**
 * Stores ended answers as turns of their conversations ({@link HistoryStore}), with the job's own
 * messages as the prompt (not the earlier turns it carried). The turn is cut to the bytes-per-turn
 * bound. A store that fails is tried twice more, then logged and counted ({@code
 * jdy.history.store.failures}): the answer reached the user, and the job is committed anyway.
 * Thread-safe.
 */
public final class StoredTurns implements TurnRecorder {

  private static final Logger log = LoggerFactory.getLogger(StoredTurns.class);

  private final HistoryStore store;
  private final int maxTurnBytes;
  private final Timer storeTime;
  private final Counter failures;

  /** Stores through {@code store}, bounded by {@code props}, measured in {@code registry}. */
  public StoredTurns(HistoryStore store, HistoryProperties props, MeterRegistry registry) {
    this.store = store;
    this.maxTurnBytes = props.maxTurnBytes();
    this.storeTime =
        Timer.builder("jdy.history.store")
            .description("time to store one turn, by result")
            .register(registry);
    this.failures =
        Counter.builder("jdy.history.store.failures")
            .description("turns not stored: the database failed or was too slow")
            .register(registry);
  }

  @Override
  public int maxAnswerChars() {
    return maxTurnBytes; // a character is at least one byte: the exact cut happens when storing
  }

  @Override
  public CompletableFuture<Void> record(ChatJob job, EndedAnswer answer) {
    if (job.getConversationId().isEmpty()) {
      return CompletableFuture.completedFuture(null); // a job from a gateway without history
    }
    Turn turn = turn(job, answer);
    long started = System.nanoTime();
    return store
        .store(turn)
        .retryWhen(Retry.backoff(2, Duration.ofMillis(50)))
        .doOnNext(
            result -> {
              storeTime.record(Duration.ofNanos(System.nanoTime() - started));
              if (result == StoreResult.FOREIGN || result == StoreResult.FULL) {
                log.warn(
                    "Turn {}/{} not stored: the conversation is {}",
                    job.getStreamId(),
                    job.getGeneration(),
                    result == StoreResult.FULL ? "full" : "another user's");
              }
            })
        .doOnError(
            e -> {
              failures.increment();
              log.warn(
                  "Turn {}/{} not stored: {}",
                  job.getStreamId(),
                  job.getGeneration(),
                  e.toString());
            })
        .onErrorComplete()
        .then()
        .toFuture();
  }

  private Turn turn(ChatJob job, EndedAnswer answer) {
    List<Message> prompt = new ArrayList<>(job.getMessagesCount());
    for (ChatMessage m : job.getMessagesList()) {
      prompt.add(new Message(m.getRole(), m.getContent()));
    }
    long room = Math.max(0, maxTurnBytes - Turn.promptBytes(prompt));
    String text = answer.text();
    boolean truncated = answer.truncated();
    String cut = cutToBytes(text, room);
    if (cut.length() < text.length()) {
      text = cut;
      truncated = true;
    }
    Turn.Usage usage =
        answer.promptTokens() == null
            ? null
            : new Turn.Usage(
                answer.promptTokens(), answer.completionTokens(), answer.totalTokens());
    return new Turn(
        job.getStreamId(),
        job.getGeneration(),
        job.getConversationId(),
        job.getUserId(),
        job.getModel(),
        prompt,
        text,
        answer.partialReason(),
        answer.finishReason(),
        truncated,
        usage,
        answer.startedAtMs(),
        answer.firstTokenMs(),
        answer.endedAtMs(),
        false);
  }

  /** The longest start of {@code text} within {@code maxBytes} UTF-8 bytes, whole characters. */
  static String cutToBytes(String text, long maxBytes) {
    if (text.length() * 3L <= maxBytes
        || text.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
      return text;
    }
    long bytes = 0;
    int i = 0;
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      i += Character.charCount(cp);
    }
    return text.substring(0, i);
  }
}
