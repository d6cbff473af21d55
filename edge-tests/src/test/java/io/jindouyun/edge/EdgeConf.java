package io.jindouyun.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The real {@code openresty/nginx.conf} with its placeholders and, for tests, some of the edge
 * settings in its {@code jdy.edge.init} table replaced (a missing setting fails the test).
 */
final class EdgeConf {

  private final Map<String, String> settings = new LinkedHashMap<>();
  private String ipconfigUrl = "http://127.0.0.1:1";
  private String gateways = "";

  /** The repository root: the first parent folder that holds {@code openresty/nginx.conf}. */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("openresty/nginx.conf"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "no openresty/nginx.conf above " + Path.of("").toAbsolutePath());
  }

  static Path openresty() {
    return repoRoot().resolve("openresty");
  }

  EdgeConf ipconfig(String url) {
    this.ipconfigUrl = url;
    return this;
  }

  EdgeConf staticGateways(List<StandInGateway> list) {
    this.gateways =
        list.stream().map(g -> g.id() + "=127.0.0.1:" + g.port()).collect(Collectors.joining(" "));
    return this;
  }

  EdgeConf staticGateways(String text) {
    this.gateways = text;
    return this;
  }

  /** Replaces {@code name = value,} in the init table; {@code value} is Lua source. */
  EdgeConf set(String name, String luaValue) {
    settings.put(name, luaValue);
    return this;
  }

  String text() {
    String text;
    try {
      text = Files.readString(openresty().resolve("nginx.conf"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Map.Entry<String, String> setting : settings.entrySet()) {
      Pattern pattern =
          Pattern.compile("(\\n\\s+" + Pattern.quote(setting.getKey()) + " = )[^,\\n]+,");
      Matcher matcher = pattern.matcher(text);
      if (matcher.find()) {
        text = matcher.replaceFirst("$1" + Matcher.quoteReplacement(setting.getValue()) + ",");
      } else {
        // not listed in nginx.conf: add it to the init table
        text =
            text.replaceFirst(
                "require\\(\"jdy.edge\"\\).init\\(\\{",
                Matcher.quoteReplacement(
                    "require(\"jdy.edge\").init({\n            "
                        + setting.getKey()
                        + " = "
                        + setting.getValue()
                        + ","));
      }
    }
    return text;
  }

  Map<String, String> values() {
    return Map.of(
        "OPENRESTY", openresty().toString(), "IPCONFIG_URL", ipconfigUrl, "GATEWAYS", gateways);
  }
}
