package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventsTests {

  @Test
  void eventsSplitAcrossPiecesAreJoined() {
    SseEvents events = new SseEvents();
    List<SseEvents.Event> seen = new ArrayList<>();
    seen.addAll(events.feed("event: chunk\nid: 7.0\nda"));
    assertThat(seen).isEmpty();
    seen.addAll(events.feed("ta: {\"delta\":\"a\"}\n\n: ping\n\nevent: done\r\ndata: {}\r\n\r\n"));
    assertThat(seen)
        .containsExactly(
            new SseEvents.Event("chunk", "7.0", "{\"delta\":\"a\"}"),
            new SseEvents.Event("done", null, "{}"));
  }

  @Test
  void aCharacterSplitAcrossPiecesIsDecodedWhole() {
    byte[] bytes =
        "data: {\"delta\":\"\uD83D\uDC12 caf\u00e9\"}\n\n".getBytes(StandardCharsets.UTF_8);
    int cut = "data: {\"delta\":\"".length() + 2; // inside the four bytes of the monkey
    SseEvents events = new SseEvents();
    assertThat(events.feed(Arrays.copyOfRange(bytes, 0, cut))).isEmpty();
    assertThat(events.feed(Arrays.copyOfRange(bytes, cut, bytes.length)))
        .containsExactly(
            new SseEvents.Event("message", null, "{\"delta\":\"\uD83D\uDC12 caf\u00e9\"}"));
  }

  @Test
  void multiLineDataIsJoinedWithNewlines() {
    assertThat(new SseEvents().feed("data: a\ndata: b\n\n"))
        .containsExactly(new SseEvents.Event("message", null, "a\nb"));
  }

  @Test
  void devTokenHasThreeSignedParts() {
    String token = DevTokens.issue("secret-secret-secret-secret-secret!", "alice", 60);
    assertThat(token.split("\\.")).hasSize(3);
    assertThat(token)
        .isNotEqualTo(DevTokens.issue("another-secret-another-secret-xx", "alice", 60));
  }
}
