package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.chunks;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.http.HttpMethod;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

/**
 * Issue 3, Done-when "llm-consumer killed mid-stream → redelivery → {@code reset} → the full
 * answer" and "the gateway's buffered bytes and pending timers return to zero", with real
 * processes: etcd, Kafka (embedded KRaft), the development LLM (in this JVM), one stream-gateway
 * and TWO llm-consumer JVMs started from their exec jars.
 *
 * <p>A reader streams a long, slow answer; once chunks arrive, the consumer JVM that runs the job
 * (the one whose {@code jdy_requests_active} is 1) is SIGKILLed: no shutdown hook, no drain, no
 * commit. The group's session timeout (the consumer's default {@code session-timeout}, 6 s, the
 * broker's minimum) expires, the survivor takes the job's partition over, finds the job uncommitted
 * and restarts it with a higher attempt stamp. The reader must see {@code reset}, then exactly the
 * development LLM's answer and {@code done}. After the ack the gateway's buffered bytes and active
 * streams are zero, and its pending timers once the (shortened) claim, ack and warm deadlines have
 * fired.
 *
 * <p>Issue 15, item 6 "fast takeover of a crashed consumer": with many chats mid-answer on both
 * consumers, the killed one's chats resume on the other within {@link #TAKEOVER_BOUND} of the kill
 * (not after Kafka's default 45 s session), each with exactly one {@code reset} and the exact text;
 * the survivor's own chats go on untouched.
 *
 * <p>Issue 16, "a consumer killed mid-answer and the job redelivered stores one turn, not two": the
 * history is on (H2's server in this JVM), and the killed chat's conversation holds exactly one
 * complete turn afterwards.
 *
 * <p>Each test starts with both consumers up (one killed by an earlier test is started again).
 */
