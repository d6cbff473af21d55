package io.jindouyun.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnswerTextTests {

  private static AnswerText appendAll(List<String> deltas) {
    AnswerText text = new AnswerText(deltas.get(0).length());
    for (String d : deltas) {
      text.append(d, Utf8.length(d), 0);
    }
    return text;
  }

  @Test
  void aLongAnswerIsKeptInSegmentsAndEveryDeltaReadsBackExactly() {
    Random random = new Random(7);
    String[] words = {"the ", "筋斗云 ", "🚀", "", "cloud ", "x".repeat(5000)};
    List<String> deltas = new ArrayList<>();
    StringBuilder whole = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      StringBuilder d = new StringBuilder();
      for (int w = random.nextInt(4); w > 0; w--) {
        d.append(words[random.nextInt(words.length)]);
      }
      deltas.add(d.toString());
      whole.append(d);
    }
    AnswerText text = appendAll(deltas);

    assertThat(text.segments()).isGreaterThan(whole.length() / AnswerText.SEGMENT_CHARS);
    StringBuilder read = new StringBuilder();
    for (int seq = 0; seq < text.count(); seq++) {
      assertThat(text.delta(seq)).as("seq %d", seq).isEqualTo(deltas.get(seq));
      read.append(text.delta(seq));
    }
    assertThat(read.toString()).isEqualTo(whole.toString());
    assertThat(text.bytes()).isEqualTo(Utf8.length(whole));
  }

  @Test
  void aFullSegmentIsTrimmedAndCountedAtItsLengthWhileTheCurrentOneCountsItsCapacity() {
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < AnswerText.SEGMENT_CHARS / 1024; i++) {
      deltas.add("a".repeat(1024)); // Latin-1: one byte per char
    }
    deltas.add("筋".repeat(10)); // starts the second segment, two bytes per char
    AnswerText text = appendAll(deltas);

    assertThat(text.segments()).isEqualTo(2);
    assertThat(text.heapBytes())
        .isEqualTo(
            AnswerText.SHALLOW_BYTES
                + 2 * AnswerText.array(4L * 2) // two segments and their starts
                + AnswerText.BUILDER_BYTES
                + AnswerText.array(AnswerText.SEGMENT_CHARS) // trimmed, Latin-1
                + AnswerText.BUILDER_BYTES
                + AnswerText.array(2 * 16) // the new one: at least 16 chars, UTF-16
                + 2 * AnswerText.array(4L * 128)); // 65 chunks: arrays of 128 ends and lags
  }

  @Test
  void noSegmentArrayOfALongAnswerReachesHalfAG1Region() {
    String delta = "筋斗云 streams ".repeat(40); // 480 chars, UTF-16
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      deltas.add(delta);
    }
    AnswerText text = appendAll(deltas);
    long utf16 = 2L * delta.length() * deltas.size(); // 1.9 MB
    long largestSegment = 2L * (AnswerText.SEGMENT_CHARS * 2 + 2); // a doubled builder, at worst
    assertThat(largestSegment).isLessThan(512 * 1024);
    assertThat(text.segments())
        .isGreaterThanOrEqualTo((int) (utf16 / 2 / AnswerText.SEGMENT_CHARS));
    assertThat(text.heapBytes())
        .as("within a few percent of the UTF-16 text: no doubled capacity but the last segment's")
        .isBetween(utf16, (long) (utf16 * 1.1));
  }
}
