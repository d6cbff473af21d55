package io.jindouyun.consumer.history;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoredTurnsTests {

  @Test
  void textWithinTheBoundIsKeptWhole() {
    assertThat(StoredTurns.cutToBytes("héllo", 6)).isEqualTo("héllo");
  }

  @Test
  void textPastTheBoundIsCutAtAWholeCharacter() {
    assertThat(StoredTurns.cutToBytes("héllo", 2)).isEqualTo("h"); // é takes two bytes
    assertThat(StoredTurns.cutToBytes("a😀b", 4)).isEqualTo("a"); // the emoji takes four
    assertThat(StoredTurns.cutToBytes("a😀b", 5)).isEqualTo("a😀");
    assertThat(StoredTurns.cutToBytes("abc", 0)).isEmpty();
  }
}
