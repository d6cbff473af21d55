package io.jindouyun.consumer.reply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChunkCoalescerTests {

  @Test
  void firstTokenIsFlushedAtOnce() {
    ChunkCoalescer coalescer = new ChunkCoalescer(512);
    assertThat(coalescer.offer("Hello")).isEqualTo(ChunkCoalescer.Decision.FLUSH_NOW);
    assertThat(coalescer.take()).isEqualTo("Hello");
  }

  @Test
  void laterTokensArmTheTimerOnceAndWait() {
    ChunkCoalescer coalescer = new ChunkCoalescer(512);
    coalescer.offer("a");
    coalescer.take();
    assertThat(coalescer.offer(" b")).isEqualTo(ChunkCoalescer.Decision.ARM_TIMER);
    assertThat(coalescer.offer(" c")).isEqualTo(ChunkCoalescer.Decision.WAIT);
    assertThat(coalescer.take()).isEqualTo(" b c");
    assertThat(coalescer.isEmpty()).isTrue();
    assertThat(coalescer.offer(" d")).isEqualTo(ChunkCoalescer.Decision.ARM_TIMER);
  }

  @Test
  void fullBufferFlushesAtTheByteBoundCountingUtf8() {
    ChunkCoalescer coalescer = new ChunkCoalescer(8);
    coalescer.offer("x");
    coalescer.take();
    assertThat(coalescer.offer("筋斗")).isEqualTo(ChunkCoalescer.Decision.ARM_TIMER);
    assertThat(coalescer.bufferedBytes()).isEqualTo(6);
    assertThat(coalescer.offer("🐒")).isEqualTo(ChunkCoalescer.Decision.FLUSH_NOW);
    assertThat(coalescer.bufferedBytes()).isEqualTo(10);
    assertThat(coalescer.take()).isEqualTo("筋斗🐒");
  }

  @Test
  void resetMakesTheNextTokenFirstAgain() {
    ChunkCoalescer coalescer = new ChunkCoalescer(512);
    coalescer.offer("a");
    coalescer.take();
    coalescer.offer("b");
    coalescer.reset();
    assertThat(coalescer.isEmpty()).isTrue();
    assertThat(coalescer.offer("c")).isEqualTo(ChunkCoalescer.Decision.FLUSH_NOW);
  }

  @Test
  void utf8LengthMatchesTheEncoder() {
    String text = "a é 筋 🐒 \uD800";
    assertThat(ChunkCoalescer.utf8Length(text))
        .isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
  }

  @Test
  void rejectsANonPositiveBound() {
    assertThatThrownBy(() -> new ChunkCoalescer(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
