package io.jindouyun.consumer;

import static io.jindouyun.consumer.LlmConsumerIntegrationTests.nonStreamingAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 15, item 5 "no head-of-line blocking", against a real (embedded KRaft) Kafka broker and the
 * development LLM: one consumer (one Kafka consumer owning both job partitions) that may run
 * {@value #MAX_IN_PROGRESS} jobs and track {@value #MAX_UNCOMMITTED} uncommitted records per
 * partition.
 *
 * <p>With commits in offset order, the short jobs behind a long one finish but stay uncommitted;
 * before, they counted against the consumer's whole budget, so after a handful of them the consumer
 * paused every partition until the long job ended and the next users' first tokens waited for it.
 */
@Timeout(150)
class HeadOfLineIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final int MAX_IN_PROGRESS = 8;
  static final int MAX_POLL_RECORDS = 4;
  static final int MAX_UNCOMMITTED = 32;
  static final String JOBS = "chat.jobs";
  static final String REPLIES = "chat.replies";
  static final Duration WAIT = Duration.ofSeconds(30);

  /** About 16 s of tokens. */
  static final String LONG = "A long story [dev:tokens=320] [dev:delay=50]";

  static final Duration LONG_JOB = Duration.ofMillis(320 * 50);

  /** Each short job's first token within this of its record being sent: far below the long job. */
  static final Duration TTFT_BOUND = Duration.ofSeconds(3);

  static DevLlmServer llm;
  static ConfigurableApplicationContext app;
  static KafkaProducer<String, byte[]> producer;
  static TopicReader reader;
  static Admin admin;

  @BeforeAll
  static void start() {
    kafka.createTopics(2, JOBS, REPLIES, "chat.control");
    kafka.createTopics(1, "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    app =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--server.port=0",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.consumer.concurrency=1",
                "--jindouyun.consumer.max-in-progress=" + MAX_IN_PROGRESS,
                "--jindouyun.consumer.max-poll-records=" + MAX_POLL_RECORDS,
                "--jindouyun.consumer.max-uncommitted=" + MAX_UNCOMMITTED,
                "--jindouyun.etcd.endpoints=",
                "--jindouyun.metrics.grpc-port=0");
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            new StringSerializer(),
            new ByteArraySerializer());
    reader = new TopicReader(kafka.bootstrapServers(), REPLIES, "chat.jobs-dlt");
    admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    if (reader != null) {
      reader.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
    if (llm != null) {
      llm.close();
    }
  }

  @Test
  void shortJobsBehindALongOneOnTheSamePartitionGetTheirFirstTokenAtOnce() throws Exception {
    ChatJob longJob = job(LONG);
    RecordMetadata longAt = sendTo(0, longJob);
    await().atMost(WAIT).until(() -> !reader.chunks(longJob.getStreamId()).isEmpty());

    // three times the consumer's job budget, in bursts as users come, all behind the long job
    Map<ChatJob, Long> sentAt = new LinkedHashMap<>();
    RecordMetadata lastShortAt = null;
    for (int burst = 0; burst < 3; burst++) {
      for (int i = 0; i < MAX_IN_PROGRESS; i++) {
        ChatJob shortJob = job("Short " + burst + "." + i + " [dev:tokens=4]");
        sentAt.put(shortJob, System.currentTimeMillis());
        lastShortAt = sendTo(0, shortJob);
      }
      await()
          .atMost(WAIT)
          .until(() -> sentAt.keySet().stream().allMatch(j -> reader.ended(j.getStreamId())));
    }

    assertThat(reader.ended(longJob.getStreamId()))
        .as("the long job still runs when every short one has ended")
        .isFalse();
    List<Long> ttfts = new ArrayList<>();
    for (Map.Entry<ChatJob, Long> e : sentAt.entrySet()) {
      List<ChatChunk> chunks = reader.chunks(e.getKey().getStreamId());
      ttfts.add(chunks.get(0).getProducedAtMs() - e.getValue());
      assertThat(text(chunks)).isEqualTo(nonStreamingAnswer(llm, prompt(e.getKey())));
    }
    System.out.printf(
        "short jobs behind a %d ms job on the same partition: first token after %s ms%n",
        LONG_JOB.toMillis(), ttfts);
    assertThat(ttfts).allMatch(ttft -> ttft < TTFT_BOUND.toMillis());
    // out of order: they are done, yet the partition's commit waits for the long job
    assertThat(committed(0)).isLessThanOrEqualTo(longAt.offset());

    await().atMost(LONG_JOB.plus(WAIT)).until(() -> reader.ended(longJob.getStreamId()));
    long after = lastShortAt.offset() + 1;
    await().atMost(WAIT).until(() -> committed(0) == after);
  }

  @Test
  void aFullWindowPausesOnlyItsPartition() throws Exception {
    ChatJob longJob = job(LONG);
    sendTo(0, longJob);
    await().atMost(WAIT).until(() -> !reader.chunks(longJob.getStreamId()).isEmpty());

    // more short jobs than partition 0 may track behind the long one
    List<ChatJob> shortJobs =
        IntStream.range(0, MAX_UNCOMMITTED + 8)
            .mapToObj(i -> job("Behind " + i + " [dev:tokens=2]"))
            .toList();
    shortJobs.forEach(j -> sendTo(0, j));
    await()
        .atMost(WAIT)
        .until(() -> shortJobs.stream().filter(j -> reader.ended(j.getStreamId())).count() > 16);

    // partition 0 is paused at its window; partition 1 is not
    ChatJob other = job("Another partition [dev:tokens=2]");
    long otherSent = System.currentTimeMillis();
    sendTo(1, other);
    await().atMost(WAIT).until(() -> reader.ended(other.getStreamId()));
    long otherTtft = reader.chunks(other.getStreamId()).get(0).getProducedAtMs() - otherSent;

    long endedBehind = shortJobs.stream().filter(j -> reader.ended(j.getStreamId())).count();
    assertThat(reader.ended(longJob.getStreamId())).as("the long job still runs").isFalse();
    assertThat(endedBehind)
        .as("short jobs run behind the long one: at most its window's worth")
        .isLessThan(MAX_UNCOMMITTED);
    assertThat(otherTtft).isLessThan(TTFT_BOUND.toMillis());

    // once the long job ends the window empties and the rest run
    await()
        .atMost(LONG_JOB.plus(WAIT))
        .until(() -> shortJobs.stream().allMatch(j -> reader.ended(j.getStreamId())));
  }

  // ---- helpers

  static ChatJob job(String prompt) {
    return ChatJob.newBuilder()
        .setStreamId("node-1~" + UUID.randomUUID())
        .setUserId("user-" + UUID.randomUUID())
        .setGeneration(System.nanoTime() / 1000)
        .addMessages(ChatMessage.newBuilder().setRole("user").setContent(prompt))
        .setReplyTopic(REPLIES)
        .setReplyPartition(1)
        .setNode("node-1")
        .setDeadlineMs(System.currentTimeMillis() + 120_000)
        .build();
  }

  static String prompt(ChatJob job) {
    return job.getMessages(0).getContent();
  }

  static String text(List<ChatChunk> chunks) {
    return chunks.stream().map(ChatChunk::getDelta).collect(Collectors.joining());
  }

  static RecordMetadata sendTo(int partition, ChatJob job) {
    try {
      return producer
          .send(new ProducerRecord<>(JOBS, partition, job.getUserId(), job.toByteArray()))
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static long committed(int partition) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets("llm-consumer").partitionsToOffsetAndMetadata().get();
    OffsetAndMetadata offset = offsets.get(new TopicPartition(JOBS, partition));
    return offset == null ? -1 : offset.offset();
  }
}
