package io.jindouyun.contract;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Field readers shared by the contract's JSON codecs. Stateless and thread-safe. */
final class Json {

  static final JsonMapper MAPPER = JsonMapper.builder().build();

  private Json() {}

  /** The JSON object in {@code json}. */
  static JsonNode object(String json) throws BadRecordException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw new BadRecordException("not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadRecordException("not a JSON object");
    }
    return root;
  }

  /** A string field; {@code def} when absent or null. */
  static String text(JsonNode root, String name, String def) throws BadRecordException {
    JsonNode n = root.get(name);
    if (n == null || n.isNull()) {
      return def;
    }
    if (!n.isString()) {
      throw new BadRecordException(name + " must be a string");
    }
    return n.asString();
  }

  /** An integer field, as a JSON integer or a numeric string, in min..max; 0 when absent. */
  static long integer(JsonNode root, String name, long min, long max) throws BadRecordException {
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
}
