package io.jindouyun.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * Open-loop chat load through one front door: chats (handshake, SSE stream until done, ack) start
 * at the times of a Poisson schedule whatever the others are doing, each measured from its
 * scheduled start, its answer checked against the development LLM's exact text, and the gateway
 * that took its handshake read from the stream id ({@code <node>~<random>}).
 *
 * <p>Concurrency: {@link #run} is called by one thread at a time; it schedules chats from that
 * thread, runs the fault hooks from one more thread, and the chats complete on Reactor Netty's
 * event loops, which add their records to a synchronized list. At most {@code maxInFlight} chats
 * run at once; an arrival beyond that is recorded as an error, not queued.
 */
final class OpenLoopChats {

  /** One chat: its scheduled start (ns from the round's start), gateway, TTFT, failure. */
  record Chat(long sentNanos, String gateway, long ttftNanos, String error, boolean wrongText) {

    Chat withSent(long nanos) {
      return new Chat(nanos, gateway, ttftNanos, error, wrongText);
    }
  }

  /** Something to run at a moment of the round (a fault's start or end); returns when done. */
  interface Hook {
    void run() throws Exception;
  }

  /** A round: every chat, and when (ns from its start) the hooks had finished running. */
  record Round(List<Chat> chats, long faultStartNanos, long faultEndNanos, long endNanos) {}

  static final String MODEL = StreamLoad.MODEL;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient http;
  private final String secret;
  private final int tokens;
  private final int ttftMs;
  private final int delayMs;
  private final int prompts;
  private final int maxInFlight;
  private final Duration chatTimeout;
  private final Map<String, String> expected = new ConcurrentHashMap<>();
  private final Map<String, String> firstErrors = new ConcurrentHashMap<>();
  private final AtomicLong users = new AtomicLong();

  OpenLoopChats(
      String secret,
      int tokens,
      int ttftMs,
      int delayMs,
      int prompts,
      int maxInFlight,
      Duration chatTimeout) {
    this.secret = secret;
    this.tokens = tokens;
    this.ttftMs = ttftMs;
    this.delayMs = delayMs;
    this.prompts = prompts;
    this.maxInFlight = maxInFlight;
    this.chatTimeout = chatTimeout;
    ConnectionProvider pool =
        ConnectionProvider.builder("routing-bench")
            .maxConnections(maxInFlight * 2 + 16)
            .pendingAcquireMaxCount(maxInFlight * 4 + 16)
            .pendingAcquireTimeout(chatTimeout)
            .build();
    this.http = HttpClient.create(pool);
  }

  String prompt(int i) {
    return "Routing prompt "
        + (i % prompts)
        + " [dev:ttft="
        + ttftMs
        + "][dev:delay="
        + delayMs
        + "][dev:tokens="
        + tokens
        + "]";
  }

  /** Asks the LLM once, non-streaming, for each prompt's exact answer. */
  void loadExpected(String llm) {
    for (int i = 0; i < prompts; i++) {
      String body =
          "{\"model\":\""
              + MODEL
              + "\",\"stream\":false,\"messages\":"
              + messagesJson(prompt(i))
              + "}";
      String answer =
          http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
              .post()
              .uri(llm + "/v1/chat/completions")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .responseSingle((response, content) -> content.asString())
              .block(Duration.ofSeconds(30));
      expected.put(
          prompt(i),
          JSON.readTree(answer).path("choices").path(0).path("message").path("content").asString());
    }
  }

  /** The first error of each kind seen so far (kind to message), and forgets them. */
  Map<String, String> drainFirstErrors() {
    Map<String, String> copy = Map.copyOf(firstErrors);
    firstErrors.clear();
    return copy;
  }

  /**
   * Runs chats through {@code door} at the schedule's times; runs {@code faultStart} at {@code
   * faultAt} and {@code faultEnd} at {@code faultAt + faultFor} (null hooks: nothing runs), then
   * waits for the chats still running (bounded by the chat timeout). A hook that fails runs no
   * later hook and fails the round once its chats are scheduled (run.sh's exit trap undoes any
   * fault left).
   */
  Round run(
      String door,
      long[] schedule,
      Duration length,
      Duration faultAt,
      Duration faultFor,
      Hook faultStart,
      Hook faultEnd)
      throws InterruptedException {
    List<Chat> chats = Collections.synchronizedList(new ArrayList<>(schedule.length));
    AtomicInteger inFlight = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(schedule.length);
    long base = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    long[] hookTimes = {faultAt.toNanos(), faultAt.plus(faultFor).toNanos()};
    AtomicReference<Exception> hookFailure = new AtomicReference<>();
    Thread hooks =
        new Thread(
            () -> runHooks(base, faultAt, faultFor, faultStart, faultEnd, hookTimes, hookFailure),
            "routing-bench-faults");
    hooks.start();
    try {
      for (int i = 0; i < schedule.length; i++) {
        long at = base + schedule[i];
        long wait;
        while ((wait = at - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait); // pacing the schedule, not waiting for a condition
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
          inFlight.decrementAndGet();
          chats.add(new Chat(schedule[i], null, -1, "more than max-in-flight chats", false));
          done.countDown();
          continue;
        }
        long sent = schedule[i];
        chat(door, i, at)
            .subscribe(
                chat -> {
                  chats.add(chat.withSent(sent));
                  inFlight.decrementAndGet();
                  done.countDown();
                });
      }
    } finally {
      hooks.join();
    }
    if (hookFailure.get() != null) {
      throw new IllegalStateException("a fault hook failed", hookFailure.get());
    }
    long end = length.toNanos();
    if (!done.await(chatTimeout.toSeconds() + 5, TimeUnit.SECONDS)) {
      firstErrors.putIfAbsent("unfinished", done.getCount() + " chats had not ended in time");
    }
    List<Chat> copy;
    synchronized (chats) {
      copy = List.copyOf(chats);
    }
    return new Round(copy, hookTimes[0], hookTimes[1], end);
  }

  private static void runHooks(
      long base,
      Duration at,
      Duration length,
      Hook start,
      Hook end,
      long[] hookTimes,
      AtomicReference<Exception> failure) {
    try {
      if (start != null) {
        pause(base + at.toNanos());
        start.run();
        hookTimes[0] = System.nanoTime() - base;
      }
      if (end != null) {
        pause(base + at.plus(length).toNanos());
        end.run();
        hookTimes[1] = System.nanoTime() - base;
      }
    } catch (Exception e) {
      failure.set(e);
    }
  }

  private static void pause(long until) {
    long wait;
    while ((wait = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait); // waiting for a moment of the schedule
    }
  }

  /** One chat; never fails: a failure is a record with an error. */
  private Mono<Chat> chat(String door, int index, long scheduledNanoTime) {
    String user = "rb-" + users.incrementAndGet();
    String token = DevTokens.issue(secret, user, 3600);
    String prompt = prompt(index);
    String body = "{\"model\":\"" + MODEL + "\",\"messages\":" + messagesJson(prompt) + "}";
    HttpClient authed =
        http.headers(
            h ->
                h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
    String[] gateway = {null};
    long[] ttft = {-1};
    return authed
        .post()
        .uri(door + "/v1/chat/handshake")
        .send(ByteBufFlux.fromString(Mono.just(body)))
        .responseSingle(
            (response, content) ->
                content
                    .asString()
                    .defaultIfEmpty("")
                    .map(
                        text -> {
                          if (response.status().code() != 202) {
                            throw new IllegalStateException(
                                "handshake " + response.status().code() + ": " + text);
                          }
                          String streamId = JSON.readTree(text).path("streamId").asString();
                          int tilde = streamId.indexOf('~');
                          gateway[0] = tilde > 0 ? streamId.substring(0, tilde) : null;
                          return streamId;
                        }))
        .flatMap(streamId -> stream(authed, door, streamId, scheduledNanoTime, ttft))
        .timeout(chatTimeout)
        .map(
            text -> {
              boolean wrong = !text.equals(expected.get(prompt));
              if (wrong) {
                firstErrors.putIfAbsent("wrong text", text);
              }
              return new Chat(0, gateway[0], ttft[0], null, wrong);
            })
        .onErrorResume(
            e -> {
              firstErrors.putIfAbsent(e.getClass().getSimpleName(), String.valueOf(e));
              return Mono.just(new Chat(0, gateway[0], ttft[0], String.valueOf(e), false));
            });
  }

  private static Mono<String> stream(
      HttpClient authed, String door, String streamId, long scheduledNanoTime, long[] ttft) {
    StringBuilder text = new StringBuilder();
    SseEvents events = new SseEvents();
    String[] lastId = {""};
    boolean[] done = {false};
    return authed
        .get()
        .uri(door + "/v1/chat/stream/" + streamId)
        .response(
            (response, content) -> {
              if (response.status().code() != 200) {
                return content
                    .aggregate()
                    .asString()
                    .defaultIfEmpty("")
                    .flatMap(
                        problem ->
                            Mono.<byte[]>error(
                                new IllegalStateException(
                                    "stream " + response.status().code() + ": " + problem)));
              }
              return content.asByteArray();
            })
        .concatMapIterable(events::feed)
        .takeUntil(e -> e.name().equals("done"))
        .doOnNext(
            e -> {
              switch (e.name()) {
                case "chunk" -> {
                  if (ttft[0] < 0) {
                    ttft[0] = System.nanoTime() - scheduledNanoTime;
                  }
                  text.append(JSON.readTree(e.data()).path("delta").asString(""));
                  lastId[0] = e.id();
                }
                case "reset" -> text.setLength(0);
                case "done" -> done[0] = true;
                default -> throw new IllegalStateException(e.name() + ": " + e.data());
              }
            })
        .then(
            Mono.defer(
                () ->
                    !done[0]
                        ? Mono.<String>error(new IllegalStateException("stream ended before done"))
                        : authed
                            .post()
                            .uri(door + "/v1/chat/ack/" + streamId)
                            .send(
                                ByteBufFlux.fromString(
                                    Mono.just("{\"lastEventId\":\"" + lastId[0] + "\"}")))
                            .responseSingle(
                                (response, content) ->
                                    response.status().code() == 204
                                        ? Mono.just(text.toString())
                                        : Mono.error(
                                            new IllegalStateException(
                                                "ack " + response.status().code())))));
  }

  private static String messagesJson(String prompt) {
    return "[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(prompt) + "}]";
  }
}
