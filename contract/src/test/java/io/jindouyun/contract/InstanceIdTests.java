package io.jindouyun.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InstanceIdTests {

  @Test
  void lettersDigitsDotsDashesAndUnderscoresUpTo64AreValid() {
    assertThat(InstanceId.isValid("gw-1")).isTrue();
    assertThat(InstanceId.isValid("Node_2.zone-a")).isTrue();
    assertThat(InstanceId.isValid("a".repeat(64))).isTrue();
  }

  @Test
  void emptyTooLongOrOtherCharactersAreNot() {
    assertThat(InstanceId.isValid(null)).isFalse();
    assertThat(InstanceId.isValid("")).isFalse();
    assertThat(InstanceId.isValid("a".repeat(65))).isFalse();
    assertThat(InstanceId.isValid("gw~1")).isFalse();
    assertThat(InstanceId.isValid("gw/1")).isFalse();
    assertThat(InstanceId.isValid("gw 1")).isFalse();
  }

  @Test
  void requireNamesTheSettingAndThePatternWhenTheIdIsBad() {
    assertThat(InstanceId.require("gw-1", "jindouyun.instance.id")).isEqualTo("gw-1");
    assertThatThrownBy(() -> InstanceId.require("gw~1", "jindouyun.instance.id"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jindouyun.instance.id must match [A-Za-z0-9_.-]{1,64}: gw~1");
  }

  @Test
  void sanitizeReplacesOtherCharactersAndCutsTo64() {
    assertThat(InstanceId.sanitize("stream-gateway-10.0.0.7-8081"))
        .isEqualTo("stream-gateway-10.0.0.7-8081");
    assertThat(InstanceId.sanitize("svc-[::1]-80")).isEqualTo("svc-___1_-80");
    assertThat(InstanceId.sanitize("x".repeat(70))).hasSize(64);
    assertThat(InstanceId.isValid(InstanceId.sanitize("a b/c~d"))).isTrue();
    assertThatThrownBy(() -> InstanceId.sanitize("")).isInstanceOf(IllegalArgumentException.class);
  }
}
