package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.config.StreamProperties;
import io.jindouyun.gateway.handshake.HandshakeChain;
import io.jindouyun.gateway.handshake.HandshakeProperties;
import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.stream.StreamMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires the OpenAI-compatible endpoints. One filter counts requests and answers every failure in
 * OpenAI's error shape: an {@link OpenAiError} with its status, anything else as 500.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(OpenAiProperties.class)
class OpenAiConfig {

  private static final Logger log = LoggerFactory.getLogger(OpenAiConfig.class);

  @Bean
  OpenAiHandler openAiHandler(
      HandshakeChain chain,
      StreamMap streams,
      JsonMapper json,
      GatewayMetrics metrics,
      HandshakeProperties handshake,
      StreamProperties stream,
      OpenAiProperties props) {
    CompletionRequests requests =
        new CompletionRequests(
            handshake.models(),
            handshake.maxMessages(),
            handshake.maxTokensLimit(),
            handshake.maxTemperature());
    return new OpenAiHandler(
        chain,
        streams,
        json,
        metrics,
        requests,
        props,
        handshake.models(),
        (int) handshake.maxBodySize().toBytes(),
        stream.pingInterval());
  }

  @Bean
  RouterFunction<ServerResponse> openAiRouter(OpenAiHandler handler, GatewayMetrics metrics) {
    return RouterFunctions.route()
        .POST("/v1/chat/completions", handler::completions)
        .GET("/v1/models", handler::models)
        .filter(
            (request, next) -> {
              long started = metrics.requestStarted();
              return Mono.defer(() -> next.handle(request))
                  .onErrorResume(
                      e -> {
                        metrics.error();
                        OpenAiError error;
                        if (e instanceof OpenAiError known) {
                          error = known;
                        } else {
                          log.error("{} {} failed", request.method(), request.path(), e);
                          error =
                              new OpenAiError(
                                  500, "server_error", null, null, "Internal error.", null);
                        }
                        return respond(error);
                      })
                  .doFinally(signal -> metrics.requestEnded(started));
            })
        .build();
  }

  private static Mono<ServerResponse> respond(OpenAiError error) {
    ServerResponse.BodyBuilder builder =
        ServerResponse.status(error.status()).contentType(MediaType.APPLICATION_JSON);
    if (error.retryAfter() != null) {
      builder.header(
          HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, error.retryAfter().toSeconds())));
    }
    return builder.bodyValue(error.body());
  }
}
