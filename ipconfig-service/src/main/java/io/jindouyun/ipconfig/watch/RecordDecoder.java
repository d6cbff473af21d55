package io.jindouyun.ipconfig.watch;

import io.jindouyun.ipconfig.ranking.Instance;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Decodes the JSON records under {@code /jindouyun/instances/} and {@code /jindouyun/metrics/}.
 *
 * <p>Instances: {@code {id, service, host, httpPort, grpcPort, zone, version, startedAt}}; {@code
 * id} and {@code service} must match the key. Metrics: the protobuf {@code JsonFormat} of {@code
 * MetricsSnapshot} (lowerCamel names, int64 written as strings, zero values omitted): {@code
 * service, instanceId, timestampMs, intervalMs, processCpu, systemCpu, heapUsedBytes, heapMaxBytes,
 * rssBytes, processors, requestsTotal, requestsInFlight, activeStreams, errorsTotal, avgLatencyMs,
 * avgTtftMs, tokensPerSecond, queueDepth, consumerLag}. Numbers are accepted as JSON numbers or
 * numeric strings; a missing number is 0. Thread-safe.
 */
final class RecordDecoder {

  private final JsonMapper mapper;

  RecordDecoder(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /** Service and instance id taken from a key {@code <prefix><service>/<id>}. */
  record KeyParts(String service, String id) {}

  /** Splits the part of a key after its prefix into service and id. */
  static KeyParts keyParts(String rest) throws BadRecordException {
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
      throw new BadRecordException("key must end in <service>/<instanceId>: " + rest);
    }
    String service = rest.substring(0, slash);
    String id = rest.substring(slash + 1);
    if (!Instance.SERVICE.matcher(service).matches() || !Instance.ID.matcher(id).matches()) {
      throw new BadRecordException("bad service or instance id in key: " + rest);
    }
    return new KeyParts(service, id);
  }

  Instance instance(KeyParts key, String json) throws BadRecordException {
    JsonNode root = object(json);
    Instance instance =
        new Instance(
            text(root, "id", key.id()),
            text(root, "service", key.service()),
            text(root, "host", null),
            (int) range(root, "httpPort", 0, 65535),
            (int) range(root, "grpcPort", 0, 65535),
            text(root, "zone", ""),
            text(root, "version", ""),
            text(root, "startedAt", ""));
    if (!instance.id().equals(key.id()) || !instance.service().equals(key.service())) {
      throw new BadRecordException("id/service do not match the key " + key);
    }
    String problem = instance.validate();
    if (!problem.isEmpty()) {
      throw new BadRecordException(problem);
    }
    return instance;
  }

  MetricsSample metrics(KeyParts key, String json) throws BadRecordException {
    JsonNode root = object(json);
    if (!text(root, "service", key.service()).equals(key.service())
        || !text(root, "instanceId", key.id()).equals(key.id())) {
      throw new BadRecordException("service/instanceId do not match the key " + key);
    }
    long timestamp = range(root, "timestampMs", 1, Long.MAX_VALUE);
    double cpu = number(root, "processCpu");
    if (cpu > 1.01) {
      throw new BadRecordException("processCpu must be <= 1, got " + cpu);
    }
    double ttft = number(root, "avgTtftMs");
    if (ttft < 0) {
      throw new BadRecordException("avgTtftMs must be >= 0, got " + ttft);
    }
    return new MetricsSample(
        timestamp,
        cpu,
        range(root, "heapUsedBytes", 0, Long.MAX_VALUE),
        range(root, "heapMaxBytes", 0, Long.MAX_VALUE),
        range(root, "requestsTotal", 0, Long.MAX_VALUE),
        range(root, "requestsInFlight", 0, Long.MAX_VALUE),
        range(root, "activeStreams", 0, Long.MAX_VALUE),
        range(root, "errorsTotal", 0, Long.MAX_VALUE),
        ttft);
  }

  private JsonNode object(String json) throws BadRecordException {
    try {
      JsonNode root = mapper.readTree(json);
      if (root == null || !root.isObject()) {
        throw new BadRecordException("not a JSON object");
      }
      return root;
    } catch (JacksonException e) {
      throw new BadRecordException("not JSON: " + e.getOriginalMessage());
    }
  }

  private static String text(JsonNode root, String name, String def) throws BadRecordException {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      if (def == null) {
        throw new BadRecordException(name + " is required");
      }
      return def;
    }
    if (!n.isString()) {
      throw new BadRecordException(name + " must be a string");
    }
    return n.asString();
  }

  private static long range(JsonNode root, String name, long min, long max)
      throws BadRecordException {
    JsonNode n = root.get(name);
    long v;
    if (n == null || n.isNull()) {
      v = 0;
    } else if (n.isIntegralNumber() && n.canConvertToLong()) {
      v = n.asLong();
    } else if (n.isString()) {
      try {
        v = Long.parseLong(n.asString());
      } catch (NumberFormatException e) {
        throw new BadRecordException(name + " must be an integer, got " + n);
      }
    } else {
      throw new BadRecordException(name + " must be an integer, got " + n);
    }
    if (v < min || v > max) {
      throw new BadRecordException(name + " must be in " + min + ".." + max + ", got " + v);
    }
    return v;
  }

  private static double number(JsonNode root, String name) throws BadRecordException {
    JsonNode n = root.get(name);
    double v;
    if (n == null || n.isNull()) {
      return 0;
    } else if (n.isNumber()) {
      v = n.asDouble();
    } else if (n.isString()) {
      try {
        v = Double.parseDouble(n.asString());
      } catch (NumberFormatException e) {
        throw new BadRecordException(name + " must be a number, got " + n);
      }
    } else {
      throw new BadRecordException(name + " must be a number, got " + n);
    }
    if (!Double.isFinite(v)) {
      throw new BadRecordException(name + " must be finite, got " + n);
    }
    return v;
  }
}
