package io.jindouyun.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CursorsTests {

  @Test
  void aCursorDecodesToItsPosition() {
    Cursors.Position p = new Cursors.Position(1234567L, "conv:with-colon");

    assertThat(Cursors.decode(Cursors.encode(p))).isEqualTo(p);
  }

  @Test
  void somethingElseIsRefused() {
    assertThatThrownBy(() -> Cursors.decode("%%%")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cursors.decode("bm90LWEtY3Vyc29y"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
