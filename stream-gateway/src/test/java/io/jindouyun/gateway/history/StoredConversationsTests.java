package io.jindouyun.gateway.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.gateway.handshake.ChatRequest;
import io.jindouyun.gateway.handshake.ConversationLookup;
import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.Message;
import io.jindouyun.history.Turn;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake's conversation without a database: ids issued and checked, bounds enforced. */
class StoredConversationsTests {

  final HistoryProperties props = HistoryProperties.of("");
  final StoredConversations lookup = new StoredConversations(null, props);

  ConversationLookup.Resolved resolve(String id, long bytes) {
    return lookup.resolve("u", id, bytes).block(Duration.ofSeconds(1));
  }

  @Test
  void aChatWithoutConversationGetsANewId() {
    ConversationLookup.Resolved first = resolve(null, 10);
    ConversationLookup.Resolved second = resolve(null, 10);

    assertThat(first.id()).matches(StoredConversations.ID).isNotEqualTo(second.id());
    assertThat(first.earlier()).isEmpty();
  }

  @Test
  void aNamedConversationKeepsItsId() {
    assertThat(resolve("conv-1", 10).id()).isEqualTo("conv-1");
  }

  @Test
  void anIdThatIsNotUrlSafeIsABadRequest() {
    assertThatThrownBy(() -> resolve("a/b", 10))
        .isInstanceOfSatisfying(
            ProblemException.class, p -> assertThat(p.kind()).isEqualTo(ProblemKind.VALIDATION));
  }

  @Test
  void aPromptOverTheTurnBoundIsTooLarge() {
    assertThatThrownBy(() -> resolve(null, props.maxTurnBytes() + 1L))
        .isInstanceOfSatisfying(
            ProblemException.class,
            p -> {
              assertThat(p.kind()).isEqualTo(ProblemKind.PAYLOAD_TOO_LARGE);
              assertThat(p.getMessage()).contains("max-turn-bytes");
            });
  }

  @Test
  void earlierTurnsBecomeTheirMessagesThenTheAnswer() {
    Turn turn =
        new Turn(
            "s",
            1,
            "c",
            "u",
            "m",
            List.of(new Message("system", "be brief"), new Message("user", "hi")),
            "hello",
            null,
            "stop",
            false,
            null,
            0,
            null,
            0,
            true);

    assertThat(StoredConversations.messages(List.of(turn)))
        .containsExactly(
            new ChatRequest.Message("system", "be brief"),
            new ChatRequest.Message("user", "hi"),
            new ChatRequest.Message("assistant", "hello"));
  }
}
