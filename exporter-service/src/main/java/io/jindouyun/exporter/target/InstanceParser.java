package io.jindouyun.exporter.target;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a target from an instance registration: key {@code /jindouyun/instances/<service>/<id>},
 * value JSON {@code {id, service, host, httpPort, grpcPort, ...}}. The key names the target (so it
 * matches the key that disappears when the lease ends); host defaults to 127.0.0.1. Stateless.
 */
final class InstanceParser {

  static final String PREFIX = "/jindouyun/instances/";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private InstanceParser() {}

  /** The {@code service/id} part of an instance key, or null when the key is not one. */
  static String targetKey(String key) {
    if (!key.startsWith(PREFIX)) {
      return null;
    }
    String rest = key.substring(PREFIX.length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    return rest;
  }

  /**
   * The target of one registration.
   *
   * @throws IllegalArgumentException when the key or value is not a usable registration (no gRPC
   *     port, bad JSON)
   */
  static Target parse(String key, String json) {
    String targetKey = targetKey(key);
    if (targetKey == null) {
      throw new IllegalArgumentException("not an instance key: " + key);
    }
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("bad JSON in " + key + ": " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object in " + key);
    }
    int slash = targetKey.indexOf('/');
    String host = node.path("host").asString("");
    int port = node.path("grpcPort").asInt(0);
    if (port <= 0) {
      throw new IllegalArgumentException("no grpcPort in " + key);
    }
    return new Target(
        targetKey.substring(0, slash),
        targetKey.substring(slash + 1),
        host.isBlank() ? "127.0.0.1" : host,
        port);
  }
}
