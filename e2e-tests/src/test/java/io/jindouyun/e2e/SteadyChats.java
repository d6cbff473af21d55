package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.SSE;
import static io.jindouyun.e2e.Chats.bearer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;

/**
 * Chats at a steady rate through one gateway, one new user each, every accepted chat read to its
 * end as a browser's EventSource does (a response that ends or fails before a terminal event is
 * read again with {@code Last-Event-ID} after {@link #RECONNECT_DELAY}, at most {@link
 * #MAX_RECONNECTS} times); each chat is kept with its start time, whether its handshake was
 * accepted, and its events.
 *
 * <p>Thread safety: chats start on a Reactor timer and complete on the HTTP client's event loops;
 * each {@link Chat} is written by its own pipeline only (volatile fields, a copy-on-write event
 * list) and read by the test thread. At most {@link #MAX_IN_FLIGHT} chats run at once; a tick
 * beyond that is skipped (not queued). {@link #stopStarting()} may be called from any thread.
 */
final class SteadyChats implements AutoCloseable {

  static final int MAX_IN_FLIGHT = 64;
  static final int MAX_RECONNECTS = 30;
  static final Duration RECONNECT_DELAY = Duration.ofMillis(500);
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
  static final Duration CHAT_TIMEOUT = Duration.ofSeconds(60);

  /** The events after which the gateway sends nothing more on a stream. */
  private static final Set<String> TERMINAL = Set.of("done", "error", "superseded");

  /** One chat: its start (epoch ms), its handshake's fate and duration, the events read. */
  static final class Chat {
    final int index;
    final long startMs;
    final List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    volatile boolean handshakeEnded;
    volatile boolean accepted;
    volatile String failure;
    volatile String lastEventId;
    volatile boolean finished;
    volatile long handshakeMs = -1;

    Chat(int index, long startMs) {
      this.index = index;
      this.startMs = startMs;
    }

    /** The terminal event, or null while there is none. */
    ServerSentEvent<String> terminal() {
      return events.stream().filter(e -> TERMINAL.contains(e.event())).findFirst().orElse(null);
    }

    /** Handshake refused or failed. */
    boolean failedHandshake() {
      return handshakeEnded && !accepted;
    }

    /** Its pipeline is over: the handshake failed, or the reading ended (terminal or not). */
    boolean ended() {
      return finished;
    }

    /** The events after the last {@code reset} (an answer restarted by another consumer). */
    List<ServerSentEvent<String>> lastAttempt() {
      List<ServerSentEvent<String>> after = new ArrayList<>();
      for (ServerSentEvent<String> event : events) {
        if ("reset".equals(event.event())) {
          after.clear();
        } else {
          after.add(event);
        }
      }
      return after;
    }

    /** The answer's text: the chunks of the last attempt, joined. */
    String text() {
      return Chats.text(lastAttempt());
    }

    /** Whether a chunk's event id came twice in the last attempt. */
    boolean repeatedId() {
      Set<String> ids = new HashSet<>();
      return Chats.chunks(lastAttempt()).stream().anyMatch(e -> !ids.add(e.id()));
    }
  }

  private final WebClient http;
  private final String prompt;
  private final List<Chat> chats = new CopyOnWriteArrayList<>();
  private final Sinks.Empty<Void> stop = Sinks.empty();
  private Disposable running;

  /** Chats of {@code prompt} through the gateway at {@code baseUrl}; none until {@link #start}. */
  SteadyChats(String baseUrl, String prompt) {
    this.http = WebClient.create(baseUrl);
    this.prompt = prompt;
  }

  /** Starts one chat every {@code period}. */
  void start(Duration period) {
    running =
        Flux.interval(period)
            .takeUntilOther(stop.asMono())
            .onBackpressureDrop()
            .flatMap(i -> chat(i.intValue()), MAX_IN_FLIGHT)
            .subscribe();
  }

  /** Starts no more chats; those running go on to their end. */
  void stopStarting() {
    stop.tryEmitEmpty();
  }

  /** The chats started so far. */
  List<Chat> chats() {
    return List.copyOf(chats);
  }

  /** How many chats started so far match {@code filter}. */
  long count(Predicate<Chat> filter) {
    return chats.stream().filter(filter).count();
  }

  private Mono<Void> chat(int index) {
    Chat chat = new Chat(index, System.currentTimeMillis());
    chats.add(chat);
    String user = "steady-" + index;
    return http.post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Chats.conversation(prompt))
        .retrieve()
        .bodyToMono(JsonNode.class)
        .timeout(HANDSHAKE_TIMEOUT)
        .doOnNext(
            body -> {
              chat.handshakeMs = System.currentTimeMillis() - chat.startMs;
              chat.accepted = true;
              chat.handshakeEnded = true;
            })
        .doOnError(
            e -> {
              chat.handshakeMs = System.currentTimeMillis() - chat.startMs;
              chat.failure = "handshake: " + e;
              chat.handshakeEnded = true;
            })
        .flatMapMany(body -> read(chat, user, body.path("streamId").asString()))
        .timeout(CHAT_TIMEOUT)
        .doOnError(
            e -> {
              if (chat.accepted && chat.terminal() == null) {
                chat.failure = "stream: " + e;
              }
            })
        .onErrorResume(e -> Mono.empty())
        .doFinally(signal -> chat.finished = true)
        .then();
  }

  private Flux<ServerSentEvent<String>> read(Chat chat, String user, String streamId) {
    return Flux.defer(() -> connect(chat, user, streamId))
        .retryWhen(Retry.fixedDelay(MAX_RECONNECTS, RECONNECT_DELAY))
        .repeatWhen(ends -> ends.delayElements(RECONNECT_DELAY).take(MAX_RECONNECTS))
        .takeUntil(e -> TERMINAL.contains(e.event()));
  }

  private Flux<ServerSentEvent<String>> connect(Chat chat, String user, String streamId) {
    return http.get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .headers(
            h -> {
              if (chat.lastEventId != null) {
                h.set("Last-Event-ID", chat.lastEventId);
              }
            })
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve()
        .bodyToFlux(SSE)
        .filter(e -> e.event() != null)
        .doOnNext(
            e -> {
              chat.events.add(e);
              if (e.id() != null) {
                chat.lastEventId = e.id();
              }
            });
  }

  /** Stops starting chats and cancels those still running. */
  @Override
  public void close() {
    stopStarting();
    if (running != null) {
      running.dispose();
    }
  }
}
