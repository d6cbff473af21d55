package io.jindouyun.gateway.sse;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ack body {@code {"lastEventId": "<generation>.<seq>"}}: empty, {@code {}} or an empty id
 * acknowledge without a position (an answer with no chunk has no id); anything else must be a JSON
 * object whose {@code lastEventId} is a string of that shape.
 */
final class AckBody {

  private static final Pattern EVENT_ID = Pattern.compile("[0-9]{1,18}\\.[0-9]{1,18}");

  private AckBody() {}

  /**
   * The {@code lastEventId} of {@code body}, or null when there is none.
   *
   * @throws ProblemException VALIDATION naming the field (or the body) that is wrong
   */
  static String lastEventId(JsonMapper json, byte[] body) {
    if (body.length == 0) {
      return null;
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JacksonException e) {
      throw invalid("the ack body is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return null;
    }
    if (!root.isObject()) {
      throw invalid("the ack body must be an object {\"lastEventId\": \"<generation>.<seq>\"}");
    }
    JsonNode id = root.get("lastEventId");
    if (id == null || id.isNull()) {
      return null;
    }
    if (!id.isString()) {
      throw invalid("lastEventId must be a string \"<generation>.<seq>\"");
    }
    String value = id.asString();
    if (value.isEmpty()) {
      return null;
    }
    if (!EVENT_ID.matcher(value).matches()) {
      throw invalid("lastEventId must be \"<generation>.<seq>\" (the id of the last chunk read)");
    }
    return value;
  }

  private static ProblemException invalid(String detail) {
    return new ProblemException(ProblemKind.VALIDATION, detail);
  }
}
