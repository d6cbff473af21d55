package io.jindouyun.consumer.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.consumer.DevLlmAnswers;
import io.jindouyun.consumer.job.FailureClassifier;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** The client against the development LLM over real connections, and its reading of a body. */
@Timeout(60)
class OpenAiStreamingClientTests {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final FailureClassifier CLASSIFIER =
      new FailureClassifier(OpenAiStreamingClient.TRANSPORT_FAILURES);

  static DevLlmServer llm;
  static OpenAiStreamingClient client;

  @BeforeAll
  static void start() {
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    client = client(URI.create(llm.baseUrl()), 262_144);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (llm != null) {
      llm.close();
    }
  }

  private static OpenAiStreamingClient client(URI baseUrl, int maxEventBytes) {
    return new OpenAiStreamingClient(
        new OpenAiStreamingClient.Settings(
            baseUrl, "", Duration.ofSeconds(2), Duration.ofSeconds(10), 64, maxEventBytes),
        MAPPER);
  }

  private static LlmRequest request(String prompt) {
    return new LlmRequest(
        DevLlmServer.MODEL_1, List.of(new LlmRequest.Message("user", prompt)), null, null);
  }

  /** The answer the development LLM gives {@code prompt} without streaming. */
  private static String answer(String prompt) throws Exception {
    return DevLlmAnswers.of(llm, prompt);
  }

  private static String text(List<LlmEvent> events) {
    return events.stream()
        .filter(LlmEvent.Delta.class::isInstance)
        .map(e -> ((LlmEvent.Delta) e).text())
        .collect(Collectors.joining());
  }

  @Test
  void streamsTheExactAnswerAsDeltasThenItsFinishWithUsage() throws Exception {
    String prompt = "Tell me about the cloud [dev:tokens=200] [dev:delay=0] [dev:ttft=0]";

    List<LlmEvent> events = client.stream(request(prompt)).collectList().block(WAIT);

    assertThat(events).isNotNull();
    assertThat(text(events)).isEqualTo(answer(prompt));
    assertThat(events.subList(0, events.size() - 1)).allMatch(LlmEvent.Delta.class::isInstance);
    LlmEvent.Finish finish = (LlmEvent.Finish) events.get(events.size() - 1);
    assertThat(finish.reason()).isEqualTo("stop");
    assertThat(finish.usage().completionTokens()).isEqualTo(200);
  }

  @Test
  void aSubscriberAskingForOneEventAtATimeGetsEveryDelta() throws Exception {
    String prompt = "One by one [dev:tokens=150] [dev:delay=0] [dev:ttft=0]";

    List<LlmEvent> events = client.stream(request(prompt)).limitRate(1).collectList().block(WAIT);

    assertThat(events).isNotNull();
    assertThat(text(events)).isEqualTo(answer(prompt));
    assertThat(events.get(events.size() - 1)).isInstanceOf(LlmEvent.Finish.class);
  }

  @Test
  void concurrentStreamsEachGetTheirOwnAnswer() throws Exception {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      prompts.add("Stream " + i + " [dev:tokens=60] [dev:delay=1]");
    }

    List<String> texts =
        Flux.fromIterable(prompts)
            .flatMapSequential(p -> client.stream(request(p)).collectList().map(e -> text(e)))
            .collectList()
            .block(WAIT);

