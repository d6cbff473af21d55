package io.jindouyun.gateway.sse;

import io.jindouyun.gateway.problem.ProblemException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves a reader ({@code GET}) of a stream this gateway does not hold, whose id names another
 * gateway (the edge sends it here when the named gateway cannot be reached or is not in its list):
 *
 * <ul>
 *   <li>the stream is served elsewhere ({@link StreamOwners}: the gateway that took the gone one's
 *       reply partition over, or the named gateway itself while it holds its claim): the request is
 *       proxied there, response and all, with no redirect (EventSource follows none across
 *       origins); a request already proxied carries {@value #HEADER} and is never proxied again;
 *   <li>the named gateway's claim still stands but it cannot be reached (gone, its lease not yet
 *       run out), or the proxy cannot connect: 200 {@code text/event-stream} with a {@code retry:}
 *       and nothing else, which ends at once, so an EventSource (and {@code ./jdy chat}) comes back
 *       with its {@code Last-Event-ID} instead of giving up on an error status;
 *   <li>nobody holds or took over its partition: looked for again every {@code lookEvery} for at
 *       most {@code lookFor} (a survivor may be publishing its takeover), then 404 as before.
 * </ul>
 *
 * <p>Thread-safe; nothing blocks.
 */
public final class Handover {

  /** Marks a request proxied from another gateway; its value is that gateway's id. */
  public static final String HEADER = "X-Jdy-Handover";

  private static final List<String> FORWARDED =
      List.of(HttpHeaders.AUTHORIZATION, HttpHeaders.ACCEPT, "Last-Event-ID");
  private static final List<String> RETURNED =
      List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.CACHE_CONTROL, HttpHeaders.RETRY_AFTER);

  private final String self;
  private final StreamOwners owners;
  private final WebClient client;
  private final HandoverProperties props;
  private final Predicate<String> catchingUp;
  private final Predicate<String> heldHere;

  /**
   * Hand-overs by gateway {@code self}, proxying through {@code client}; {@code catchingUp} tells
   * whether this gateway took over a gone gateway's partition and is still reading it up to the
   * takeover; {@code heldHere} whether a stream id is held by this gateway's stream map now.
   */
  public Handover(
      String self,
      StreamOwners owners,
      WebClient client,
      HandoverProperties props,
      Predicate<String> catchingUp,
      Predicate<String> heldHere) {
    this.catchingUp = catchingUp;
    this.heldHere = heldHere;
    this.self = self;
    this.owners = owners;
    this.client = client;
    this.props = props;
  }

  /** The gateway a stream id names ({@code <node>~<random>}), or null. */
  static String nodeOf(String streamId) {
    int tilde = streamId.indexOf('~');
    return tilde > 0 ? streamId.substring(0, tilde) : null;
  }

  /**
   * Whether a reader of {@code streamId} must come back later instead of being served here now:
   * this gateway took its gateway's partition over and has not read it up to the takeover yet.
   */
  boolean notYet(String streamId) {
    String node = nodeOf(streamId);
    return node != null && catchingUp.test(node);
  }

  /** 200 {@code text/event-stream} with a {@code retry:} and nothing else: come back. */
  Mono<ServerResponse> comeBackLater() {
    return comeBack();
  }

  /** Serves {@code request} for {@code streamId}, which is not here; else fails with notFound. */
  Mono<ServerResponse> serve(ServerRequest request, String streamId, ProblemException notFound) {
    String node = nodeOf(streamId);
    if (node == null
        || request.method() != HttpMethod.GET
        || request.headers().firstHeader(HEADER) != null) {
      return Mono.error(notFound);
    }
    long lookUntil = System.nanoTime() + props.lookFor().toNanos();
    return locate(node, streamId, lookUntil, false)
        .flatMap(
            where -> {
              if (where instanceof StreamOwners.ServedAt at) {
                return proxy(request, at).onErrorResume(e -> comeBack());
              }
              if (where instanceof StreamOwners.Pending || where instanceof StreamOwners.Here) {
                return comeBack();
              }
              return Mono.<ServerResponse>error(notFound);
            });
  }

  /**
   * Where {@code node}'s streams are served, looked for again while unknown. This gateway's own
   * takeover counts ({@code Here}: the reader comes back and finds the stream rebuilt) while it is
   * still catching up, when it happened while this reader was waiting ({@code sawUnknown}), or when
   * the stream is held here now: the stream may have been rebuilt after the reader missed it (the
   * takeover can catch up between the reader's look in the map and etcd's answer). Otherwise a
   * stream not here is unknown.
   */
  private Mono<StreamOwners.Where> locate(
      String node, String streamId, long lookUntil, boolean sawUnknown) {
    return Mono.fromFuture(() -> owners.locate(node))
        .flatMap(
            where -> {
              if (where instanceof StreamOwners.Here) {
                boolean rebuilt = sawUnknown || catchingUp.test(node) || heldHere.test(streamId);
                return Mono.just(rebuilt ? where : new StreamOwners.Unknown());
              }
              boolean lookAgain =
                  where instanceof StreamOwners.Unknown
                      && !node.equals(self)
                      && System.nanoTime() + props.lookEvery().toNanos() < lookUntil;
              return lookAgain
                  ? Mono.delay(props.lookEvery()).then(locate(node, streamId, lookUntil, true))
                  : Mono.just(where);
            });
  }

  private Mono<ServerResponse> proxy(ServerRequest request, StreamOwners.ServedAt at) {
    URI original = request.uri();
    URI target =
        URI.create(
            "http://"
                + at.host()
                + ":"
                + at.port()
                + original.getRawPath()
                + (original.getRawQuery() == null ? "" : "?" + original.getRawQuery()));
    return client
        .get()
        .uri(target)
        .headers(
            h -> {
              for (String name : FORWARDED) {
                List<String> values = request.headers().header(name);
                if (!values.isEmpty()) {
                  h.put(name, values);
                }
              }
              h.set(HEADER, self);
            })
        .retrieve()
        .onStatus(HttpStatusCode::isError, response -> Mono.empty())
        .toEntityFlux(DataBuffer.class)
        .flatMap(this::relay);
  }

  private Mono<ServerResponse> relay(ResponseEntity<Flux<DataBuffer>> entity) {
    Flux<DataBuffer> body = entity.getBody() == null ? Flux.empty() : entity.getBody();
    return ServerResponse.status(entity.getStatusCode())
        .headers(
            h -> {
              for (String name : RETURNED) {
                List<String> values = entity.getHeaders().get(name);
                if (values != null) {
                  h.put(name, values);
                }
              }
              h.set("X-Accel-Buffering", "no");
            })
        .body((out, context) -> out.writeAndFlushWith(body.map(Flux::just)));
  }

  private Mono<ServerResponse> comeBack() {
    Duration retry = props.clientRetry();
    return ServerResponse.ok()
        .contentType(MediaType.TEXT_EVENT_STREAM)
        .header(HttpHeaders.CACHE_CONTROL, "no-cache")
        .bodyValue(
            "retry: "
                + retry.toMillis()
                + "\n: the stream's gateway is gone and not yet replaced; come back\n\n");
  }
}
