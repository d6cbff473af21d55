package io.jindouyun.support.registration;

/**
 * The value of {@code /jindouyun/instances/<service>/<id>}.
 *
 * @param id instance id
 * @param service service name
 * @param host host to reach it at
 * @param httpPort HTTP port
 * @param grpcPort gRPC metrics port (0 when it serves none)
 * @param zone zone, may be empty
 * @param version version
 * @param startedAt ISO-8601 instant the process started
 */
public record InstanceRecord(
    String id,
    String service,
    String host,
    int httpPort,
    int grpcPort,
    String zone,
    String version,
    String startedAt) {

  /** The key prefix of every instance. */
  public static final String PREFIX = "/jindouyun/instances/";

  /** {@code /jindouyun/instances/<service>/<id>}. */
  public String key() {
    return PREFIX + service + "/" + id;
  }
}
