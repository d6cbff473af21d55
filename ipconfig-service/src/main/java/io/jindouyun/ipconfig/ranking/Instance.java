package io.jindouyun.ipconfig.ranking;

import java.util.regex.Pattern;

/**
 * A registered backend instance, as written by the service itself at {@code
 * /jindouyun/instances/<service>/<id>} or listed as static in {@code ipconfig.yml}.
 *
 * @param id instance id, {@code [A-Za-z0-9_.-]{1,64}}
 * @param service service name
 * @param host host the edge connects to
 * @param httpPort HTTP port, 1..65535 (served as {@code port})
 * @param grpcPort gRPC port, 0 when none
 * @param zone zone label, may be empty
 * @param version software version, may be empty
 * @param startedAt start time as written by the instance, may be empty
 */
public record Instance(
    String id,
    String service,
    String host,
    int httpPort,
    int grpcPort,
    String zone,
    String version,
    String startedAt) {

  /** Valid instance ids (the edge parses them out of stream ids). */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** Valid service names. */
  public static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  public Instance {
    zone = zone == null ? "" : zone;
    version = version == null ? "" : version;
    startedAt = startedAt == null ? "" : startedAt;
  }

  /** Problems with this instance, empty when valid. */
  public String validate() {
    if (id == null || !ID.matcher(id).matches()) {
      return "id must match " + ID.pattern();
    }
    if (service == null || !SERVICE.matcher(service).matches()) {
      return "service must match " + SERVICE.pattern();
    }
    if (host == null || host.isBlank() || host.length() > 253) {
      return "host must be a non-empty host name or address";
    }
    if (httpPort < 1 || httpPort > 65535) {
      return "httpPort must be in 1..65535";
    }
    if (grpcPort < 0 || grpcPort > 65535) {
      return "grpcPort must be in 0..65535";
    }
    return "";
  }
}
