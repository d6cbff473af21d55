package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses and validates override JSON:
 *
 * <pre>{@code
 * {"strategy": "score" | "manual" | "hash" | "drain",   // optional, default "score"
 *  "weights":  {"<instanceId>": 0..1000, ...},          // required non-empty for manual
 *  "drain":    ["<instanceId>", ...]}                   // required non-empty for drain
 * }</pre>
 *
 * Unknown fields are rejected (a typo must not silently do nothing). Thread-safe.
 */
public final class OverrideParser {

  private static final Set<String> FIELDS = Set.of("strategy", "weights", "drain");

  private final JsonMapper mapper;

  public OverrideParser(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /** Thrown for an invalid override; the message says what is wrong. */
  public static final class InvalidOverrideException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidOverrideException(String message) {
      super(message);
    }
  }

  /** The override in {@code json}, or an exception saying what is wrong. */
  public RoutingOverride parse(String json) throws InvalidOverrideException {
    JsonNode root;
    try {
      root = mapper.readTree(json);
    } catch (JacksonException e) {
      throw new InvalidOverrideException("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidOverrideException("must be a JSON object");
    }
    for (String name : root.propertyNames()) {
      if (!FIELDS.contains(name)) {
        throw new InvalidOverrideException(
            "unknown field '" + name + "', expected strategy, weights, drain");
      }
    }
    Strategy strategy = strategy(root.get("strategy"));
    Map<String, Integer> weights = weights(root.get("weights"));
    Set<String> drain = drain(root.get("drain"));
    if (strategy == Strategy.MANUAL && weights.values().stream().noneMatch(w -> w > 0)) {
      throw new InvalidOverrideException("strategy manual needs weights with at least one > 0");
    }
    if (strategy == Strategy.DRAIN && drain.isEmpty()) {
      throw new InvalidOverrideException("strategy drain needs a non-empty drain list");
    }
    return new RoutingOverride(strategy, weights, drain);
  }

  private static Strategy strategy(JsonNode node) throws InvalidOverrideException {
    if (node == null || node.isNull()) {
      return Strategy.SCORE;
    }
    if (node.isString()) {
      String text = node.asString();
      for (Strategy s : Strategy.values()) {
        if (s.key().equals(text.toLowerCase(Locale.ROOT))) {
          return s;
        }
      }
    }
    throw new InvalidOverrideException(
        "strategy must be one of score, manual, hash, drain, got " + node);
  }

  private static Map<String, Integer> weights(JsonNode node) throws InvalidOverrideException {
    Map<String, Integer> weights = new HashMap<>();
    if (node == null || node.isNull()) {
      return weights;
    }
    if (!node.isObject()) {
      throw new InvalidOverrideException("weights must be an object of instance id to weight");
    }
    if (node.size() > RoutingOverride.MAX_ENTRIES) {
      throw new InvalidOverrideException("weights has more than " + RoutingOverride.MAX_ENTRIES);
    }
    Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      checkId(e.getKey());
      JsonNode w = e.getValue();
      if (!w.isIntegralNumber()
          || !w.canConvertToLong()
          || w.asLong() < 0
          || w.asLong() > RoutingOverride.MAX_WEIGHT) {
        throw new InvalidOverrideException(
            "weight of '"
                + e.getKey()
                + "' must be an integer 0.."
                + RoutingOverride.MAX_WEIGHT
                + ", got "
                + w);
      }
      weights.put(e.getKey(), w.asInt());
    }
    return weights;
  }

  private static Set<String> drain(JsonNode node) throws InvalidOverrideException {
    Set<String> drain = new HashSet<>();
    if (node == null || node.isNull()) {
      return drain;
    }
    if (!node.isArray()) {
      throw new InvalidOverrideException("drain must be an array of instance ids");
    }
    if (node.size() > RoutingOverride.MAX_ENTRIES) {
      throw new InvalidOverrideException("drain has more than " + RoutingOverride.MAX_ENTRIES);
    }
    for (JsonNode id : node) {
      if (!id.isString()) {
        throw new InvalidOverrideException("drain entries must be strings, got " + id);
      }
      checkId(id.asString());
      drain.add(id.asString());
    }
    return drain;
  }

  private static void checkId(String id) throws InvalidOverrideException {
    if (!InstanceId.isValid(id)) {
      throw new InvalidOverrideException(
          "instance id '" + id + "' must match " + InstanceId.PATTERN.pattern());
    }
  }
}
