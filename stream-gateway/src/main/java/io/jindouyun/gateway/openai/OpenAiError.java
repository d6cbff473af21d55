package io.jindouyun.gateway.openai;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A failed OpenAI-compatible request, answered as {@code {"error":{"message","type","param",
 * "code"}}} with its HTTP status (and {@code Retry-After} when it carries one).
 */
final class OpenAiError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final transient Duration retryAfter;

  OpenAiError(
      int status, String type, String param, String code, String message, Duration retryAfter) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** 400: the request is invalid; {@code param} names the field (null if none). */
  static OpenAiError invalid(String param, String message) {
    return new OpenAiError(400, "invalid_request_error", param, null, message, null);
  }

  /** 400: the request asks for something this API does not do. */
  static OpenAiError unsupported(String param, String message) {
    return new OpenAiError(
        400, "invalid_request_error", param, "unsupported_parameter", message, null);
  }

  /** 404: no such model. */
  static OpenAiError unknownModel(String model) {
    return new OpenAiError(
        404,
        "invalid_request_error",
        "model",
        "model_not_found",
        "The model `" + model + "` does not exist or you do not have access to it.",
        null);
  }

  int status() {
    return status;
  }

  Duration retryAfter() {
    return retryAfter;
  }

  /** The JSON body. */
  Map<String, Object> body() {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", getMessage());
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return Map.of("error", error);
  }
}
