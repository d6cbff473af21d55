package io.jindouyun.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

/**
 * The repository's behaviour, run against each database by a subclass that names its URL. One
 * database per class; each test works with its own users.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
abstract class HistoryStoreContract {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private HistoryDatabase database;
  private HistoryStore store;
  private HistoryStore smallStore;

  /** The R2DBC URL of the database under test (its server runs by now). */
  abstract String url();

  @BeforeAll
  void open() {
    HistoryProperties props = HistoryProperties.of(url());
    database = HistoryDatabase.open(props);
    // a second open migrates nothing: the schema is there
    HistoryDatabase.open(props).close();
    store = new HistoryStore(database, props, clock::incrementAndGet);
    HistoryProperties small =
        new HistoryProperties(url(), 2, 1024, 2, 2, 100, Duration.ofSeconds(5), 2);
    smallStore = new HistoryStore(database, small, clock::incrementAndGet);
  }

  @AfterAll
  void close() {
    if (database != null) {
      database.close();
    }
  }

  private static String user() {
    return "u-" + UUID.randomUUID();
  }

  private static String conversation() {
    return UUID.randomUUID().toString();
  }

  private static Turn turn(String user, String conversation, long generation, String answer) {
    return new Turn(
        "gw-1~" + UUID.randomUUID(),
        generation,
        conversation,
        user,
        "dev-model",
        List.of(new Message("user", "question " + generation)),
        answer,
        null,
        "stop",
        false,
        new Turn.Usage(3, 5, 8),
        1000 + generation,
        7L,
        2000 + generation,
        false);
  }

  private static <T> T await(Mono<T> mono) {
    return mono.block(WAIT);
  }

  @Test
  void storesATurnOnceByStreamAndGeneration() {
    String user = user();
    String conv = conversation();
    Turn first = turn(user, conv, 1, "hello there");

    assertThat(await(store.store(first))).isEqualTo(StoreResult.STORED);
    assertThat(await(store.store(first))).isEqualTo(StoreResult.DUPLICATE);

    List<Turn> turns = await(store.turns(user, conv));
    assertThat(turns).containsExactly(first);
    assertThat(await(store.conversation(user, conv)).turns()).isEqualTo(1);
  }

  @Test
  void twoCopiesStoringAtOnceStoreOneTurn() {
    String user = user();
    String conv = conversation();
    Turn first = turn(user, conv, 1, "the same answer");

    List<StoreResult> results =
        Mono.zip(store.store(first), store.store(first), store.store(first))
            .map(t -> List.of(t.getT1(), t.getT2(), t.getT3()))
            .block(WAIT);

    assertThat(results).containsOnlyOnce(StoreResult.STORED);
    assertThat(await(store.turns(user, conv))).hasSize(1);
    assertThat(await(store.conversation(user, conv)).turns()).isEqualTo(1);
  }

  @Test
  void aPartialTurnKeepsItsReasonAndText() {
    String user = user();
    String conv = conversation();
    Turn base = turn(user, conv, 1, "half an ans");
    Turn partial =
        new Turn(
            base.streamId(),
            1,
            conv,
            user,
            "dev-model",
            base.prompt(),
            "half an ans",
            "cancelled",
            null,
            false,
            null,
            10,
            null,
            20,
            false);

    await(store.store(partial));

    Turn stored = await(store.turns(user, conv)).get(0);
    assertThat(stored.partial()).isTrue();
    assertThat(stored.partialReason()).isEqualTo("cancelled");
    assertThat(stored.usage()).isNull();
    assertThat(stored.firstTokenMs()).isNull();
    assertThat(stored.answer()).isEqualTo("half an ans");
  }

  @Test
  void anotherUsersConversationIsNeitherSeenNorChanged() {
    String owner = user();
    String other = user();
    String conv = conversation();
    await(store.store(turn(owner, conv, 1, "mine")));

    assertThat(await(store.conversation(other, conv))).isNull();
    assertThat(await(store.turns(other, conv))).isEmpty();
    assertThat(await(store.delete(other, conv))).isFalse();
    assertThat(await(store.context(other, conv, new ContextBudget(1000))).standing())
        .isEqualTo(HistoryStore.Standing.FOREIGN);
    assertThat(await(store.store(turn(other, conv, 2, "theirs")))).isEqualTo(StoreResult.FOREIGN);
    assertThat(await(store.turns(owner, conv))).hasSize(1);
  }

  @Test
  void theContextCarriesTheNewestTurnsThatFitOldestFirst() {
    String user = user();
    String conv = conversation();
    Turn one = turn(user, conv, 1, "a".repeat(40));
    Turn two = turn(user, conv, 2, "b".repeat(40));
    Turn three = turn(user, conv, 3, "c".repeat(40));
    for (Turn t : List.of(one, two, three)) {
      await(store.store(t));
    }
    // each turn counts 10 prompt characters and 40 of its answer: 100 fit two of them
    HistoryStore.Context context = await(store.context(user, conv, new ContextBudget(100)));

    assertThat(context.standing()).isEqualTo(HistoryStore.Standing.OPEN);
    assertThat(context.earlier()).containsExactly(two, three);
    assertThat(await(store.context(user, conversation(), new ContextBudget(100))).standing())
        .isEqualTo(HistoryStore.Standing.NEW);
  }

  @Test
  void aFullConversationTakesNoMoreTurns() {
    String user = user();
    String conv = conversation();
    assertThat(await(smallStore.store(turn(user, conv, 1, "one")))).isEqualTo(StoreResult.STORED);
    assertThat(await(smallStore.store(turn(user, conv, 2, "two")))).isEqualTo(StoreResult.STORED);

    assertThat(await(smallStore.store(turn(user, conv, 3, "three")))).isEqualTo(StoreResult.FULL);
    assertThat(await(smallStore.context(user, conv, new ContextBudget(100))).standing())
        .isEqualTo(HistoryStore.Standing.FULL);
  }

  @Test
  void theListPagesNewestFirstWithACursor() {
    String user = user();
    String a = conversation();
    String b = conversation();
    String c = conversation();
    await(store.store(turn(user, a, 1, "a")));
    await(store.store(turn(user, b, 2, "b")));
    await(store.store(turn(user, c, 3, "c")));
    await(store.store(turn(user, a, 4, "a again"))); // a is the newest now

    ConversationPage first = await(store.list(user, null, 2));
    assertThat(first.conversations()).extracting(ConversationSummary::id).containsExactly(a, c);
    assertThat(first.nextCursor()).isNotNull();

    ConversationPage second = await(store.list(user, Cursors.decode(first.nextCursor()), 2));
    assertThat(second.conversations()).extracting(ConversationSummary::id).containsExactly(b);
    assertThat(second.nextCursor()).isNull();
    assertThat(first.conversations().get(0).title()).isEqualTo("question 1");
  }

  @Test
  void deleteRemovesTheConversationAndItsTurns() {
    String user = user();
    String conv = conversation();
    Turn t = turn(user, conv, 1, "gone soon");
    await(store.store(t));

    assertThat(await(store.delete(user, conv))).isTrue();

    assertThat(await(store.conversation(user, conv))).isNull();
    assertThat(await(store.turns(user, conv))).isEmpty();
    assertThat(await(store.delete(user, conv))).isFalse();
    // the same stream cannot come back as a duplicate of a deleted turn's row
    assertThat(await(store.store(t))).isEqualTo(StoreResult.STORED);
  }

  @Test
  void theAckMarksItsTurnDelivered() {
    String user = user();
    String conv = conversation();
    Turn t = turn(user, conv, 1, "read it");
    await(store.store(t));

    assertThat(await(store.markDelivered("someone-else", t.streamId()))).isZero();
    assertThat(await(store.markDelivered(user, t.streamId()))).isEqualTo(1);

    assertThat(await(store.turns(user, conv)).get(0).delivered()).isTrue();
  }
}
