package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.security.TicketIssuer;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamMap;
import java.util.List;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires the handshake pipeline: authenticate, validate, ready, rate-limit, conversation, open,
 * send.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(HandshakeProperties.class)
class HandshakeConfig {

  @Bean
  HandshakeChain handshakeChain(
      HandshakeProperties props,
      JsonMapper json,
      StreamMap streams,
      JobSender sender,
      TicketIssuer tickets,
      NodeId node,
      ConversationLookup conversations) {
    List<HandshakeStage> stages =
        List.of(
            new AuthenticateStage(),
            new ValidateStage(json, props),
            new ReadyStage(sender),
            new RateLimitStage(props.rateLimit()),
            new ConversationStage(conversations),
            new OpenGenerationStage(streams, node.value()),
            new SendJobStage(sender, props, node.value()));
    return HandshakeChain.of(
        stages,
        ctx -> {
          Generation gen = ctx.generation();
          TicketIssuer.Ticket ticket = tickets.issue(ctx.userId(), gen.streamId());
          return Mono.just(
              new HandshakeResult(
                  gen.streamId(),
                  gen.number(),
                  node.value(),
                  ticket.token(),
                  ticket.expiresAt(),
                  ctx.conversationId()));
        });
  }

  @Bean
  HandshakeTimer handshakeTimer(GatewayMetrics metrics) {
    return new HandshakeTimer(metrics);
  }

  @Bean
  HandshakeHandler handshakeHandler(HandshakeChain chain, HandshakeProperties props) {
    return new HandshakeHandler(chain, (int) props.maxBodySize().toBytes());
  }
}
