package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.security.Principal;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/chat/handshake}: reads the body up to its bound (413 beyond), runs the handshake
 * pipeline and answers {@code 202 {streamId, generation, node, ticket, expiresAt}}.
 */
public final class HandshakeHandler {

  private final HandshakeChain chain;
  private final int maxBodyBytes;

  HandshakeHandler(HandshakeChain chain, int maxBodyBytes) {
    this.chain = chain;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Handles one handshake. */
  public Mono<ServerResponse> handshake(ServerRequest request) {
    long declared = request.headers().contentLength().orElse(-1);
    if (declared > maxBodyBytes) {
      return Mono.error(tooLarge());
    }
    Mono<byte[]> body =
        DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), maxBodyBytes)
            .map(
                buffer -> {
                  try {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    return bytes;
                  } finally {
                    DataBufferUtils.release(buffer);
                  }
                })
            .defaultIfEmpty(new byte[0])
            .onErrorMap(DataBufferLimitException.class, e -> tooLarge());
    Mono<Optional<Principal>> principal =
        request.principal().map(Optional::<Principal>of).defaultIfEmpty(Optional.empty());
    return Mono.zip(principal, body)
        .flatMap(t -> chain.next(HandshakeContext.start(t.getT1().orElse(null), t.getT2())))
        .flatMap(
            result ->
                ServerResponse.accepted()
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(result));
  }

  private ProblemException tooLarge() {
    return new ProblemException(
        ProblemKind.PAYLOAD_TOO_LARGE, "the body is larger than " + maxBodyBytes + " bytes");
  }
}
