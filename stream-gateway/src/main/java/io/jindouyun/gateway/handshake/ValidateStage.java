package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses the body and checks it: well-formed JSON with no field a chat request does not have (400
 * naming the field); 1..maxMessages messages with roles {@code system}, {@code user} or {@code
 * assistant} and the last one from the user; total characters bounded (413); model in the
 * allow-list; {@code maxTokens} and {@code temperature} in range.
 */
final class ValidateStage implements HandshakeStage {

  static final int ORDER = 200;

  private static final Set<String> ROLES = Set.of("system", "user", "assistant");

  private final ObjectReader reader;
  private final HandshakeProperties props;

  ValidateStage(JsonMapper json, HandshakeProperties props) {
    // strict on this body alone: a misspelt field ("maxToken") is refused, not silently ignored
    this.reader =
        json.readerFor(ChatRequest.class).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    this.props = props;
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    ChatRequest request;
    try {
      request = reader.readValue(ctx.body());
    } catch (UnrecognizedPropertyException e) {
      return invalid("unknown field " + fieldPath(e) + ": the chat request has no such field");
    } catch (JacksonException e) {
      return invalid("the body is not a valid chat request: " + e.getOriginalMessage());
    }
    if (request == null) {
      return invalid("the body is empty");
    }
    List<ChatRequest.Message> messages = request.messages();
    if (messages == null || messages.isEmpty()) {
      return invalid("messages must not be empty");
    }
    if (messages.size() > props.maxMessages()) {
      return invalid("at most " + props.maxMessages() + " messages are allowed");
    }
    long chars = 0;
    for (int i = 0; i < messages.size(); i++) {
      ChatRequest.Message m = messages.get(i);
      if (m == null || m.role() == null || !ROLES.contains(m.role())) {
        return invalid("messages[" + i + "].role must be one of system, user, assistant");
      }
      if (m.content() == null) {
        return invalid("messages[" + i + "].content is required");
      }
      chars += m.content().length();
    }
    if (!"user".equals(messages.get(messages.size() - 1).role())) {
      return invalid("the last message must have role user");
    }
    if (chars > props.maxTotalChars()) {
      return Mono.error(
          new ProblemException(
              ProblemKind.PAYLOAD_TOO_LARGE,
              "the messages hold more than " + props.maxTotalChars() + " characters"));
    }
    String model = request.model() == null ? props.defaultModel() : request.model();
    if (!props.models().contains(model)) {
      return invalid("model must be one of " + props.models());
    }
    if (request.maxTokens() != null
        && (request.maxTokens() < 1 || request.maxTokens() > props.maxTokensLimit())) {
      return invalid("maxTokens must be between 1 and " + props.maxTokensLimit());
    }
    if (request.temperature() != null
        && !(request.temperature() >= 0 && request.temperature() <= props.maxTemperature())) {
      return invalid("temperature must be between 0 and " + props.maxTemperature());
    }
    if (request.conversationId() != null
        && request.conversationId().length() > props.maxConversationIdLength()) {
      return invalid(
          "conversationId must be at most " + props.maxConversationIdLength() + " characters");
    }
    return chain.next(ctx.withRequest(request, model));
  }

  /** The unknown field's path in the body, e.g. {@code messages[0].name}. */
  static String fieldPath(UnrecognizedPropertyException e) {
    StringBuilder path = new StringBuilder();
    for (JacksonException.Reference ref : e.getPath()) {
      if (ref.getPropertyName() != null) {
        path.append(path.isEmpty() ? "" : ".").append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.isEmpty() ? String.valueOf(e.getPropertyName()) : path.toString();
  }

  private static Mono<HandshakeResult> invalid(String detail) {
    return Mono.error(new ProblemException(ProblemKind.VALIDATION, detail));
  }
}
