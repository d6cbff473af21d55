package io.jindouyun.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.e2e.SteadyChats.Chat;
import io.jindouyun.testkit.EtcdClusterExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Issue 18, part 2 "Replication", with real processes: three etcd members, three KRaft Kafka nodes
 * (replication factor 3, {@code min.insync.replicas=2}), and the development LLM, one
 * stream-gateway and one llm-consumer JVM from their exec jars, pointed at all members and brokers.
 *
 * <p>Under steady traffic ({@link #PERIOD} between chats, each read to its end with {@code
 * Last-Event-ID} as a browser does), the Kafka node that leads the most partitions of the chat
 * topics is SIGKILLed, runs without it, is started again and rejoins (every partition back to three
 * in-sync replicas); then the etcd leader (found with the maintenance status API) is SIGKILLed, a
 * new one is elected, and the old one is started again and rejoins. No accepted chat may be lost,
 * garbled or duplicated (each ends with {@code done} and the development LLM's exact text);
 * handshakes may fail only within {@link #BROKER_FAILURE_BOUND} after the broker's kill and {@link
 * #ETCD_FAILURE_BOUND} after the etcd leader's, never before a fault or after the recovery. The
 * measured windows are printed.
 */
@Timeout(240)
class ReplicationIntegrationTests {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();
  @RegisterExtension static final KafkaClusterExtension kafka = new KafkaClusterExtension();

  static final List<String> CHAT_TOPICS = List.of("chat.jobs", "chat.replies");
  static final List<String> ALL_TOPICS =
      List.of("chat.jobs", "chat.replies", "chat.control", "chat.jobs-dlt", "__consumer_offsets");

  /** A chat every 250 ms: four a second. */
  static final Duration PERIOD = Duration.ofMillis(250);

  /** About half a second of tokens per answer. */
  static final String PROMPT = "The cloud keeps three copies [dev:tokens=24] [dev:delay=20]";

  /**
   * Handshakes started later than this after a broker's kill succeed: the broker is fenced after
   * {@link KafkaClusterExtension#BROKER_SESSION}, its partitions led elsewhere, and a handshake's
   * write gives up after the gateway's {@code delivery.timeout.ms} (5 s).
   */
  static final Duration BROKER_FAILURE_BOUND = Duration.ofSeconds(8);

  /** Handshakes started later than this after the etcd leader's kill succeed (a new election). */
  static final Duration ETCD_FAILURE_BOUND = Duration.ofSeconds(3);

  /**
   * A handshake started this long before a kill may still be writing its job when the node dies
   * (the gateway's producer {@code max.block.ms} 2 s plus {@code delivery.timeout.ms} 5 s): its
   * failure counts as the fault's.
   */
  static final Duration IN_FLIGHT = Duration.ofSeconds(7);

  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration STARTUP = Duration.ofSeconds(120);

  static JavaService llm;
  static JavaService gateway;
  static JavaService consumer;
  static int llmPort;
  static int gatewayPort;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs", "chat.replies", "chat.control", "chat.jobs-dlt");
    llmPort = FreePorts.next();
    llm = JavaService.start("dev-llm", "dev-llm", Map.of(), List.of("--port=" + llmPort));
    gatewayPort = FreePorts.next();
    gateway =
        JavaService.startGateway(
            "gw-ha", gatewayPort, etcd.endpoints(), kafka.bootstrapServers(), Map.of());
    consumer =
        JavaService.start(
            "consumer-ha",
            "llm-consumer",
            Map.of(),
            List.of(
                "--server.port=" + FreePorts.next(),
                "--jindouyun.instance.id=consumer-ha",
                "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoints(),
                "--jindouyun.llm.base-url=http://127.0.0.1:" + llmPort,
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers()));
    await()
        .atMost(STARTUP)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              assertThat(consumer.isAlive()).as(consumer.tail()).isTrue();
              assertThat(gateway.isAlive()).as(gateway.tail()).isTrue();
              return get("http://127.0.0.1:" + llmPort + "/health")
                  && get("http://127.0.0.1:" + gatewayPort + "/actuator/health/readiness");
            });
  }

  static boolean get(String url) {
    return WebClient.create(url)
        .get()
        .retrieve()
        .toBodilessEntity()
        .block(Duration.ofSeconds(2))
        .getStatusCode()
        .is2xxSuccessful();
  }

  @AfterAll
  static void stop() {
    for (JavaService service : new JavaService[] {consumer, gateway, llm}) {
      if (service != null) {
        service.close();
      }
    }
  }

  @Test
  void noAcceptedChatIsLostWhenTheLeadingBrokerAndTheEtcdLeaderDieAndRejoin() {
    String expected = Chats.answer("http://127.0.0.1:" + llmPort, PROMPT);
    try (SteadyChats traffic = new SteadyChats("http://127.0.0.1:" + gatewayPort, PROMPT)) {
      traffic.start(PERIOD);
      awaitDone(traffic, "before any fault", t -> true, 8);
      long firstFault = System.currentTimeMillis();

      // the Kafka node that leads the most chat partitions dies; the chats go on without it
      int broker = kafka.leaderOf(CHAT_TOPICS);
      kafka.kill(broker);
      long brokerKilled = System.currentTimeMillis();
      long fenced = brokerKilled + KafkaClusterExtension.BROKER_SESSION.toMillis();
      awaitDone(traffic, "with broker " + broker + " dead", t -> t > fenced, 8);
      kafka.start(broker);
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(250))
          .until(() -> kafka.allInSync(ALL_TOPICS));
      long brokerRejoined = System.currentTimeMillis();
      awaitDone(traffic, "after broker " + broker + " rejoined", t -> t > brokerRejoined, 6);

      // the etcd leader dies; another member is elected, the chats go on
      await().atMost(WAIT).until(() -> etcd.leader() != 0);
      int member = etcd.leader();
      etcd.kill(member);
      long etcdKilled = System.currentTimeMillis();
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> etcd.leader() != 0);
      long elected = System.currentTimeMillis();
      awaitDone(traffic, "with etcd member " + member + " dead", t -> t > etcdKilled + 2_000, 6);
      etcd.start(member);
      long etcdRejoined = System.currentTimeMillis();
      awaitDone(traffic, "after etcd member " + member + " rejoined", t -> t > etcdRejoined, 6);
      long recovered = System.currentTimeMillis();
      awaitDone(traffic, "after the recovery", t -> t > recovered, 6);

      traffic.stopStarting();
      await()
          .atMost(SteadyChats.CHAT_TIMEOUT.plusSeconds(10))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> traffic.chats().stream().allMatch(Chat::ended));

      List<Chat> chats = traffic.chats();
      Map<String, String> wrong = new LinkedHashMap<>();
      for (Chat chat : chats) {
        if (!chat.accepted) {
          continue;
        }
        ServerSentEvent<String> terminal = chat.terminal();
        boolean done = terminal != null && "done".equals(terminal.event());
        if (!done || chat.repeatedId() || !chat.text().equals(expected)) {
          wrong.put(
              "chat " + chat.index + " at " + (chat.startMs - firstFault) + " ms",
              (terminal == null
                      ? "no end (" + chat.events.size() + " events, " + chat.failure + ")"
                      : terminal.event())
                  + (chat.repeatedId() ? ", an event id twice" : "")
                  + ": "
                  + chat.text());
        }
      }
      long lead = IN_FLIGHT.toMillis();
      List<Long> otherFailures = failedStarts(chats, 0, brokerKilled - lead, 0);
      List<Long> brokerFailures =
          failedStarts(chats, brokerKilled - lead, etcdKilled - lead, brokerKilled);
      List<Long> etcdFailures = failedStarts(chats, etcdKilled - lead, Long.MAX_VALUE, etcdKilled);
      System.out.printf(
          "replication: %d chats, %d accepted; longest handshake %d ms before the faults;"
              + " broker %d killed: %d handshakes failed, started %s ms after the kill, longest"
              + " handshake %d ms; rejoined (all in sync) %d ms after the kill; etcd leader %d"
              + " killed: new leader after %d ms, %d handshakes failed, started %s ms after the"
              + " kill, longest handshake %d ms%n",
          chats.size(),
          chats.stream().filter(c -> c.accepted).count(),
          longestHandshake(chats, 0, brokerKilled),
          broker,
          brokerFailures.size(),
          brokerFailures,
          longestHandshake(chats, brokerKilled - lead, etcdKilled - lead),
          brokerRejoined - brokerKilled,
          member,
          elected - etcdKilled,
          etcdFailures.size(),
          etcdFailures,
          longestHandshake(chats, etcdKilled - lead, Long.MAX_VALUE));

      assertThat(wrong).as("accepted chats not ending with done and the exact text").isEmpty();
      assertThat(otherFailures).as("handshakes failed before the faults").isEmpty();
      assertThat(brokerFailures)
          .as("handshakes failed after the broker's kill (ms after it)")
          .allMatch(within(BROKER_FAILURE_BOUND));
      assertThat(etcdFailures)
          .as("handshakes failed after the etcd leader's kill (ms after it)")
          .allMatch(within(ETCD_FAILURE_BOUND));
      assertThat(traffic.count(c -> c.startMs > recovered && c.accepted))
          .as("chats accepted after the recovery")
          .isGreaterThanOrEqualTo(6);
    }
  }

  /**
   * Waits until {@code atLeast} chats that started at a time {@code startedWhen} accepts were
   * accepted and ended with {@code done}: the traffic flows in that phase.
   */
  static void awaitDone(SteadyChats traffic, String phase, LongPredicate startedWhen, int atLeast) {
    await()
        .alias("at least " + atLeast + " chats done " + phase)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                traffic.count(
                        c ->
                            startedWhen.test(c.startMs)
                                && c.terminal() != null
                                && "done".equals(c.terminal().event()))
                    >= atLeast);
  }

  /**
   * The starts, in ms after {@code zero}, of the chats started in [from, to) whose handshake
   * failed.
   */
  static List<Long> failedStarts(List<Chat> chats, long from, long to, long zero) {
    List<Long> starts = new ArrayList<>();
    for (Chat chat : chats) {
      if (chat.failedHandshake() && chat.startMs >= from && chat.startMs < to) {
        starts.add(chat.startMs - zero);
      }
    }
    return starts;
  }

  /** The longest handshake of the chats started in [from, to), in ms. */
  static long longestHandshake(List<Chat> chats, long from, long to) {
    return chats.stream()
        .filter(c -> c.startMs >= from && c.startMs < to)
        .mapToLong(c -> c.handshakeMs)
        .max()
        .orElse(-1);
  }

  static Predicate<Long> within(Duration bound) {
    return ms -> ms <= bound.toMillis();
  }
}
