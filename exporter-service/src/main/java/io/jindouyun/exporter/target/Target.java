package io.jindouyun.exporter.target;

import io.jindouyun.contract.InstanceId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One backend to pull metrics from.
 *
 * @param service service name
 * @param id instance id
 * @param host host of its gRPC metrics server
 * @param grpcPort port of its gRPC metrics server
 */
public record Target(String service, String id, String host, int grpcPort) {

  /** {@code service/id@host:port}; service and id both in the instance-id alphabet. */
  private static final Pattern STATIC =
      Pattern.compile(
          "(" + InstanceId.PATTERN + ")/(" + InstanceId.PATTERN + ")@([^:@/\\s]+):(\\d{1,5})");

  public Target {
    if (grpcPort < 1 || grpcPort > 65535) {
      throw new IllegalArgumentException(
          "bad gRPC port " + grpcPort + " for " + service + "/" + id);
    }
  }

  /** {@code <service>/<id>}, the suffix of both its instance key and its metrics key. */
  public String key() {
    return service + "/" + id;
  }

  /** Parses {@code service/id@host:port}. */
  public static Target parseStatic(String text) {
    Matcher m = STATIC.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "static target must look like service/id@host:grpcPort: " + text);
    }
    return new Target(m.group(1), m.group(2), m.group(3), Integer.parseInt(m.group(4)));
  }

  @Override
  public String toString() {
    return key() + "@" + host + ":" + grpcPort;
  }
}
