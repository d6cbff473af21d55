package io.jindouyun.devllm;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The knobs of one answer, resolved from (strongest first) the directives in the last user message,
 * the {@code X-Dev-*} headers and the server defaults.
 *
 * @param ttft time to the first content token
 * @param tokenDelay delay between two tokens
 * @param tokens answer length before {@code max_tokens} cuts it
 * @param fail injected failure
 * @param failAfter tokens before a mid-stream failure, -1 for half the answer
 * @param failTimes fail only the first N requests per answer key, 0 for every request
 */
record AnswerOptions(
    Duration ttft, Duration tokenDelay, int tokens, FailMode fail, int failAfter, int failTimes) {

  private static final Pattern DIRECTIVE =
      Pattern.compile("\\[dev:([a-z-]+)=([^\\]\\s]*)\\]", Pattern.CASE_INSENSITIVE);

  /** Directive names (and aliases) to the canonical knob. */
  private static final Map<String, String> DIRECTIVES =
      Map.ofEntries(
          Map.entry("fail", "fail"),
          Map.entry("fail-after", "fail-after"),
          Map.entry("fail-times", "fail-times"),
          Map.entry("ttft", "ttft"),
          Map.entry("ttft-ms", "ttft"),
          Map.entry("delay", "delay"),
          Map.entry("delay-ms", "delay"),
          Map.entry("token-delay", "delay"),
          Map.entry("token-delay-ms", "delay"),
          Map.entry("tokens", "tokens"));

  /** Headers to the canonical knob. */
  private static final Map<String, String> HEADERS =
      Map.of(
          "fail", "X-Dev-Fail",
          "fail-after", "X-Dev-Fail-After",
          "fail-times", "X-Dev-Fail-Times",
          "ttft", "X-Dev-Ttft-Ms",
          "delay", "X-Dev-Token-Delay-Ms",
          "tokens", "X-Dev-Tokens");

  /**
   * Resolves the options of one request.
   *
   * @param headers header lookup, null when absent
   * @param lastUserContent content of the last user message (directives are read from it)
   * @throws BadRequestException for an unknown directive or a value out of the settings' bounds
   */
  static AnswerOptions resolve(
      DevLlmSettings settings, Function<String, String> headers, String lastUserContent) {
    Map<String, String> directives = directives(lastUserContent);
    Function<String, String> value =
        knob ->
            directives.containsKey(knob) ? directives.get(knob) : headers.apply(HEADERS.get(knob));
    return new AnswerOptions(
        delay(value.apply("ttft"), settings.ttft(), "ttft", settings),
        delay(value.apply("delay"), settings.tokenDelay(), "delay", settings),
        number(value.apply("tokens"), settings.tokens(), "tokens", 0, settings.maxTokens()),
        failMode(value.apply("fail"), settings.fail()),
        number(value.apply("fail-after"), settings.failAfter(), "fail-after", 0, Integer.MAX_VALUE),
        number(
            value.apply("fail-times"), settings.failTimes(), "fail-times", 0, Integer.MAX_VALUE));
  }

  /**
   * The {@code [dev:name=value]} directives in {@code text}, canonical name to value; last wins.
   */
  static Map<String, String> directives(String text) {
    Map<String, String> found = new HashMap<>();
    Matcher matcher = DIRECTIVE.matcher(text);
    while (matcher.find()) {
      String name = matcher.group(1).toLowerCase(Locale.ROOT);
      String knob = DIRECTIVES.get(name);
      if (knob == null) {
        throw new BadRequestException(
            "Unknown dev directive '[dev:" + name + "=...]'; known: " + DIRECTIVES.keySet(),
            "messages");
      }
      found.put(knob, matcher.group(2));
    }
    return found;
  }

  private static Duration delay(String raw, Duration fallback, String knob, DevLlmSettings s) {
    if (raw == null) {
      return fallback;
    }
    long maxMs = s.maxDelay().toMillis();
    return Duration.ofMillis(number(raw, 0, knob, 0, (int) Math.min(maxMs, Integer.MAX_VALUE)));
  }

  private static int number(String raw, int fallback, String knob, int min, int max) {
    if (raw == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(raw.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadRequestException(
        "dev setting '" + knob + "' must be an integer in " + min + ".." + max + ": '" + raw + "'",
        null);
  }

  private static FailMode failMode(String raw, FailMode fallback) {
    if (raw == null) {
      return fallback;
    }
    try {
      return FailMode.parse(raw);
    } catch (IllegalArgumentException e) {
      throw new BadRequestException(
          e.getMessage() + "; known: none, 429, 500, 400, error-mid, drop-mid", null);
    }
  }
}
