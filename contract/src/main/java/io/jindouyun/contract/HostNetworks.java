package io.jindouyun.contract;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The networks an instance record's {@code host} may be in: a set of CIDR blocks (IPv4 and IPv6). A
 * host is allowed when it is an IP literal inside one of them ({@code localhost} counts as {@code
 * 127.0.0.1}); a host name is never allowed, since readers connect to addresses and do not resolve
 * names (the edge neither). Whoever can write an instance record could otherwise point traffic
 * anywhere. No name is ever looked up. Immutable and thread-safe.
 */
public final class HostNetworks {

  /** Loopback and the private ranges: 127.0.0.0/8, RFC 1918, ::1 and IPv6 unique local. */
  public static final List<String> PRIVATE =
      List.of(
          "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7");

  /** No check: every host passes (static lists an operator wrote, tests on names). */
  public static final HostNetworks ANY = new HostNetworks(null, List.of("any"));

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final List<Block> blocks;
  private final List<String> cidrs;

  private HostNetworks(List<Block> blocks, List<String> cidrs) {
    this.blocks = blocks;
    this.cidrs = cidrs;
  }

  /**
   * The networks {@code cidrs} name, each {@code <address>/<prefix length>} (a bare address is a
   * block of one).
   *
   * @throws IllegalArgumentException naming the first entry that is not a CIDR block
   */
  public static HostNetworks of(Collection<String> cidrs) {
    List<Block> blocks = new ArrayList<>(cidrs.size());
    for (String cidr : cidrs) {
      blocks.add(Block.parse(cidr.strip()));
    }
    return new HostNetworks(List.copyOf(blocks), List.copyOf(cidrs));
  }

  /** Whether {@code host} is an IP literal in one of the networks. */
  public boolean allows(String host) {
    if (blocks == null) {
      return true;
    }
    byte[] address = literal("localhost".equalsIgnoreCase(host) ? "127.0.0.1" : host);
    if (address == null) {
      return false;
    }
    for (Block b : blocks) {
      if (b.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why {@code record} is refused, or empty when its host is allowed: the reason names the host and
   * the networks.
   */
  public String refusal(InstanceRecord record) {
    if (allows(record.host())) {
      return "";
    }
    return "host "
        + record.host()
        + (literal(record.host()) == null ? " is not an IP address in" : " is outside")
        + " the allowed networks "
        + cidrs;
  }

  @Override
  public String toString() {
    return "HostNetworks" + cidrs;
  }

  /** The bytes of an IPv4 or IPv6 literal (IPv4-mapped IPv6 as IPv4), or null. */
  private static byte[] literal(String host) {
    if (host == null || host.isEmpty() || host.length() > 64) {
      return null;
    }
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (IPV4.matcher(h).matches()) {
      String[] parts = h.split("\\.");
      byte[] bytes = new byte[4];
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(parts[i]);
        if (v > 255) {
          return null;
        }
        bytes[i] = (byte) v;
      }
      return bytes;
    }
    if (IPV6.matcher(h).matches()) {
      try {
        // a string with ':' is parsed as a literal, never looked up
        return InetAddress.getByName(h).getAddress();
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return null;
  }

  private record Block(byte[] network, int prefix) {

    static Block parse(String cidr) {
      int slash = cidr.indexOf('/');
      byte[] address = literal(slash < 0 ? cidr : cidr.substring(0, slash));
      if (address == null) {
        throw new IllegalArgumentException("not a CIDR block: " + cidr);
      }
      int bits = address.length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? bits : Integer.parseInt(cidr.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CIDR block: " + cidr, e);
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("prefix length out of range in " + cidr);
      }
      return new Block(address, prefix);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }
}
