package io.jindouyun.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class NginxExtensionIntegrationTests {

  /** A Lua timer in one worker writes a counter and a marker to a shared dict; requests read it. */
  private static final String CONF =
      """
      ${LUA_MODULES}
      worker_processes 2;
      events { worker_connections 64; }
      http {
        access_log off;
        client_body_temp_path ${PREFIX}/temp/body;
        proxy_temp_path ${PREFIX}/temp/proxy;
        fastcgi_temp_path ${PREFIX}/temp/fastcgi;
        uwsgi_temp_path ${PREFIX}/temp/uwsgi;
        scgi_temp_path ${PREFIX}/temp/scgi;
        lua_shared_dict state 1m;
        init_worker_by_lua_block {
          if ngx.worker.id() ~= 0 then return end
          local dict = ngx.shared.state
          local ok, err = ngx.timer.every(0.05, function(premature)
            if premature then return end
            dict:incr("ticks", 1, 0)
            dict:set("marker", "${MARKER}")
          end)
          if not ok then ngx.log(ngx.ERR, "failed to create timer: ", err) end
        }
        server {
          listen 127.0.0.1:${PORT};
          location = /state {
            content_by_lua_block {
              local dict = ngx.shared.state
              ngx.say((dict:get("marker") or "none") .. " " .. (dict:get("ticks") or 0))
            }
          }
        }
      }
      """;

  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  private final HttpClient http = HttpClient.newHttpClient();

  private String state() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx.port() + "/state"))
            .timeout(Duration.ofSeconds(2))
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body().trim();
  }

  @Test
  void luaTimerWritesSharedDictThatEveryRequestReads() throws Exception {
    nginx.start(CONF, Map.of("MARKER", "written-by-timer"));

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(state()).startsWith("written-by-timer "));
    int first = Integer.parseInt(state().split(" ")[1]);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(Integer.parseInt(state().split(" ")[1])).isGreaterThan(first));
    assertThat(nginx.errorLog()).doesNotContain("[error]");
  }

  @Test
  void unknownPlaceholderIsRejectedBeforeStart() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> NginxExtension.substitute("listen ${NOPE};", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("${NOPE}");
  }
}
