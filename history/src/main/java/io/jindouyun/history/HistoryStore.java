package io.jindouyun.history;

import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The conversations and their turns (the repository). Every call is bounded by the configured
 * timeout and runs on the driver's threads; nothing here blocks. Thread-safe.
 *
 * <p>Storing is idempotent by (streamId, generation): a turn is inserted once, in one transaction
 * that locks its conversation row, so a redelivered job or a replayed answer never stores twice,
 * even when two copies store at the same moment.
 */
public final class HistoryStore {

  private static final TypeReference<List<Message>> MESSAGES = new TypeReference<>() {};
  private static final int TITLE_CHARS = 100;
  private static final String TURN_COLUMNS =
      "stream_id, generation, conversation_id, user_id, model, prompt, answer, status,"
          + " finish_reason, partial_reason, truncated, prompt_tokens, completion_tokens,"
          + " total_tokens, started_at, first_token_ms, ended_at, delivered";

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final HistoryProperties props;
  private final JsonMapper json = JsonMapper.builder().build();
  private final LongSupplier clockMillis;
  private final Duration timeout;

  /** A store over {@code database}, bounded by {@code props}, stamping times with the clock. */
  public HistoryStore(HistoryDatabase database, HistoryProperties props) {
    this(database, props, System::currentTimeMillis);
  }

  HistoryStore(HistoryDatabase database, HistoryProperties props, LongSupplier clockMillis) {
    this.db = database.client();
    this.tx = database.transactions();
    this.props = props;
    this.clockMillis = clockMillis;
    this.timeout = props.timeout();
  }

  /** How a handshake's conversation stands. */
  public enum Standing {
    /** No such conversation yet: this chat starts it. */
    NEW,
    /** The caller's conversation, with room for another turn. */
    OPEN,
    /** Another user's conversation (answer as if it did not exist). */
    FOREIGN,
    /** The caller's conversation, holding its maximum of turns. */
    FULL
  }

  /**
   * What a job of conversation {@code id} carries.
   *
   * @param standing how the conversation stands
   * @param earlier the earlier turns within the budget, oldest first (empty unless OPEN)
   */
  public record Context(Standing standing, List<Turn> earlier) {}

  /**
   * The standing of conversation {@code id} for {@code userId} and its earlier turns that fit
   * {@code budget}, newest kept, oldest first.
   */
  public Mono<Context> context(String userId, String id, ContextBudget budget) {
    return db.sql("SELECT user_id, turns FROM conversation WHERE id = :id")
        .bind("id", id)
        .map(row -> new Owner(row.get("user_id", String.class), intOf(row, "turns")))
        .one()
        .flatMap(
            owner -> {
              if (!owner.userId().equals(userId)) {
                return Mono.just(new Context(Standing.FOREIGN, List.of()));
              }
              if (owner.turns() >= props.maxTurnsPerConversation()) {
                return Mono.just(new Context(Standing.FULL, List.of()));
              }
              long[] used = {0};
              return turnsNewestFirst(id)
                  .takeWhile(
                      turn -> {
                        long chars = ContextBudget.chars(turn);
                        if (!budget.fits(used[0], chars)) {
                          return false;
                        }
                        used[0] += chars;
                        return true;
                      })
                  .collectList()
                  .map(kept -> new Context(Standing.OPEN, budget.select(kept)));
            })
        .defaultIfEmpty(new Context(Standing.NEW, List.of()))
        .timeout(timeout);
  }

  private record Owner(String userId, int turns) {}

  private Flux<Turn> turnsNewestFirst(String conversationId) {
    return db.sql(
            "SELECT "
                + TURN_COLUMNS
                + " FROM turn WHERE conversation_id = :id ORDER BY generation DESC")
        .bind("id", conversationId)
        .map(this::turn)
        .all();
  }

  /**
   * Stores {@code turn} unless a turn with its (streamId, generation) is stored already, its
   * conversation is another user's, or the conversation is full. Creates the conversation with its
   * first turn.
   */
  public Mono<StoreResult> store(Turn turn) {
    Mono<StoreResult> once = Mono.defer(() -> storeOnce(turn)).as(tx::transactional);
    // Two first turns of one new conversation at once: the loser of the insert tries again and
    // finds the conversation.
    return once.onErrorResume(DataIntegrityViolationException.class, e -> once).timeout(timeout);
  }

