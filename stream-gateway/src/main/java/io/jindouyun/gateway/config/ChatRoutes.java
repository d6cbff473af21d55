package io.jindouyun.gateway.config;

import io.jindouyun.gateway.handshake.HandshakeHandler;
import io.jindouyun.gateway.history.ConversationHandler;
import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.problem.Problems;
import io.jindouyun.gateway.sse.StreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The chat and history endpoints as functional routes. One filter counts requests and turns every
 * failure into a problem answer: {@link ProblemException} with its kind, anything else as 500.
 */
@Configuration(proxyBeanMethods = false)
class ChatRoutes {

  private static final Logger log = LoggerFactory.getLogger(ChatRoutes.class);

  @Bean
  RouterFunction<ServerResponse> chatRouter(
      HandshakeHandler handshake,
      StreamHandler streams,
      ConversationHandler conversations,
      GatewayMetrics metrics) {
    return RouterFunctions.route()
        .POST("/v1/chat/handshake", handshake::handshake)
        .GET("/v1/chat/stream/{streamId}", streams::stream)
        .POST("/v1/chat/stream/{streamId}", streams::stream)
        .DELETE("/v1/chat/stream/{streamId}", streams::cancel)
        .POST("/v1/chat/ack/{streamId}", conversations.markingDelivered(streams::ack))
        .GET("/v1/conversations", conversations::list)
        .GET("/v1/conversations/{id}", conversations::get)
        .DELETE("/v1/conversations/{id}", conversations::delete)
        .filter(
            (request, next) -> {
              long started = metrics.requestStarted();
              return Mono.defer(() -> next.handle(request))
                  .onErrorResume(
                      e -> {
                        metrics.error();
                        if (e instanceof ProblemException p) {
                          return Problems.respond(p, request.path());
                        }
                        log.error("{} {} failed", request.method(), request.path(), e);
                        return Problems.respond(
                            new ProblemException(ProblemKind.INTERNAL, "unexpected error"),
                            request.path());
                      })
                  .doFinally(signal -> metrics.requestEnded(started));
            })
        .build();
  }
}
