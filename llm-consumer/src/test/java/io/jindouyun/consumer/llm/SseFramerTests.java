package io.jindouyun.consumer.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramerTests {

  private static final int MAX = 1024;

  private final List<String> events = new ArrayList<>();
  private final SseFramer framer = new SseFramer(MAX, this::collect);

  private void collect(byte[] data, int offset, int length) {
    events.add(new String(data, offset, length, StandardCharsets.UTF_8));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private void feed(String text) {
    byte[] chunk = bytes(text);
    framer.feed(chunk, 0, chunk.length);
  }

  /** Every event of a body read in one chunk, and split at every position. */
  private static List<String> framedWhole(byte[] body) {
    List<String> out = new ArrayList<>();
    new SseFramer(MAX, (d, o, l) -> out.add(new String(d, o, l, StandardCharsets.UTF_8)))
        .feed(body, 0, body.length);
    return out;
  }

  @Test
  void dataOfEachEventIsHandedOverWithoutItsFieldName() {
    feed("data: {\"a\":1}\n\ndata: [DONE]\n\n");

    assertThat(events).containsExactly("{\"a\":1}", "[DONE]");
  }

  @Test
  void crlfAndCrEndLinesAsLfDoes() {
    feed("data: one\r\n\r\ndata: two\r\rdata: three\n\r\ndata: four\r\n\n");

    assertThat(events).containsExactly("one", "two", "three", "four");
  }

  @Test
  void dataLinesOfOneEventAreJoinedWithLf() {
    feed("data: first\ndata:second\ndata\ndata:  indented\n\n");

    assertThat(events).containsExactly("first\nsecond\n\n indented");
  }

  @Test
  void commentsAndOtherFieldsAreIgnored() {
    feed(": keep-alive\n\nevent: message\nid: 7\nretry: 1000\ndatabase: no\n:data: no\n");
    feed("data: yes\nfoo: bar\n\n");

    assertThat(events).containsExactly("yes");
  }

  @Test
  void anEventWithoutDataIsNotDispatchedButAnEmptyDataLineIs() {
    feed("event: ping\n\n\n\ndata:\n\n");

    assertThat(events).containsExactly("");
  }

  @Test
  void anUnfinishedEventAtTheEndIsNotDispatched() {
    feed("data: whole\n\ndata: half");
    feed("\n");

    assertThat(events).containsExactly("whole");
  }

  @Test
  void aByteOrderMarkAtTheStartIsSkipped() {
    feed("\uFEFFdata: x\n\n");

    assertThat(events).containsExactly("x");
  }

  @Test
  void splittingTheBodyAtAnyByteGivesTheSameEvents() {
    byte[] body =
        bytes(
            "\uFEFF: hello\r\ndata: {\"t\":\"悟空 🐒\"}\r\n\r\n"
                + "event: x\rdata: a\rdata: b\r\r"
                + "data:[DONE]\n\n"
                + "id: 1\ndata: last\r\n\n");
    List<String> expected = framedWhole(body);
    assertThat(expected).containsExactly("{\"t\":\"悟空 🐒\"}", "a\nb", "[DONE]", "last");

    for (int cut = 0; cut <= body.length; cut++) {
      List<String> out = new ArrayList<>();
      SseFramer split =
          new SseFramer(MAX, (d, o, l) -> out.add(new String(d, o, l, StandardCharsets.UTF_8)));
      byte[] padded = new byte[body.length + 8];
      System.arraycopy(body, 0, padded, 4, body.length);
      split.feed(padded, 4, cut);
      split.feed(padded, 4 + cut, body.length - cut);
      assertThat(out).as("split at %d", cut).isEqualTo(expected);
    }
    List<String> byteByByte = new ArrayList<>();
    SseFramer single =
        new SseFramer(
            MAX, (d, o, l) -> byteByByte.add(new String(d, o, l, StandardCharsets.UTF_8)));
    for (int i = 0; i < body.length; i++) {
      single.feed(Arrays.copyOfRange(body, i, i + 1), 0, 1);
    }
    assertThat(byteByByte).isEqualTo(expected);
  }

  @Test
  void anEventOverTheLimitIsAProtocolError() {
    String big = "x".repeat(MAX);

    assertThatThrownBy(() -> feed("data: " + big + "\n\n"))
        .isInstanceOf(LlmProtocolException.class)
        .hasMessageContaining("over the limit of " + MAX + " bytes");
  }

  @Test
  void anEventOverTheLimitIsAProtocolErrorWhenItArrivesInPieces() {
    String half = "x".repeat(MAX / 2);

    feed("data: " + half);
    feed("\ndata: ");
    assertThatThrownBy(() -> feed(half + "\n\n"))
        .isInstanceOf(LlmProtocolException.class)
        .hasMessageContaining("over the limit");
    assertThat(events).isEmpty();
  }

  @Test
  void theLimitIsPerEventNotPerBody() {
    String data = "y".repeat(MAX - 16);
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      body.append("data: ").append(data).append("\n\n");
    }

    feed(body.toString());

    assertThat(events).hasSize(10).allMatch(data::equals);
  }
}