@Timeout(180)
class ConsumerKillIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration STARTUP = Duration.ofSeconds(90);
  static final String GROUP = "llm-consumer";
  static final String JOBS = "chat.jobs";
  static final String REPLIES = "chat.replies";
  static final int JOB_PARTITIONS = 2;
  static final int REPLY_PARTITIONS = 2;

  /** The group notices a dead member after this: the consumer's default {@code session-timeout}. */
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

  /** A killed consumer's chats resume on the survivor within this of the kill. */
  static final Duration TAKEOVER_BOUND = Duration.ofSeconds(10);

  /** About 8 s of tokens, as the answers of the measurement. */
  static final String CHAT_PROMPT = "Tell me of the clouds [dev:tokens=160] [dev:delay=50]";

  static final int CHATS = 16;

  /** About 5 s of tokens per attempt: time to find the job's consumer and kill it mid-stream. */
  static final String PROMPT = "A long story of the cloud [dev:tokens=200] [dev:delay=25]";

  /** The gateway's claim and ack deadlines (defaults 30 s and 2 min). */
  static final Duration CLAIM_ACK_TIMEOUT = Duration.ofSeconds(10);

  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static DevLlmServer llm;
  static Server h2;
  static String historyUrl;
  static JavaService gateway;
  static int gatewayPort;
  static Chats chats;
  static final Map<String, JavaService> consumers = new LinkedHashMap<>();
  static final Map<String, Integer> consumerPorts = new LinkedHashMap<>();

  @BeforeAll
  static void start() {
    kafka.createTopics(JOB_PARTITIONS, JOBS);
    kafka.createTopics(REPLY_PARTITIONS, REPLIES);
    kafka.createTopics(1, "chat.control", "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    h2 = EndToEndIntegrationTests.startH2();
    historyUrl = "r2dbc:h2:tcp://127.0.0.1:" + h2.getPort() + "/history";

    gatewayPort = FreePorts.next();
    // deadlines are never cancelled, only checked when they fire (StreamMap): pending timers
    // reach zero once the claim, ack and warm deadlines have passed, so they are short here (the
    // reader claims at once, the ack follows the end within a second)
    gateway =
        JavaService.startGateway(
            "gw-kill",
            gatewayPort,
            etcd,
            kafka,
            Map.of(),
            "--jindouyun.gateway.stream.claim-timeout=" + CLAIM_ACK_TIMEOUT.toSeconds() + "s",
            "--jindouyun.gateway.stream.ack-timeout=" + CLAIM_ACK_TIMEOUT.toSeconds() + "s",
            "--jindouyun.gateway.stream.warm-timeout=2s",
            "--jindouyun.history.url=" + historyUrl);
    chats = new Chats(WebClient.create("http://127.0.0.1:" + gatewayPort));

    for (String id : List.of("consumer-a", "consumer-b")) {
      consumerPorts.put(id, FreePorts.next());
      startConsumer(id);
    }
  }

  /** Starts consumer {@code id} on its port, with the default session and heartbeat settings. */
  static void startConsumer(String id) {
    consumers.put(
        id,
        JavaService.start(
            id,
            "llm-consumer",
            Map.of(),
            List.of(
                "--server.port=" + consumerPorts.get(id),
                "--jindouyun.instance.id=" + id,
                "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.consumer.concurrency=1",
                "--jindouyun.history.url=" + historyUrl,
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers())));
  }

  /** Both consumers up (one killed by an earlier test is started again) and the group stable. */
  @BeforeEach
  void bothConsumersUp() throws Exception {
    for (Map.Entry<String, JavaService> consumer : new ArrayList<>(consumers.entrySet())) {
      if (!consumer.getValue().isAlive()) {
        consumer.getValue().close();
        startConsumer(consumer.getKey());
      }
    }
    awaitReady();
  }

  @AfterAll
  static void stop() {
    consumers.values().forEach(JavaService::close);
    if (gateway != null) {
      gateway.close();
    }
    if (llm != null) {
      llm.close();
    }
    if (h2 != null) {
      h2.stop();
    }
  }

  @Test
  void theConsumerRunningTheJobIsKilledAndTheSurvivorStreamsResetThenTheFullAnswer()
      throws Exception {
    String user = "kai";
    String expected = answer(llm.baseUrl(), PROMPT);

    Chats.Handshake hs = chats.handshake(user, PROMPT);
    String streamId = hs.streamId();
    long generation = hs.generation();
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = chats.read(user, streamId, events);
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> chunks(events).size() >= 3);

      // the job runs in exactly one consumer: that one dies, the other one lives
      Map<String, Double> active = new LinkedHashMap<>();
      for (String id : consumers.keySet()) {
        active.put(id, consumerGauge(id, "jdy_requests_active"));
      }
      List<String> holders =
          active.entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).toList();
      assertThat(holders).as("consumers running the job: %s", active).hasSize(1);
      String victim = holders.get(0);
      String survivor =
          consumers.keySet().stream().filter(id -> !id.equals(victim)).findFirst().orElseThrow();
      long closedBefore = llm.closedEarly();
      assertThat(terminal(events)).as("the answer must still be streaming at the kill").isNull();
      int chunksAtKill = chunks(events).size();
      double completedBefore = consumerCount(survivor, "jdy_requests_seconds_count", "completed");

      consumers.get(victim).kill();
      long killedAt = System.nanoTime();

      // the kernel closed the dead JVM's connection: the development LLM saw the call end early
      assertThat(llm.awaitClosedEarly(closedBefore + 1, WAIT)).isTrue();
      await()
          .atMost(SESSION_TIMEOUT.plus(WAIT))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> events.stream().anyMatch(e -> "reset".equals(e.event())));
      long resetAfter = System.nanoTime() - killedAt;
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> terminal(events) != null);
      long doneAfter = System.nanoTime() - killedAt;
      System.out.printf(
          "SIGKILL of %s (holding the job after %d chunks): reset after %d ms, done after %d ms"
              + " (session timeout %d ms)%n",
          victim,
          chunksAtKill,
          TimeUnit.NANOSECONDS.toMillis(resetAfter),
          TimeUnit.NANOSECONDS.toMillis(doneAfter),
          SESSION_TIMEOUT.toMillis());

      assertThat(consumers.get(survivor).isAlive())
          .withFailMessage(consumers.get(survivor)::tail)
          .isTrue();
      List<String> kinds = events.stream().map(ServerSentEvent::event).toList();
      assertThat(kinds).filteredOn("reset"::equals).hasSize(1);
      assertThat(terminal(events).event()).isEqualTo("done");
      assertThat(kinds).last().isEqualTo("done");
      int reset = kinds.indexOf("reset");
      String beforeReset = text(events.subList(0, reset));
      assertThat(beforeReset).isNotEmpty();
      assertThat(expected).startsWith(beforeReset);
      List<ServerSentEvent<String>> afterReset = events.subList(reset + 1, events.size());
      assertThat(text(afterReset)).isEqualTo(expected);
      List<String> ids = chunks(afterReset).stream().map(ServerSentEvent::id).toList();
      for (int seq = 0; seq < ids.size(); seq++) {
        assertThat(ids.get(seq)).isEqualTo(generation + "." + seq);
      }

      // the survivor ran it to the end, with a higher attempt than the killed call's
      assertThat(consumerCount(survivor, "jdy_requests_seconds_count", "completed"))
          .isEqualTo(completedBefore + 1);
      List<Integer> attempts = attemptsInReplies(streamId);
      assertThat(attempts).as("attempt of each chunk in Kafka order").isSorted();
      assertThat(attempts.stream().distinct().count()).isEqualTo(2);

      chats.ack(user, streamId, ids.get(ids.size() - 1));
    } finally {
      reading.dispose();
    }
    long ackedAt = System.nanoTime();

    // the killed run stored nothing, the redelivered one its complete answer: one turn, not two
    JsonNode list = chats.call(user, HttpMethod.GET, "/v1/conversations", null).body();
    assertThat(list.path("conversations")).hasSize(1);
    JsonNode turns =
        chats
            .call(
                user,
                HttpMethod.GET,
                "/v1/conversations/" + list.path("conversations").path(0).path("id").asString(),
                null)
            .body()
            .path("turns");
    assertThat(turns).hasSize(1);
    assertThat(turns.path(0).path("streamId").asString()).isEqualTo(streamId);
    assertThat(turns.path(0).path("status").asString()).isEqualTo("complete");
    assertThat(turns.path(0).path("answer").asString()).isEqualTo(expected);
    assertThat(turns.path(0).path("delivered").asBoolean()).isTrue();

    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              String scrape = scrape(gatewayPort);
              assertThat(gauge(scrape, "jdy_gateway_buffered_bytes")).as("buffered").isZero();
              assertThat(gauge(scrape, "jdy_streams_active")).as("streams").isZero();
              assertThat(gauge(scrape, "jdy_gateway_timers_pending")).as("timers").isZero();
            });
    System.out.printf(
        "gateway buffered bytes, active streams and pending timers at zero %d ms after the ack%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ackedAt));
  }

  @Test
  void theChatsOfAKilledConsumerResumeOnTheOtherWithinTenSecondsWithTheExactText()
      throws Exception {
    String expected = answer(llm.baseUrl(), CHAT_PROMPT);
    long requestsBefore = llm.requests();
    Map<String, List<ServerSentEvent<String>>> events = new LinkedHashMap<>();
    List<Disposable> readings = new ArrayList<>();
    try {
      for (int i = 0; i < CHATS; i++) {
        String user = "takeover-" + i;
        Chats.Handshake hs = chats.handshake(user, CHAT_PROMPT);
        List<ServerSentEvent<String>> collected = new CopyOnWriteArrayList<>();
        events.put(user, collected);
        readings.add(chats.read(user, hs.streamId(), collected));
      }
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> events.values().stream().allMatch(e -> chunks(e).size() >= 2));

      // both consumers run chats (a partition each); the one with more of them dies
      Map<String, Double> active = new LinkedHashMap<>();
      for (String id : consumers.keySet()) {
        active.put(id, consumerGauge(id, "jdy_requests_active"));
      }
      String victim =
          active.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      int victimChats = active.get(victim).intValue();
      assertThat(active.values().stream().mapToDouble(Double::doubleValue).sum())
          .as("every chat runs in a consumer: %s", active)
          .isEqualTo(CHATS);
      assertThat(victimChats).as("chats on the victim: %s", active).isPositive();
      assertThat(events.values())
          .as("every answer must still be streaming at the kill")
          .allMatch(e -> terminal(e) == null);

      consumers.get(victim).kill();
      long killedAt = System.nanoTime();

      // each chat of the victim gets its reset (the survivor's first chunk of a new attempt)
      Map<String, Long> resumedAfterMs = new ConcurrentHashMap<>();
      await()
          .atMost(TAKEOVER_BOUND.plus(WAIT))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                long now = System.nanoTime();
                events.forEach(
                    (user, e) -> {
                      if (e.stream().anyMatch(ev -> "reset".equals(ev.event()))) {
                        resumedAfterMs.computeIfAbsent(
                            user, u -> TimeUnit.NANOSECONDS.toMillis(now - killedAt));
                      }
                    });
                return resumedAfterMs.size() >= victimChats
                    || events.values().stream().allMatch(e -> terminal(e) != null);
              });
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> events.values().stream().allMatch(e -> terminal(e) != null));
      long doneAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.printf(
          "SIGKILL of %s with %d of %d chats mid-answer: resumed on the other after %s ms,"
              + " all done %d ms after the kill%n",
          victim, victimChats, CHATS, resumedAfterMs.values(), doneAfter);

      assertThat(resumedAfterMs).as("chats resumed on the survivor").hasSize(victimChats);
      assertThat(resumedAfterMs.values()).allMatch(ms -> ms <= TAKEOVER_BOUND.toMillis());
      for (Map.Entry<String, List<ServerSentEvent<String>>> chat : events.entrySet()) {
        List<ServerSentEvent<String>> e = chat.getValue();
        List<String> kinds = e.stream().map(ServerSentEvent::event).toList();
        assertThat(terminal(e).event()).as(chat.getKey()).isEqualTo("done");
        int reset = kinds.lastIndexOf("reset");
        assertThat(kinds)
            .as(chat.getKey())
            .filteredOn("reset"::equals)
            .hasSize(resumedAfterMs.containsKey(chat.getKey()) ? 1 : 0);
        assertThat(text(e.subList(reset + 1, e.size()))).as(chat.getKey()).isEqualTo(expected);
      }
      // the victim's chats ran twice, the survivor's once: the survivor kept its partition
      assertThat(llm.requests() - requestsBefore).isEqualTo(CHATS + victimChats);
    } finally {
      readings.forEach(Disposable::dispose);
    }
  }

  // ---- helpers

  /** The gateway and both consumers answer, and the group is stable with a partition each. */
  static void awaitReady() throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      await()
          .atMost(STARTUP)
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions() // connection refused while booting, an unknown group before the first
          // join
          .untilAsserted(
              () -> {
                assertThat(gateway.isAlive()).withFailMessage(gateway::tail).isTrue();
                consumers
                    .values()
                    .forEach(c -> assertThat(c.isAlive()).withFailMessage(c::tail).isTrue());
                assertThat(status(gatewayPort, "/actuator/health/readiness")).isEqualTo(200);
                for (int port : consumerPorts.values()) {
                  assertThat(status(port, "/actuator/health/readiness")).isEqualTo(200);
                }
                ConsumerGroupDescription group =
                    admin
                        .describeConsumerGroups(List.of(GROUP))
                        .all()
                        .get(5, TimeUnit.SECONDS)
                        .get(GROUP);
                assertThat(group.groupState()).isEqualTo(GroupState.STABLE);
                assertThat(group.members()).hasSize(consumers.size());
                for (MemberDescription member : group.members()) {
                  assertThat(member.assignment().topicPartitions()).hasSize(1);
                }
              });
    }
  }

  /** The attempt stamp of every chunk of {@code streamId} on the replies topic, in Kafka order. */
  static List<Integer> attemptsInReplies(String streamId) {
    try (KafkaConsumer<String, byte[]> reader = kafka.reader()) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < REPLY_PARTITIONS; p++) {
        partitions.add(new TopicPartition(REPLIES, p));
      }
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions);
      List<ChatChunk> seen = new ArrayList<>();
      await()
          .atMost(WAIT)
          .until(
              () -> {
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
                  if (streamId.equals(record.key())) {
                    seen.add(ChatChunk.parseFrom(record.value()));
                  }
                }
                return partitions.stream().allMatch(p -> reader.position(p) >= end.get(p));
              });
      assertThat(seen).isNotEmpty();
      assertThat(seen.get(seen.size() - 1).getFinish()).isEqualTo("stop");
      return seen.stream().map(ChatChunk::getAttempt).toList();
    }
  }

  static double consumerGauge(String id, String name) throws Exception {
    return gauge(scrape(consumerPorts.get(id)), name);
  }

  /** The value of {@code name} with tag {@code outcome="<outcome>"} on consumer {@code id}. */
  static double consumerCount(String id, String name, String outcome) throws Exception {
    return scrape(consumerPorts.get(id))
        .lines()
        .filter(l -> l.startsWith(name + "{") && l.contains("outcome=\"" + outcome + "\""))
        .mapToDouble(ConsumerKillIntegrationTests::value)
        .sum();
  }

  /** The sum of the samples of {@code name} (all tag sets) in a Prometheus scrape. */
  static double gauge(String scrape, String name) {
    List<String> samples =
        scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).toList();
    assertThat(samples).as("samples of %s", name).isNotEmpty();
    return samples.stream().mapToDouble(ConsumerKillIntegrationTests::value).sum();
  }

  static double value(String sample) {
    return Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
  }

  static String scrape(int port) throws Exception {
    return get(port, "/actuator/prometheus").body();
  }

  static int status(int port, String path) throws Exception {
    return get(port, path).statusCode();
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
