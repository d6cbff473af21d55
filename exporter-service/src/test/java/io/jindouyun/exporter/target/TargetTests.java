package io.jindouyun.exporter.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TargetTests {

  @Test
  void staticTargetIsServiceSlashIdAtHostColonPort() {
    Target t = Target.parseStatic(" stream-gateway/gw-1@10.0.0.5:9081 ");

    assertThat(t).isEqualTo(new Target("stream-gateway", "gw-1", "10.0.0.5", 9081));
    assertThat(t.key()).isEqualTo("stream-gateway/gw-1");
  }

  @Test
  void malformedStaticTargetsAreRejected() {
    for (String bad :
        new String[] {"gw-1@h:1", "s/i@h", "s/i@h:0", "s/i@h:70000", "s/i/x@h:1", "s/ i@h:1"}) {
      assertThatThrownBy(() -> Target.parseStatic(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
