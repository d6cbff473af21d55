package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.SSE;
import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.bearer;
import static io.jindouyun.e2e.Chats.chunks;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * Issue 15, item 2 "a stream survives its gateway", with real processes: etcd, Kafka (embedded
 * KRaft), the development LLM and the llm-consumer (in this JVM), and stream-gateway JVMs from
 * their exec jars (the victim and two live ones), with a short claim lease.
 *
 * <p>Many chats, one user each, stream from the victim gateway; mid-answer it is SIGKILLed (no
 * drain, no lease revoke). Its claim's lease runs out, the survivor takes its reply partition over,
 * rebuilds its streams from the partition and publishes the hand-over in etcd. Every reader then
 * reconnects with {@code Last-Event-ID}, half to one live gateway and half to the other (the one
 * that did not take over proxies the reader): every chat completes with the exact text, no event id
 * twice, and the development LLM saw no extra call. A drained gateway (SIGTERM) hands its chats
 * over the same way without waiting for its lease: nothing is cancelled, every reader's response
 * ends cleanly once the survivor serves the streams.
 */
@Timeout(240)
class GatewayKillIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration LEASE_TTL = Duration.ofSeconds(3);

  /** A gone gateway's streams are served again within the lease TTL plus this. */
  static final Duration RESUME_MARGIN = Duration.ofSeconds(7);

  static final int CHATS = 20;

  /** About 6 s of tokens: time to kill the victim mid-answer and to resume before the end. */
  static final String PROMPT = "Tell me of the cloud that carries [dev:tokens=120] [dev:delay=50]";

  static DevLlmServer llm;
  static ConfigurableApplicationContext consumer;
  static JavaService victim;
  static JavaService survivor;
  static JavaService bystander;
  static int bystanderPort;
  static int victimPort;
  static int survivorPort;
  static final List<JavaService> victims = new ArrayList<>();

  @BeforeAll
  static void start() {
    kafka.createTopics(2, "chat.jobs", "chat.control");
    kafka.createTopics(4, "chat.replies");
    kafka.createTopics(1, "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    survivorPort = FreePorts.next();
    survivor = startGateway("gw-survivor", survivorPort);
    bystanderPort = FreePorts.next();
    bystander = startGateway("gw-bystander", bystanderPort);
    consumer =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/consumer.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint());
    awaitReady(survivorPort);
    awaitReady(bystanderPort);
  }

  static JavaService startGateway(String id, int port) {
    return JavaService.startGateway(
        id,
        port,
        etcd,
        kafka,
        Map.of(),
        "--jindouyun.gateway.kafka.claim-lease-ttl=" + LEASE_TTL.toSeconds() + "s");
  }

  static void awaitReady(int port) {
    WebClient http = WebClient.create("http://127.0.0.1:" + port);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () ->
                http.get()
                    .uri("/actuator/health/readiness")
                    .retrieve()
                    .toBodilessEntity()
                    .block(Duration.ofSeconds(2))
                    .getStatusCode()
                    .is2xxSuccessful());
  }

  @AfterAll
  static void stop() {
    if (consumer != null) {
      consumer.close();
    }
    victims.forEach(JavaService::close);
    for (JavaService gateway : new JavaService[] {survivor, bystander}) {
      if (gateway != null) {
        gateway.close();
      }
    }
    if (llm != null) {
      llm.close();
    }
  }

  /** One reader of one chat, that may read from several gateways in turn. */
  static final class Reader {
    final String user;
    final String streamId;
    final List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    volatile String lastEventId;
    volatile boolean connectionEnded;

    Reader(String user, String streamId) {
      this.user = user;
      this.streamId = streamId;
    }

    /** One connection to the gateway at {@code port}. */
    Disposable read(int port) {
      connectionEnded = false;
      return connect(port).doFinally(signal -> connectionEnded = true).subscribe(e -> {}, e -> {});
    }

    /**
     * Reads from the gateway at {@code port} as an EventSource does: a response that ends without a
     * terminal event (a {@code retry:} answer while the stream is not served yet) is followed by
     * another connection with {@code Last-Event-ID} half a second later, at most 40 times.
     */
    Disposable resume(int port) {
      return Flux.defer(() -> connect(port))
          .repeatWhen(ends -> ends.delayElements(Duration.ofMillis(500)).take(40))
          .takeUntil(e -> terminal(events) != null)
          .subscribe(e -> {}, e -> {});
    }

    private Flux<ServerSentEvent<String>> connect(int port) {
      return WebClient.create("http://127.0.0.1:" + port)
          .get()
          .uri("/v1/chat/stream/{id}", streamId)
          .header(HttpHeaders.AUTHORIZATION, bearer(user))
          .headers(
              h -> {
                if (lastEventId != null) {
                  h.set("Last-Event-ID", lastEventId);
                }
              })
          .accept(MediaType.TEXT_EVENT_STREAM)
          .retrieve()
          .bodyToFlux(SSE)
          .filter(e -> e.event() != null)
          .doOnNext(
              e -> {
                events.add(e);
                if (e.id() != null) {
                  lastEventId = e.id();
                }
              });
    }
  }

  /** Starts the victim {@code id} and waits until it is ready. */
  static void startVictim(String id) {
    victimPort = FreePorts.next();
    victim = startGateway(id, victimPort);
    victims.add(victim);
    awaitReady(victimPort);
  }

  @Test
  void everyChatOfAKilledGatewayCompletesOnTheSurvivorWithTheExactTextAndNoDuplicate()
      throws Exception {
    startVictim("gw-victim");
    String expected = answer(llm.baseUrl(), PROMPT);
    long requestsBefore = llm.requests();
    Chats onVictim = new Chats(WebClient.create("http://127.0.0.1:" + victimPort));
    List<Reader> readers = new ArrayList<>();
    List<Disposable> readings = new ArrayList<>();
    try {
      for (int i = 0; i < CHATS; i++) {
        String user = "survive-" + i;
        Chats.Handshake hs = onVictim.handshake(user, PROMPT);
        assertThat(hs.streamId()).startsWith("gw-victim~");
        Reader reader = new Reader(user, hs.streamId());
        readers.add(reader);
        readings.add(reader.read(victimPort));
      }
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> readers.stream().allMatch(r -> chunks(r.events).size() >= 2));
      assertThat(readers)
          .as("every answer must still be streaming at the kill")
          .allMatch(r -> terminal(r.events) == null);

      victim.kill();
      long killedAt = System.nanoTime();
      await().atMost(WAIT).until(() -> readers.stream().allMatch(r -> r.connectionEnded));
      assertThat(readers).allMatch(r -> terminal(r.events) == null);

      try (Client etcdClient = Client.builder().endpoints(etcd.endpoint()).build()) {
        ByteSequence handover =
            ByteSequence.from(EtcdKeys.DEFAULT.handoverKey("gw-victim"), StandardCharsets.UTF_8);
        await()
            .atMost(LEASE_TTL.plus(RESUME_MARGIN))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    etcdClient
                        .getKVClient()
                        .get(handover)
                        .get(2, TimeUnit.SECONDS)
                        .getKvs()
                        .stream()
                        .anyMatch(
                            kv ->
                                kv.getValue().toString(StandardCharsets.UTF_8).startsWith("gw-")));
      }
      long handedOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);

      // half the readers come back to one live gateway, half to the other: whichever took the
      // partition over serves its half, the other proxies its half there
      for (int i = 0; i < readers.size(); i++) {
        readings.add(readers.get(i).resume(i % 2 == 0 ? survivorPort : bystanderPort));
      }
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> readers.stream().allMatch(r -> terminal(r.events) != null));
      System.out.printf(
          "SIGKILL of the gateway with %d chats mid-answer: hand-over published %d ms after the"
              + " kill (lease TTL %d ms)%n",
          CHATS, handedOverMs, LEASE_TTL.toMillis());

      Map<String, String> wrong = new LinkedHashMap<>();
      for (Reader reader : readers) {
        List<String> ids = chunks(reader.events).stream().map(ServerSentEvent::id).toList();
        assertThat(ids).as("event ids of %s", reader.user).doesNotHaveDuplicates();
        assertThat(terminal(reader.events).event()).as(reader.user).isEqualTo("done");
        if (!text(reader.events).equals(expected)) {
          wrong.put(reader.user, text(reader.events));
        }
        assertThat(reader.events.stream().map(ServerSentEvent::event)).doesNotContain("reset");
      }
      assertThat(wrong).as("chats whose text is not the answer").isEmpty();
      assertThat(llm.requests()).as("calls to the LLM").isEqualTo(requestsBefore + CHATS);
    } finally {
      readings.forEach(Disposable::dispose);
    }
  }

  @Test
  void aDrainedGatewayHandsItsChatsOverWithoutWaitingForItsLease() throws Exception {
    startVictim("gw-drained");
    String expected = answer(llm.baseUrl(), PROMPT);
    long requestsBefore = llm.requests();
    long closedBefore = llm.closedEarly();
    Chats onVictim = new Chats(WebClient.create("http://127.0.0.1:" + victimPort));
    List<Reader> readers = new ArrayList<>();
    List<Disposable> readings = new ArrayList<>();
    try {
      for (int i = 0; i < CHATS; i++) {
        String user = "drained-" + i;
        Chats.Handshake hs = onVictim.handshake(user, PROMPT);
        Reader reader = new Reader(user, hs.streamId());
        readers.add(reader);
        readings.add(reader.read(victimPort));
      }
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> readers.stream().allMatch(r -> chunks(r.events).size() >= 2));

      victim.signal("TERM");
      long drainedAt = System.nanoTime();
      // the drain waits for the survivor to take the streams over, then ends every response
      // cleanly (no terminal event): the readers come back to the survivor
      await()
          .atMost(LEASE_TTL.plus(RESUME_MARGIN))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> readers.stream().allMatch(r -> r.connectionEnded));
      long handedOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedAt);
      assertThat(readers).allMatch(r -> terminal(r.events) == null);
      for (int i = 0; i < readers.size(); i++) {
        readings.add(readers.get(i).resume(i % 2 == 0 ? survivorPort : bystanderPort));
      }
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> readers.stream().allMatch(r -> terminal(r.events) != null));
      System.out.printf(
          "SIGTERM of the gateway with %d chats mid-answer: handed over %d ms after the signal%n",
          CHATS, handedOverMs);

      for (Reader reader : readers) {
        List<String> ids = chunks(reader.events).stream().map(ServerSentEvent::id).toList();
        assertThat(ids).as("event ids of %s", reader.user).doesNotHaveDuplicates();
        assertThat(terminal(reader.events).event()).as(reader.user).isEqualTo("done");
        assertThat(text(reader.events)).as(reader.user).isEqualTo(expected);
      }
      assertThat(llm.requests()).as("calls to the LLM").isEqualTo(requestsBefore + CHATS);
      assertThat(llm.closedEarly()).as("LLM calls closed early").isEqualTo(closedBefore);
    } finally {
      readings.forEach(Disposable::dispose);
    }
  }
}
