package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
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
