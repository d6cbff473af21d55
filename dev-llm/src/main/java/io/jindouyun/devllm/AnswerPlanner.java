package io.jindouyun.devllm;

import io.jindouyun.devllm.OpenAiJson.Head;
import java.util.UUID;
import java.util.function.Function;

/**
 * Turns a request body and its headers into a {@link Plan}: parses, resolves the knobs, cuts at
 * {@code max_tokens}, and decides the injected failure (consuming the {@code fail-times} budget).
 * Thread-safe.
 */
final class AnswerPlanner {

  private final DevLlmSettings settings;
  private final ChatRequestParser parser;
  private final FailureBudget failureBudget;

  private final ReceivedRequests received;

  AnswerPlanner(DevLlmSettings settings, ChatRequestParser parser) {
    this(settings, parser, new ReceivedRequests());
  }

  AnswerPlanner(DevLlmSettings settings, ChatRequestParser parser, ReceivedRequests received) {
    this.settings = settings;
    this.parser = parser;
    this.received = received;
    this.failureBudget = new FailureBudget(settings.maxFailKeys());
  }

  /**
   * Plans the answer to one request.
   *
   * @param headers header lookup, null when absent
   */
  Plan plan(String body, Function<String, String> headers) {
    try {
      ChatRequest request = parser.parse(body);
      received.add(request);
      AnswerOptions options = AnswerOptions.resolve(settings, headers, request.lastUserContent());
      boolean cut = request.maxTokens() >= 0 && request.maxTokens() < options.tokens();
      int length = cut ? request.maxTokens() : options.tokens();
      FailMode fail = options.fail();
      if (fail != FailMode.NONE
          && !failureBudget.tryFail(AnswerGenerator.answerKey(request), options.failTimes())) {
        fail = FailMode.NONE;
      }
      Rejection injected = Rejection.injected(fail, settings.retryAfter());
      if (injected != null) {
        return injected;
      }
      int failAt = Math.min(options.failAfter() < 0 ? length / 2 : options.failAfter(), length);
      Head head =
          new Head(
              "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
              System.currentTimeMillis() / 1000,
              request.model());
      return new Answer(
          request,
          options,
          head,
          AnswerGenerator.tokens(request, length),
          cut ? "length" : "stop",
          fail,
          failAt);
    } catch (BadRequestException e) {
      return Rejection.badRequest(e);
    }
  }
}