  private Mono<StoreResult> storeOnce(Turn turn) {
    long now = clockMillis.getAsLong();
    return db.sql(
            "INSERT INTO conversation (id, user_id, title, created_at, updated_at, turns)"
                + " SELECT :id, :user, :title, :now, :now, 0 FROM (VALUES (1)) AS one (x)"
                + " WHERE NOT EXISTS (SELECT 1 FROM conversation WHERE id = :id)")
        .bind("id", turn.conversationId())
        .bind("user", turn.userId())
        .bind("title", title(turn.prompt()))
        .bind("now", now)
        .fetch()
        .rowsUpdated()
        .then(
            db.sql("SELECT user_id, turns FROM conversation WHERE id = :id FOR UPDATE")
                .bind("id", turn.conversationId())
                .map(row -> new Owner(row.get("user_id", String.class), intOf(row, "turns")))
                .one())
        .flatMap(
            owner -> {
              if (!owner.userId().equals(turn.userId())) {
                return Mono.just(StoreResult.FOREIGN);
              }
              return db.sql(
                      "SELECT COUNT(*) AS n FROM turn"
                          + " WHERE stream_id = :stream AND generation = :generation")
                  .bind("stream", turn.streamId())
                  .bind("generation", turn.generation())
                  .map(row -> ((Number) row.get("n")).longValue())
                  .one()
                  .flatMap(
                      existing -> {
                        if (existing > 0) {
                          return Mono.just(StoreResult.DUPLICATE);
                        }
                        if (owner.turns() >= props.maxTurnsPerConversation()) {
                          return Mono.just(StoreResult.FULL);
                        }
                        return insert(turn, now).thenReturn(StoreResult.STORED);
                      });
            });
  }

  private Mono<Void> insert(Turn turn, long now) {
    DatabaseClient.GenericExecuteSpec insert =
        db.sql(
                "INSERT INTO turn ("
                    + TURN_COLUMNS
                    + ") VALUES (:stream, :generation, :conversation, :user, :model, :prompt,"
                    + " :answer, :status, :finish, :partial, :truncated, :promptTokens,"
                    + " :completionTokens, :totalTokens, :startedAt, :firstToken, :endedAt,"
                    + " :delivered)")
            .bind("stream", turn.streamId())
            .bind("generation", turn.generation())
            .bind("conversation", turn.conversationId())
            .bind("user", turn.userId())
            .bind("model", turn.model())
            .bind("prompt", json.writeValueAsString(turn.prompt()))
            .bind("answer", turn.answer())
            .bind("status", turn.partial() ? "partial" : "complete")
            .bind("truncated", turn.truncated())
            .bind("startedAt", turn.startedAtMs())
            .bind("endedAt", turn.endedAtMs())
            .bind("delivered", turn.delivered());
    insert = bindOrNull(insert, "finish", turn.finishReason(), String.class);
    insert = bindOrNull(insert, "partial", turn.partialReason(), String.class);
    insert = bindOrNull(insert, "firstToken", turn.firstTokenMs(), Long.class);
    Turn.Usage usage = turn.usage();
    insert =
        bindOrNull(
            insert, "promptTokens", usage == null ? null : usage.promptTokens(), Integer.class);
    insert =
        bindOrNull(
            insert,
            "completionTokens",
            usage == null ? null : usage.completionTokens(),
            Integer.class);
    insert =
        bindOrNull(
            insert, "totalTokens", usage == null ? null : usage.totalTokens(), Integer.class);
    return insert
        .fetch()
        .rowsUpdated()
        .then(
            db.sql(
                    "UPDATE conversation SET turns = turns + 1,"
                        + " updated_at = GREATEST(updated_at, :now) WHERE id = :id")
                .bind("now", now)
                .bind("id", turn.conversationId())
                .fetch()
                .rowsUpdated())
        .then();
  }

  private static <T> DatabaseClient.GenericExecuteSpec bindOrNull(
      DatabaseClient.GenericExecuteSpec spec, String name, T value, Class<T> type) {
    return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
  }

  /** Marks the turn of {@code userId}'s stream {@code streamId} delivered; emits rows changed. */
  public Mono<Long> markDelivered(String userId, String streamId) {
    return db.sql("UPDATE turn SET delivered = TRUE WHERE stream_id = :stream AND user_id = :user")
        .bind("stream", streamId)
        .bind("user", userId)
        .fetch()
        .rowsUpdated()
        .timeout(timeout);
  }

