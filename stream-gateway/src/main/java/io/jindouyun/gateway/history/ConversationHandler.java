package io.jindouyun.gateway.history;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.security.Caller;
import io.jindouyun.history.Cursors;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.HistoryStore;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The history API: {@code GET /v1/conversations} (the caller's, newest first, paged by {@code size}
 * and {@code cursor}), {@code GET /v1/conversations/{id}} (with its turns) and {@code DELETE
 * /v1/conversations/{id}}; another user's conversation answers 404 as if it did not exist. Also
 * marks a turn delivered when its stream is acknowledged ({@link #markingDelivered}).
 */
public final class ConversationHandler {

  private static final Logger log = LoggerFactory.getLogger(ConversationHandler.class);

  private final HistoryStore store;
  private final HistoryProperties props;

  /**
   * @param store the history, or null when none is configured (the API then answers 503)
   */
  ConversationHandler(HistoryStore store, HistoryProperties props) {
    this.store = store;
    this.props = props;
  }

  /** {@code GET /v1/conversations?size=&cursor=}. */
  public Mono<ServerResponse> list(ServerRequest request) {
    return caller(request)
        .flatMap(
            userId -> {
              int size = size(request);
              Cursors.Position after = request.queryParam("cursor").map(this::cursor).orElse(null);
              return history()
                  .list(userId, after, size)
                  .onErrorMap(ConversationHandler::unavailable)
                  .flatMap(page -> json(ConversationViews.Page.of(page)));
            });
  }

  /** {@code GET /v1/conversations/{id}}. */
  public Mono<ServerResponse> get(ServerRequest request) {
    String id = request.pathVariable("id");
    return caller(request)
        .flatMap(
            userId ->
                history()
                    .conversation(userId, id)
                    .zipWhen(summary -> history().turns(userId, id))
                    .onErrorMap(ConversationHandler::unavailable)
                    .switchIfEmpty(Mono.error(() -> notFound(id)))
                    .flatMap(
                        t ->
                            json(
                                new ConversationViews.Conversation(
                                    t.getT1().id(),
                                    t.getT1().title(),
                                    java.time.Instant.ofEpochMilli(t.getT1().createdAt()),
                                    java.time.Instant.ofEpochMilli(t.getT1().updatedAt()),
                                    t.getT2().stream()
                                        .map(ConversationViews.TurnView::of)
                                        .toList()))));
  }

  /** {@code DELETE /v1/conversations/{id}}: 204, or 404. */
  public Mono<ServerResponse> delete(ServerRequest request) {
    String id = request.pathVariable("id");
    return caller(request)
        .flatMap(userId -> history().delete(userId, id))
        .onErrorMap(ConversationHandler::unavailable)
        .flatMap(
            deleted -> deleted ? ServerResponse.noContent().build() : Mono.error(notFound(id)));
  }

  /**
   * {@code ack} (of {@code POST /v1/chat/ack/{streamId}}), then the stream's turn marked delivered.
   * A failed mark is logged; the ack's answer stands (the turn stays undelivered).
   */
  public HandlerFunction<ServerResponse> markingDelivered(HandlerFunction<ServerResponse> ack) {
    if (store == null) {
      return ack;
    }
    return request ->
        ack.handle(request)
            .flatMap(
                response -> {
                  if (!response.statusCode().is2xxSuccessful()) {
                    return Mono.just(response);
                  }
                  String streamId = request.pathVariable("streamId");
                  return caller(request)
                      .flatMap(userId -> store.markDelivered(userId, streamId))
                      .doOnError(
                          e ->
                              log.warn(
                                  "Could not mark the turn of {} delivered: {}",
                                  streamId,
                                  e.toString()))
                      .onErrorComplete()
                      .thenReturn(response);
                });
  }

  private HistoryStore history() {
    if (store == null) {
      throw new ProblemException(
          ProblemKind.UNAVAILABLE,
          "conversation history is not configured (jindouyun.history.url)",
          Duration.ofSeconds(60),
          null);
    }
    return store;
  }

  private int size(ServerRequest request) {
    String raw = request.queryParam("size").orElse(null);
    if (raw == null) {
      return Math.min(props.defaultPageSize(), props.maxPageSize());
    }
    try {
      int size = Integer.parseInt(raw);
      if (size >= 1 && size <= props.maxPageSize()) {
        return size;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ProblemException(
        ProblemKind.VALIDATION,
        "size must be between 1 and " + props.maxPageSize() + " (jindouyun.history.max-page-size)");
  }

  private Cursors.Position cursor(String raw) {
    try {
      return Cursors.decode(raw);
    } catch (IllegalArgumentException e) {
      throw new ProblemException(
          ProblemKind.VALIDATION, "cursor is not one this API gave out (nextCursor)");
    }
  }

  private static Mono<String> caller(ServerRequest request) {
    return request
        .principal()
        .flatMap(p -> Mono.justOrEmpty(Caller.of(p)))
        .switchIfEmpty(
            Mono.error(() -> new ProblemException(ProblemKind.UNAUTHORIZED, "not signed in")))
        .map(
            c -> {
              if (c.ticketFor() != null) {
                throw new ProblemException(
                    ProblemKind.UNAUTHORIZED, "a stream ticket only opens the stream");
              }
              return c.userId();
            });
  }

  private static Mono<ServerResponse> json(Object body) {
    return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
  }

  private static ProblemException notFound(String id) {
    return new ProblemException(ProblemKind.CONVERSATION_NOT_FOUND, "no conversation " + id);
  }

  private static Throwable unavailable(Throwable e) {
    if (e instanceof ProblemException) {
      return e;
    }
    return new ProblemException(
        ProblemKind.UNAVAILABLE,
        "the conversation history is unavailable; try again",
        Duration.ofSeconds(1),
        e);
  }
}
