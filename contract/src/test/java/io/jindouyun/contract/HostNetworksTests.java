package io.jindouyun.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostNetworksTests {

  private final HostNetworks privateOnly = HostNetworks.of(HostNetworks.PRIVATE);

  @Test
  void loopbackAndPrivateAddressesAreAllowedByTheDefaultNetworks() {
    for (String host :
        List.of(
            "127.0.0.1",
            "localhost",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.10",
            "::1",
            "[::1]",
            "fd12:3456::1",
            "::ffff:10.0.0.1")) {
      assertThat(privateOnly.allows(host)).as(host).isTrue();
    }
  }

  @Test
  void publicAddressesHostNamesAndNonsenseAreRefused() {
    for (String host :
        List.of(
            "8.8.8.8",
            "172.32.0.1",
            "169.254.169.254",
            "2001:db8::1",
            "example.com",
            "gw-1",
            "256.1.1.1",
            "",
            "1.2.3")) {
      assertThat(privateOnly.allows(host)).as(host).isFalse();
    }
  }

  @Test
  void prefixLengthsThatAreNotWholeBytesAreHonoured() {
    HostNetworks n = HostNetworks.of(List.of("192.0.2.64/27", "203.0.113.7"));
    assertThat(n.allows("192.0.2.64")).isTrue();
    assertThat(n.allows("192.0.2.95")).isTrue();
    assertThat(n.allows("192.0.2.96")).isFalse();
    assertThat(n.allows("203.0.113.7")).isTrue();
    assertThat(n.allows("203.0.113.8")).isFalse();
  }

  @Test
  void theRefusalNamesTheHostAndTheNetworks() {
    InstanceRecord record =
        new InstanceRecord("gw-1", "stream-gateway", "8.8.8.8", 80, 0, "", "", "");
    assertThat(privateOnly.refusal(record))
        .isEqualTo("host 8.8.8.8 is outside the allowed networks " + HostNetworks.PRIVATE);
    assertThat(
            privateOnly.refusal(
                new InstanceRecord("gw-1", "stream-gateway", "10.0.0.2", 80, 0, "", "", "")))
        .isEmpty();
  }

  @Test
  void aBadBlockIsRefusedNamingIt() {
    assertThatThrownBy(() -> HostNetworks.of(List.of("10.0.0.0/33")))
        .hasMessageContaining("10.0.0.0/33");
    assertThatThrownBy(() -> HostNetworks.of(List.of("intranet/8")))
        .hasMessageContaining("intranet/8");
  }
}
