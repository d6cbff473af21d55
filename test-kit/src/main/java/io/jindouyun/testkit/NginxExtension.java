package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real nginx process with the Lua module, run from a conf text in a temporary prefix.
 *
 * <pre>{@code
 * @RegisterExtension static final NginxExtension nginx = new NginxExtension();
 * nginx.start(conf, Map.of("UPSTREAM", "127.0.0.1:" + backendPort));
 * }</pre>
 *
 * The conf text may use placeholders: {@code ${PREFIX}} (the prefix folder), {@code ${PORT}} (a
 * free port for the first listener), {@code ${LUA_MODULES}} ({@code load_module} lines for the
 * Debian NDK and Lua modules, for the main context) and any name given in the map. The extension
 * adds {@code daemon off;} and the pid file itself: the conf must not set them. The folders {@code
 * logs/}, {@code temp/} and {@code conf/} exist under the prefix. nginx comes from the Debian
 * packages {@code nginx-light} and {@code libnginx-mod-http-lua}; when missing the test fails and
 * says so. The extension stops nginx after the test (in a static field: after the class).
 *
 * <p>Not thread-safe: call it from the test thread.
 */
public final class NginxExtension implements AfterEachCallback, AfterAllCallback {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final Path MODULES = Path.of("/usr/lib/nginx/modules");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

  private Path prefix;
  private int port;
  private ManagedProcess process;
  private boolean startedInTest;

  /** Starts nginx from {@code conf} with the built-in placeholders only. */
  public void start(String conf) {
    start(conf, Map.of());
  }

  /** Starts nginx from {@code conf}, replacing {@code ${NAME}} placeholders; waits for the port. */
  public void start(String conf, Map<String, String> values) {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("nginx already runs; stop() it first");
    }
    Path binary = Binaries.require("nginx", "nginx-light");
    Path lua = MODULES.resolve("ngx_http_lua_module.so");
    if (!Files.exists(lua)) {
      throw new IllegalStateException(
          "the nginx Lua module is not installed: install the Debian packages"
              + " 'libnginx-mod-http-lua lua-resty-core lua-cjson' (or run ./jdy test)");
    }
    if (prefix == null) {
      prefix = TempDirs.create("nginx");
      port = FreePorts.next();
    }
    startedInTest = true;
    Map<String, String> all = new HashMap<>(values);
    all.putIfAbsent("PREFIX", prefix.toString());
    all.putIfAbsent("PORT", Integer.toString(port));
    all.putIfAbsent("LUA_MODULES", luaModules());
    String text = substitute(conf, all);
    try {
      for (String folder : List.of("logs", "temp", "conf")) {
        Files.createDirectories(prefix.resolve(folder));
      }
      Files.writeString(prefix.resolve("conf/nginx.conf"), text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    process =
        new ManagedProcess(
            "nginx",
            List.of(
                binary.toString(),
                "-p",
                prefix.toString(),
                "-c",
                "conf/nginx.conf",
                "-e",
                prefix.resolve("logs/error.log").toString(),
                "-g",
                "daemon off; pid " + prefix.resolve("logs/nginx.pid") + ";"),
            prefix.resolve("logs/stdout.log"));
    process.start();
    Waits.until(
        () -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("nginx exited; error log:\n" + errorLog());
          }
          return Waits.portOpen(port);
        },
        START_TIMEOUT,
        () -> "nginx not listening on " + port + "; error log:\n" + errorLog());
  }

  /** Stops nginx gracefully ({@code SIGQUIT}, bounded wait, then kill); the prefix stays. */
  public void stop() {
    if (process != null) {
      process.signal("QUIT");
      if (!process.waitFor(Duration.ofSeconds(10))) {
        process.kill();
      }
      process = null;
    }
  }

  /** Kills nginx at once. */
  public void kill() {
    if (process != null) {
      process.kill();
      process = null;
    }
  }

  /** The port that {@code ${PORT}} stood for. */
  public int port() {
    return port;
  }

  /** The prefix folder (holds {@code conf/}, {@code logs/}, {@code temp/}). */
  public Path prefix() {
    return prefix;
  }

  /** The pid of the nginx master process, or -1. */
  public long pid() {
    return process == null ? -1 : process.pid();
  }

  /** The error log so far. */
  public String errorLog() {
    try {
      Path log = prefix.resolve("logs/error.log");
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no error log)";
    } catch (IOException e) {
      return "(error log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    // a static field is stopped after the class; an instance field after each test
    if (context.getTestInstance().isPresent() && !isStatic(context)) {
      cleanUp();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    cleanUp();
  }

  private boolean isStatic(ExtensionContext context) {
    return context.getTestClass().stream()
        .flatMap(c -> java.util.Arrays.stream(c.getDeclaredFields()))
        .filter(f -> NginxExtension.class.isAssignableFrom(f.getType()))
        .anyMatch(f -> java.lang.reflect.Modifier.isStatic(f.getModifiers()));
  }

  private void cleanUp() {
    if (!startedInTest) {
      return;
    }
    stop();
    TempDirs.delete(prefix);
    prefix = null;
    startedInTest = false;
  }

  private static String luaModules() {
    StringBuilder lines = new StringBuilder();
    Path ndk = MODULES.resolve("ndk_http_module.so");
    if (Files.exists(ndk)) {
      lines.append("load_module ").append(ndk).append(";\n");
    }
    lines.append("load_module ").append(MODULES.resolve("ngx_http_lua_module.so")).append(";\n");
    return lines.toString();
  }

  static String substitute(String text, Map<String, String> values) {
    Matcher matcher = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      if (value == null) {
        throw new IllegalArgumentException(
            "no value for ${" + matcher.group(1) + "} in nginx conf");
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