    List<String> expected = new ArrayList<>();
    for (String prompt : prompts) {
      expected.add(answer(prompt));
    }
    assertThat(texts).isEqualTo(expected);
  }

  @Test
  void aRateLimitIsAnHttpErrorWithItsRetryAfter() {
    assertThatThrownBy(() -> client.stream(request("Busy [dev:fail=429]")).blockLast(WAIT))
        .isInstanceOfSatisfying(
            LlmHttpException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));
              assertThat(CLASSIFIER.isTransient(e)).isTrue();
            });
  }

  @Test
  void aBadRequestIsAnHttpErrorQuotingItsBody() {
    assertThatThrownBy(() -> client.stream(request("Bad [dev:fail=400]")).blockLast(WAIT))
        .isInstanceOfSatisfying(
            LlmHttpException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.getMessage()).contains("LLM answered 400: {\"error\"");
              assertThat(CLASSIFIER.isTransient(e)).isFalse();
            });
  }

  @Test
  void anErrorEventMidStreamFailsTheStreamAfterItsDeltas() {
    List<LlmEvent> seen = new ArrayList<>();
    Flux<LlmEvent> stream =
        client.stream(request("Breaks [dev:tokens=20] [dev:fail=error-mid] [dev:fail-after=5]"))
            .doOnNext(seen::add);

    assertThatThrownBy(() -> stream.blockLast(WAIT)).isInstanceOf(LlmStreamException.class);
    assertThat(seen).hasSize(5).allMatch(LlmEvent.Delta.class::isInstance);
  }

  @Test
  void aConnectionDroppedMidStreamIsATransientFailure() {
    Flux<LlmEvent> stream =
        client.stream(request("Drops [dev:tokens=20] [dev:fail=drop-mid] [dev:fail-after=5]"));

    assertThatThrownBy(() -> stream.blockLast(WAIT))
        .satisfies(e -> assertThat(CLASSIFIER.isTransient(e)).as(e.toString()).isTrue());
  }

  @Test
  void cancellingTheStreamClosesItsConnection() {
    long before = llm.closedEarly();

    List<LlmEvent> firstThree =
        client.stream(request("Long [dev:tokens=500] [dev:delay=20]"))
            .take(3)
            .collectList()
            .block(WAIT);

    assertThat(firstThree).hasSize(3);
    assertThat(llm.awaitClosedEarly(before + 1, WAIT)).isTrue();
  }

  @Test
  void anEventOverMaxEventBytesIsAProtocolError() {
    try (OpenAiStreamingClient small = client(URI.create(llm.baseUrl()), 64)) {
      assertThatThrownBy(() -> small.stream(request("Hello [dev:tokens=3]")).blockLast(WAIT))
          .isInstanceOf(LlmProtocolException.class)
          .hasMessageContaining("over the limit of 64 bytes");
    }
  }

  @Test
  void anLlmThatIsNotListeningIsATransientFailure() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (OpenAiStreamingClient nowhere = client(URI.create("http://127.0.0.1:" + port), 262_144)) {
      assertThatThrownBy(() -> nowhere.stream(request("Hello")).blockLast(WAIT))
          .satisfies(e -> assertThat(CLASSIFIER.isTransient(e)).as(e.toString()).isTrue());
    }
  }

  private static final NettyDataBufferFactory BUFFERS =
      new NettyDataBufferFactory(UnpooledByteBufAllocator.DEFAULT);

  private static DataBuffer buffer(String text) {
    return BUFFERS.wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String delta(String text) {
    return "data: {\"choices\":[{\"delta\":{\"content\":\"" + text + "\"}}]}\n\n";
  }

  private static LlmEvent.Delta text(String text) {
    return new LlmEvent.Delta(text);
  }

  private static Flux<LlmEvent> deltas(Flux<DataBuffer> body) {
    return OpenAiStreamingClient.deltas(body, 1024, new OpenAiStreamParser(MAPPER));
  }

  /**
   * The signals of {@code events}, subscribed without demand first: a synchronous body is read
   * whole before the subscriber asks for anything.
   */
  private static List<Object> readAllThenRequest(Flux<LlmEvent> events) {
    List<Object> signals = new ArrayList<>();
    BaseSubscriber<LlmEvent> subscriber =
        new BaseSubscriber<>() {
          @Override
          protected void hookOnSubscribe(Subscription subscription) {
            // no demand yet
          }

          @Override
          protected void hookOnNext(LlmEvent event) {
            signals.add(event);
          }

          @Override
          protected void hookOnError(Throwable failure) {
            signals.add(failure);
          }
        };
    events.subscribe(subscriber);
    subscriber.request(100);
    return signals;
  }

  @Test
  void aBodysFailureComesAfterTheDeltasQueuedForDemand() {
    Flux<DataBuffer> body =
        Flux.concat(
            Flux.just(buffer(delta("a") + delta("b")), buffer(delta("c"))),
            Flux.error(new IOException("connection reset")));

    List<Object> signals = readAllThenRequest(deltas(body));

    assertThat(signals).hasSize(4).startsWith(text("a"), text("b"), text("c"));
    assertThat(signals.get(3)).isInstanceOf(IOException.class);
  }

  @Test
  void theDeltasOfABufferThatFailsComeBeforeItsFailureAndEveryBufferReadIsReleased() {
    DataBuffer first = buffer(delta("a"));
    DataBuffer failing = buffer(delta("b") + delta("c") + "data: <html>\n\n" + delta("never"));
    List<ByteBuf> read =
        List.of(
            ((NettyDataBuffer) first).getNativeBuffer(),
            ((NettyDataBuffer) failing).getNativeBuffer());

    List<Object> signals = readAllThenRequest(deltas(Flux.just(first, failing)));

    assertThat(signals).hasSize(4).startsWith(text("a"), text("b"), text("c"));
    assertThat(signals.get(3)).isInstanceOf(LlmProtocolException.class);
    assertThat(read).allMatch(b -> b.refCnt() == 0);
  }

  @Test
  void manyEventsInOneBufferAreEmittedOneByOneOnDemand() {
    StringBuilder events = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      events.append(delta("t" + i));
    }
    events.append("data: [DONE]\n\n");

    StepVerifier.create(deltas(Flux.just(buffer(events.toString()))), 1)
        .expectNext(text("t0"))
        .thenRequest(48)
        .expectNextCount(48)
        .thenRequest(1)
        .expectNext(text("t49"))
        .verifyComplete();
  }
}
