package io.jindouyun.contract;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An instance's registration: the value of {@code <root>instances/<service>/<id>} (see {@link
 * EtcdKeys}), written by the instance itself, and the form in which ipconfig lists static
 * instances.
 *
 * <p>JSON: {@code {id, service, host, httpPort, grpcPort, zone, version, startedAt}}. When read,
 * {@code id} and {@code service} default to the key's and must match it; {@code host}, {@code
 * zone}, {@code version} and {@code startedAt} default to empty; ports are JSON integers or numeric
 * strings in 0..65535 and default to 0; other fields are ignored. Whether an instance can be routed
 * to is a further question: {@link #validate()}.
 *
 * @param id instance id, {@link InstanceId#PATTERN}
 * @param service service name, {@link ServiceName#PATTERN}
 * @param host host other services reach it at (the edge connects to it)
 * @param httpPort HTTP port (served by ipconfig as {@code port}); 0 when unknown
 * @param grpcPort gRPC metrics port, 0 when it serves none
 * @param zone zone, may be empty
 * @param version software version, may be empty
 * @param startedAt ISO-8601 instant the process started, as written; may be empty
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

  /** Null zone, version and start time become empty. */
  public InstanceRecord {
    zone = zone == null ? "" : zone;
    version = version == null ? "" : version;
    startedAt = startedAt == null ? "" : startedAt;
  }

  /**
   * Problems that keep this instance from being routed to, empty when none: the id and service must
   * be valid names, the host non-blank (at most 253 characters), {@code httpPort} in 1..65535 and
   * {@code grpcPort} in 0..65535.
   */
  public String validate() {
    if (!InstanceId.isValid(id)) {
      return "id must match " + InstanceId.PATTERN.pattern();
    }
    if (!ServiceName.isValid(service)) {
      return "service must match " + ServiceName.PATTERN.pattern();
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

  /** The JSON written to etcd. */
  public String toJson() {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", id);
    node.put("service", service);
    node.put("host", host);
    node.put("httpPort", httpPort);
    node.put("grpcPort", grpcPort);
    node.put("zone", zone);
    node.put("version", version);
    node.put("startedAt", startedAt);
    return Json.MAPPER.writeValueAsString(node);
  }

  /**
   * Reads the record stored at the instance key of {@code key}.
   *
   * @throws BadRecordException when the value is not a JSON object, a field has the wrong type or
   *     range, or {@code id}/{@code service} do not match the key
   */
  public static InstanceRecord fromJson(ServiceInstance key, String json)
      throws BadRecordException {
    JsonNode root = Json.object(json);
    InstanceRecord record =
        new InstanceRecord(
            Json.text(root, "id", key.id()),
            Json.text(root, "service", key.service()),
            Json.text(root, "host", ""),
            (int) Json.integer(root, "httpPort", 0, 65535),
            (int) Json.integer(root, "grpcPort", 0, 65535),
            Json.text(root, "zone", ""),
            Json.text(root, "version", ""),
            Json.text(root, "startedAt", ""));
    if (!record.id().equals(key.id()) || !record.service().equals(key.service())) {
      throw new BadRecordException("id/service do not match the key " + key);
    }
    return record;
  }
}
