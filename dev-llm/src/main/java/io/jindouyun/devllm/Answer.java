package io.jindouyun.devllm;

import io.jindouyun.devllm.OpenAiJson.Head;
import io.jindouyun.devllm.OpenAiJson.Usage;
import java.time.Duration;
import java.util.List;

/**
 * One answer, decided before its first byte is sent.
 *
 * @param request the parsed request
 * @param options the resolved knobs
 * @param head id, created and model shared by every chunk
 * @param tokens the whole answer, one word per token
 * @param finishReason {@code length} when {@code max_tokens} cut it, else {@code stop}
 * @param fail the failure injected into this answer (mid-stream modes or {@code NONE})
 * @param failAt tokens sent before a mid-stream failure
 */
record Answer(
    ChatRequest request,
    AnswerOptions options,
    Head head,
    List<String> tokens,
    String finishReason,
    FailMode fail,
    int failAt)
    implements Plan {

  Answer {
    tokens = List.copyOf(tokens);
  }

  /** Content tokens sent before the answer ends or fails. */
  int sent() {
    return fail == FailMode.NONE ? tokens.size() : failAt;
  }

  /** The usage of the whole answer. */
  Usage usage() {
    return new Usage(request.promptTokens(), tokens.size());
  }

  /** Time until the last token that is sent: TTFT plus a token delay per further token. */
  Duration duration() {
    return options.ttft().plus(options.tokenDelay().multipliedBy(Math.max(0, sent() - 1)));
  }
}
