package io.jindouyun.devllm;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs the development LLM as a process: {@code java -jar dev-llm-exec.jar --port=8099}.
 *
 * <p>Flags ({@code --name=value}), each also read from the environment as {@code DEV_LLM_NAME}
 * (upper case, dashes as underscores; a flag wins over the environment): {@code --host} (default
 * 127.0.0.1), {@code --port} (8099), {@code --ttft-ms}, {@code --token-delay-ms}, {@code --tokens},
 * {@code --fail}, {@code --fail-after}, {@code --fail-times}, {@code --api-key}, {@code
 * --max-body-bytes}, {@code --max-tokens}, {@code --max-delay-ms}, {@code
 * --max-concurrent-requests}, {@code --max-fail-keys}, {@code --retry-after-s}, {@code
 * --idle-timeout-ms}; defaults are those of {@link DevLlmSettings#DEFAULTS}. Prints one ready line
 * {@code dev-llm ready on <url>} to stdout once it listens.
 */
public final class DevLlmMain {

  static final Set<String> FLAGS =
      Set.of(
          "host",
          "port",
          "ttft-ms",
          "token-delay-ms",
          "tokens",
          "fail",
          "fail-after",
          "fail-times",
          "api-key",
          "max-body-bytes",
          "max-tokens",
          "max-delay-ms",
          "max-concurrent-requests",
          "max-fail-keys",
          "retry-after-s",
          "idle-timeout-ms");

  private DevLlmMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "dev-llm-logback.xml");
    }
    DevLlmSettings settings;
    try {
      settings = settings(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("dev-llm: " + e.getMessage());
      System.err.println("flags: --" + String.join("=..., --", FLAGS.stream().sorted().toList()));
      System.exit(2);
      return;
    }
    DevLlmServer server = DevLlmServer.start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "dev-llm-shutdown"));
    System.out.println("dev-llm ready on " + server.baseUrl() + " " + settings);
    System.out.flush();
    server.onClose().block();
  }

  /**
   * Settings from flags over environment over {@link DevLlmSettings#DEFAULTS} (port 8099).
   *
   * @throws IllegalArgumentException for an unknown flag or a bad value
   */
  static DevLlmSettings settings(String[] args, Map<String, String> env) {
    Map<String, String> values = new HashMap<>();
    for (String flag : FLAGS) {
      String fromEnv = env.get("DEV_LLM_" + flag.toUpperCase(Locale.ROOT).replace('-', '_'));
      if (fromEnv != null) {
        values.put(flag, fromEnv);
      }
    }
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String name = arg.startsWith("--") && eq > 2 ? arg.substring(2, eq) : null;
      if (name == null || !FLAGS.contains(name)) {
        throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
      values.put(name, arg.substring(eq + 1));
    }
    DevLlmSettings d = DevLlmSettings.DEFAULTS;
    try {
      return new DevLlmSettings(
          values.getOrDefault("host", d.host()),
          integer(values, "port", DevLlmSettings.DEFAULT_MAIN_PORT),
          millis(values, "ttft-ms", d.ttft()),
          millis(values, "token-delay-ms", d.tokenDelay()),
          integer(values, "tokens", d.tokens()),
          values.containsKey("fail") ? FailMode.parse(values.get("fail")) : d.fail(),
          integer(values, "fail-after", d.failAfter()),
          integer(values, "fail-times", d.failTimes()),
          values.getOrDefault("api-key", d.apiKey()),
          integer(values, "max-body-bytes", d.maxBodyBytes()),
          integer(values, "max-tokens", d.maxTokens()),
          millis(values, "max-delay-ms", d.maxDelay()),
          integer(values, "max-concurrent-requests", d.maxConcurrentRequests()),
          integer(values, "max-fail-keys", d.maxFailKeys()),
          Duration.ofSeconds(integer(values, "retry-after-s", (int) d.retryAfter().toSeconds())),
          millis(values, "idle-timeout-ms", d.idleTimeout()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + e.getMessage(), e);
    }
  }

  private static int integer(Map<String, String> values, String name, int fallback) {
    String value = values.get(name);
    return value == null ? fallback : Integer.parseInt(value.trim());
  }

  private static Duration millis(Map<String, String> values, String name, Duration fallback) {
    String value = values.get(name);
    return value == null ? fallback : Duration.ofMillis(Long.parseLong(value.trim()));
  }
}