  /**
   * A page of {@code userId}'s conversations, newest first, after {@code after} (null: the first
   * page), of at most {@code size} (1..maxPageSize).
   */
  public Mono<ConversationPage> list(String userId, Cursors.Position after, int size) {
    if (size < 1 || size > props.maxPageSize()) {
      throw new IllegalArgumentException("size must be between 1 and " + props.maxPageSize());
    }
    String sql =
        "SELECT id, title, created_at, updated_at, turns FROM conversation WHERE user_id = :user"
            + (after == null ? "" : " AND (updated_at < :at OR (updated_at = :at AND id < :after))")
            + " ORDER BY updated_at DESC, id DESC LIMIT "
            + (size + 1);
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql).bind("user", userId);
    if (after != null) {
      spec = spec.bind("at", after.updatedAt()).bind("after", after.id());
    }
    return spec.map(HistoryStore::summary)
        .all()
        .collectList()
        .map(
            rows -> {
              if (rows.size() <= size) {
                return new ConversationPage(rows, null);
              }
              List<ConversationSummary> page = rows.subList(0, size);
              ConversationSummary last = page.get(size - 1);
              return new ConversationPage(
                  List.copyOf(page),
                  Cursors.encode(new Cursors.Position(last.updatedAt(), last.id())));
            })
        .timeout(timeout);
  }

  /** {@code userId}'s conversation {@code id}, or empty (also when it is another user's). */
  public Mono<ConversationSummary> conversation(String userId, String id) {
    return db.sql(
            "SELECT id, title, created_at, updated_at, turns FROM conversation"
                + " WHERE id = :id AND user_id = :user")
        .bind("id", id)
        .bind("user", userId)
        .map(HistoryStore::summary)
        .one()
        .timeout(timeout);
  }

  /** The turns of {@code userId}'s conversation {@code id}, oldest first (none if not theirs). */
  public Mono<List<Turn>> turns(String userId, String id) {
    return db.sql(
            "SELECT "
                + TURN_COLUMNS
                + " FROM turn WHERE conversation_id = :id AND user_id = :user"
                + " ORDER BY generation")
        .bind("id", id)
        .bind("user", userId)
        .map(this::turn)
        .all()
        .collectList()
        .timeout(timeout);
  }

  /** Deletes {@code userId}'s conversation {@code id} with its turns; emits whether it existed. */
  public Mono<Boolean> delete(String userId, String id) {
    return db.sql("DELETE FROM conversation WHERE id = :id AND user_id = :user")
        .bind("id", id)
        .bind("user", userId)
        .fetch()
        .rowsUpdated()
        .map(rows -> rows > 0)
        .timeout(timeout);
  }

  private static ConversationSummary summary(Readable row) {
    return new ConversationSummary(
        row.get("id", String.class),
        row.get("title", String.class),
        longOf(row, "created_at"),
        longOf(row, "updated_at"),
        intOf(row, "turns"));
  }

  private Turn turn(Readable row) {
    Integer promptTokens = row.get("prompt_tokens", Integer.class);
    Turn.Usage usage =
        promptTokens == null
            ? null
            : new Turn.Usage(
                promptTokens,
                row.get("completion_tokens", Integer.class),
                row.get("total_tokens", Integer.class));
    return new Turn(
        row.get("stream_id", String.class),
        longOf(row, "generation"),
        row.get("conversation_id", String.class),
        row.get("user_id", String.class),
        row.get("model", String.class),
        json.readValue(row.get("prompt", String.class), MESSAGES),
        row.get("answer", String.class),
        row.get("partial_reason", String.class),
        row.get("finish_reason", String.class),
        Boolean.TRUE.equals(row.get("truncated", Boolean.class)),
        usage,
        longOf(row, "started_at"),
        row.get("first_token_ms", Long.class),
        longOf(row, "ended_at"),
        Boolean.TRUE.equals(row.get("delivered", Boolean.class)));
  }

  private static long longOf(Readable row, String column) {
    return row.get(column, Long.class);
  }

  private static int intOf(Readable row, String column) {
    return row.get(column, Integer.class);
  }

  /** The conversation's title: the start of the last user message of its first turn. */
  static String title(List<Message> prompt) {
    String text = "";
    for (Message m : prompt) {
      if ("user".equals(m.role())) {
        text = m.content();
      }
    }
    text = text.strip().replaceAll("\\s+", " ");
    if (text.length() <= TITLE_CHARS) {
      return text;
    }
    int end = TITLE_CHARS;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end);
  }
}
