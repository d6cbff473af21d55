package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The edge's Lua modules pass luacheck with openresty/.luacheckrc (std = "ngx_lua"). */
@Timeout(60)
class LuacheckTests {

  @Test
  void luaModulesAreLuacheckClean() throws Exception {
    Path luacheck = ToolRun.onPath("luacheck");
    assertThat(luacheck)
        .withFailMessage("luacheck is not installed: install the Debian package 'lua-check'")
        .isNotNull();

    ToolRun run =
        ToolRun.run(
            EdgeConf.openresty(),
            Duration.ofSeconds(50),
            List.of(luacheck.toString(), "--no-color", "--codes", "lua"));

    assertThat(run.output()).contains("0 warnings / 0 errors");
    assertThat(run.exitCode()).as(run.output()).isZero();
  }

  @Test
  void luacheckConfigUsesTheNgxLuaStandard() throws Exception {
    String rc = java.nio.file.Files.readString(EdgeConf.openresty().resolve(".luacheckrc"));

    assertThat(rc).contains("std = \"ngx_lua\"");
  }
}
