package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.metrics.GatewayMetrics;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Times every {@code POST /v1/chat/handshake} from the moment the request enters the web handler
 * (before security, so a 401 counts) until its answer has been written, whatever the outcome
 * ({@code jdy.handshakes}), and counts those being served ({@code jdy.handshakes.active}). A client
 * that goes away ends the timing too. Runs first of the web filters. Thread-safe (stateless).
 */
final class HandshakeTimer implements WebFilter, Ordered {

  static final String PATH = "/v1/chat/handshake";

  private final GatewayMetrics metrics;

  HandshakeTimer(GatewayMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (!HttpMethod.POST.equals(exchange.getRequest().getMethod())
        || !PATH.equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
      return chain.filter(exchange);
    }
    return Mono.defer(
        () -> {
          long started = metrics.handshakeStarted();
          return chain.filter(exchange).doFinally(signal -> metrics.handshakeEnded(started));
        });
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }
}
