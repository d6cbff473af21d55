package io.jindouyun.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.jindouyun.consumer.job.InFlightJobs;
import io.jindouyun.consumer.job.JobKey;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatControl;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import io.jindouyun.proto.metrics.v1.GetRequest;
import io.jindouyun.proto.metrics.v1.MetricsServiceGrpc;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.jindouyun.support.metrics.MetricsGrpcServer;
import io.jindouyun.testkit.KafkaExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
import org.springframework.kafka.support.KafkaHeaders;

/** The consumer against a real (embedded KRaft) Kafka broker and the development LLM. */
@Timeout(120)
class LlmConsumerIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final int COALESCE_BYTES = 64;
  static final Duration WAIT = Duration.ofSeconds(15);
  static final String REPLIES = "chat.replies";
  static final String JOB_EXPIRED = "https://jindouyun.io/problems/job-expired";

  static DevLlmServer llm;
  static ConfigurableApplicationContext app;
  static KafkaProducer<String, byte[]> producer;
  static TopicReader reader;
  static Admin admin;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs");
    kafka.createTopics(2, REPLIES, "chat.control");
    kafka.createTopics(1, "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    app =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--server.port=0",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.llm.retry-initial-backoff=50ms",
                "--jindouyun.llm.retry-max-backoff=1s",
                "--jindouyun.consumer.coalesce-bytes=" + COALESCE_BYTES,
                "--jindouyun.consumer.max-in-progress=8",
                "--jindouyun.consumer.max-poll-records=4",
                "--jindouyun.etcd.endpoints=",
                "--jindouyun.metrics.grpc-port=0",
                "--management.endpoint.health.show-components=always");
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
  static void stop() throws Exception {
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
  void jobStreamsTheExactAnswerInSeqOrderWithCoalescedChunks() throws Exception {
    String prompt = "Tell me about the cloud [dev:tokens=120] [dev:delay=2]";
    String streamId = send(job(prompt));

    await().atMost(WAIT).until(() -> reader.ended(streamId));
    List<ChatChunk> chunks = reader.chunks(streamId);
    String text = chunks.stream().map(ChatChunk::getDelta).collect(Collectors.joining());

    assertThat(text).isEqualTo(nonStreamingAnswer(prompt));
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(seqs(chunks.size()));
    assertThat(chunks).extracting(ChatChunk::getAttempt).containsOnly(chunks.get(0).getAttempt());
    ChatChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.getFinish()).isEqualTo("stop");
    assertThat(last.getUsage().getCompletionTokens()).isEqualTo(120);
    assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.getFinish().isEmpty());
    // the first token is sent alone, at once; then tokens are coalesced within the byte bound
    assertThat(chunks.get(0).getDelta()).doesNotContain(" ");
    assertThat(chunks.size()).isBetween(3, 60);
    assertThat(chunks)
        .allMatch(c -> c.getDelta().getBytes(StandardCharsets.UTF_8).length < COALESCE_BYTES + 16);
  }

  @Test
  void aBurstOfTokensIsCutAtTheByteBound() throws Exception {
    String prompt = "Burst [dev:tokens=300] [dev:delay=0]";
    String streamId = send(job(prompt));

    await().atMost(WAIT).until(() -> reader.ended(streamId));
    List<ChatChunk> chunks = reader.chunks(streamId);
    assertThat(chunks.stream().map(ChatChunk::getDelta).collect(Collectors.joining()))
        .isEqualTo(nonStreamingAnswer(prompt));
    long full =
        chunks.stream()
            .filter(c -> c.getDelta().getBytes(StandardCharsets.UTF_8).length >= COALESCE_BYTES)
            .count();
    assertThat(full).isGreaterThan(chunks.size() / 2);
  }

  @Test
  void cancelBeforeTheFirstTokenClosesTheUpstreamCall() {
    long closed = closedEarlyBaseline();
    long requests = llm.requests();
    ChatJob job = job("Slow start [dev:ttft=10000]");
    send(job);
    await().atMost(WAIT).until(() -> llm.requests() > requests);

    cancel(job);

    await().atMost(WAIT).until(() -> llm.closedEarly() == closed + 1);
    assertThat(reader.chunks(job.getStreamId())).isEmpty();
  }

  @Test
  void cancelMidStreamClosesTheUpstreamCall() {
    long closed = closedEarlyBaseline();
    ChatJob job = job("Long answer [dev:tokens=3000] [dev:delay=5]");
    send(job);
    await().atMost(WAIT).until(() -> !reader.chunks(job.getStreamId()).isEmpty());

    cancel(job);

    await().atMost(WAIT).until(() -> llm.closedEarly() == closed + 1);
    assertThat(reader.ended(job.getStreamId())).isFalse();
  }

  @Test
  void aCancelThatOvertakesItsJobStopsItFromStarting() {
    ChatJob job = job("Never started [dev:ttft=10000]");
    cancel(job);
    InFlightJobs inFlight = app.getBean(InFlightJobs.class);
    await()
        .atMost(WAIT)
        .until(() -> inFlight.cancelled(new JobKey(job.getStreamId(), job.getGeneration())));
    long requests = llm.requests();
    // a later job on the same key (so the same partition) shows the earlier one was handled
    ChatJob marker = job("Marker [dev:tokens=2]", job.getUserId());

    send(job);
    send(marker);

    await().atMost(WAIT).until(() -> reader.ended(marker.getStreamId()));
    assertThat(llm.requests()).isEqualTo(requests + 1);
    assertThat(reader.chunks(job.getStreamId())).isEmpty();
  }

  @Test
  void llmErrorMidStreamEndsTheStreamWithAnErrorChunk() {
    ChatJob job = job("Breaks [dev:tokens=40] [dev:fail=error-mid] [dev:fail-after=10]");
    send(job);

    await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    List<ChatChunk> chunks = reader.chunks(job.getStreamId());
    ChatChunk last = chunks.get(chunks.size() - 1);
    assertThat(last.getError().getType())
        .isEqualTo("https://jindouyun.io/problems/llm-stream-failed");
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(seqs(chunks.size()));
    assertThat(chunks.stream().filter(c -> !c.getDelta().isEmpty())).isNotEmpty();
  }

  @Test
  void droppedConnectionMidStreamEndsTheStreamWithAnErrorChunk() {
    ChatJob job = job("Drops [dev:tokens=40] [dev:fail=drop-mid] [dev:fail-after=10]");
    send(job);

    await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    List<ChatChunk> chunks = reader.chunks(job.getStreamId());
    assertThat(chunks.get(chunks.size() - 1).getError().getType())
        .isEqualTo("https://jindouyun.io/problems/llm-stream-failed");
  }

  @Test
  void llm400SendsAnErrorChunkAndADeadLetter() {
    ChatJob job = job("Bad request [dev:fail=400]");
    RecordMetadata sent = sendRecord(job);

    await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    ChatChunk only = reader.chunks(job.getStreamId()).get(0);
    assertThat(only.getSeq()).isZero();
    assertThat(only.getError().getType()).isEqualTo("https://jindouyun.io/problems/llm-rejected");
    assertThat(only.getError().getDetail()).contains("400");

    var dead = awaitDeadLetter(sent);
    assertThat(dead.key()).isEqualTo(job.getUserId());
    assertThat(dead.value()).isEqualTo(job.toByteArray());
    assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).contains("400");
    assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_FQCN))
        .isEqualTo("io.jindouyun.consumer.llm.LlmHttpException");
    assertThat(header(dead, KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo("chat.jobs");
  }

  @Test
  void serverErrorBeforeStreamingIsRetriedThenSucceeds() throws Exception {
    String prompt = "Flaky [dev:fail=500] [dev:fail-times=1] [dev:tokens=20]";
    long requests = llm.requests();
    String streamId = send(job(prompt));

    await().atMost(WAIT).until(() -> reader.ended(streamId));
    List<ChatChunk> chunks = reader.chunks(streamId);
    assertThat(llm.requests()).isEqualTo(requests + 2);
    assertThat(chunks.get(chunks.size() - 1).getFinish()).isEqualTo("stop");
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(seqs(chunks.size()));
    assertThat(chunks.stream().map(ChatChunk::getDelta).collect(Collectors.joining()))
        .isEqualTo(nonStreamingAnswer(prompt));
  }

  @Test
  void rateLimitBeforeStreamingIsRetriedThenSucceeds() {
    String prompt = "Busy [dev:fail=429] [dev:fail-times=1] [dev:tokens=5]";
    long requests = llm.requests();
    String streamId = send(job(prompt));

    await().atMost(WAIT).until(() -> reader.ended(streamId));
    assertThat(llm.requests()).isEqualTo(requests + 2);
    List<ChatChunk> chunks = reader.chunks(streamId);
    assertThat(chunks.get(chunks.size() - 1).getFinish()).isEqualTo("stop");
  }

  @Test
  void unparseableJobGoesToTheDeadLetterTopic() {
    RecordMetadata sent =
        sent(producer.send(new ProducerRecord<>("chat.jobs", "user-x", "not a job".getBytes())));

    var dead = awaitDeadLetter(sent);
    assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_FQCN))
        .isEqualTo("io.jindouyun.consumer.job.InvalidJobException");
    await().atMost(WAIT).until(() -> committed(sent) == sent.offset() + 1);
  }

  @Test
  void aFinishedJobIsCommittedOnlyAfterEveryEarlierOne() {
    ChatJob slow = job("Slow [dev:tokens=60] [dev:delay=50]");
    ChatJob fast = job("Fast [dev:tokens=3]");
    RecordMetadata slowAt = sendTo(2, slow);
    RecordMetadata fastAt = sendTo(2, fast);

    await().atMost(WAIT).until(() -> reader.ended(fast.getStreamId()));
    await().atMost(WAIT).until(() -> committed(slowAt) == slowAt.offset());
    assertThat(reader.ended(slow.getStreamId())).as("the slow job still runs").isFalse();

    await().atMost(WAIT).until(() -> reader.ended(slow.getStreamId()));
    await().atMost(WAIT).until(() -> committed(fastAt) == fastAt.offset() + 1);
  }

  @Test
  void aJobWhoseDeadlinePassesIsStoppedWithAnExpiredErrorAndItsUpstreamCallClosed() {
    long closed = closedEarlyBaseline();
    ChatJob job =
        job("Too slow [dev:ttft=10000]").toBuilder()
            .setDeadlineMs(System.currentTimeMillis() + 1_500)
            .build();
    RecordMetadata at = sendRecord(job);

    await().atMost(WAIT).until(() -> llm.closedEarly() == closed + 1);
    await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    assertThat(reader.chunks(job.getStreamId()))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getSeq()).isZero();
              assertThat(c.getError().getType()).isEqualTo(JOB_EXPIRED);
              assertThat(c.getError().getStatus()).isEqualTo(504);
            });
    await().atMost(WAIT).until(() -> committed(at) > at.offset());
  }

  @Test
  void aJobPastItsDeadlineIsNeverStartedAndEndsItsStreamWithAnExpiredError() {
    long requests = llm.requests();
    ChatJob late =
        job("Late").toBuilder().setDeadlineMs(System.currentTimeMillis() - 1_000).build();
    ChatJob marker = job("Marker after late [dev:tokens=2]", late.getUserId());

    sendRecord(late);
    send(marker);

    await().atMost(WAIT).until(() -> reader.ended(marker.getStreamId()));
    await().atMost(WAIT).until(() -> reader.ended(late.getStreamId()));
    assertThat(llm.requests()).isEqualTo(requests + 1);
    assertThat(reader.chunks(late.getStreamId()))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getSeq()).isZero();
              assertThat(c.getAttempt()).isPositive();
              assertThat(c.getDelta()).isEmpty();
              assertThat(c.getError().getType()).isEqualTo(JOB_EXPIRED);
            });
  }

  @Test
  void aConsumerHoldsAtMostMaxInProgressJobsAndPausesUntilSomeFinish() {
    long requests = llm.requests();
    List<ChatJob> jobs =
        java.util.stream.IntStream.range(0, 12)
            .mapToObj(i -> job("Queued " + i + " [dev:ttft=1500] [dev:tokens=2]"))
            .toList();
    jobs.forEach(j -> sendTo(0, j));

    // partition 0 belongs to one consumer, which may hold 8 (max-in-progress); it pauses once
    // fewer than a poll's worth (4) of slots are free, so it holds 5 to 8 while all are slow
    await().atMost(WAIT).until(() -> llm.requests() - requests >= 5);
    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(1))
        .until(() -> llm.requests() - requests <= 8);
    await().atMost(WAIT).until(() -> jobs.stream().allMatch(j -> reader.ended(j.getStreamId())));
    assertThat(llm.requests() - requests).isEqualTo(12);
  }

  @Test
  void metersAndActuatorEndpointsAreServed() throws Exception {
    String streamId = send(job("Measure me [dev:tokens=5]"));
    await().atMost(WAIT).until(() -> reader.ended(streamId));
    String port = app.getEnvironment().getProperty("local.server.port");
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> prometheus =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(prometheus.statusCode()).isEqualTo(200);
    assertThat(prometheus.body())
        .contains("jdy_requests_seconds_count{outcome=\"completed\"}")
        .contains("jdy_ttft_seconds_count")
        .contains("jdy_tokens_total")
        .contains("jdy_requests_active")
        .contains("jdy_queue_depth")
        .contains("jdy_consumer_lag");
    HttpResponse<String> readiness =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"kafka\":{\"status\":\"UP\"");
  }

  // --- helpers

  static RecordMetadata sent(java.util.concurrent.Future<RecordMetadata> future) {
    try {
      return future.get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Long[] seqs(int n) {
    Long[] seqs = new Long[n];
    for (int i = 0; i < n; i++) {
      seqs[i] = (long) i;
    }
    return seqs;
  }

  @Test
  void theSnapshotShowsTheQueueWaitFromTheRecordTimestampAndTheUpstreamTtft() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", app.getBean(MetricsGrpcServer.class).port())
            .usePlaintext()
            .build();
    try {
      MetricsServiceGrpc.MetricsServiceBlockingStub metrics =
          MetricsServiceGrpc.newBlockingStub(channel);
      metrics.withDeadlineAfter(5, TimeUnit.SECONDS).get(GetRequest.getDefaultInstance());
      ChatJob job = job("Queued a while [dev:ttft=400] [dev:tokens=3]");
      // a record stamped 3 s ago: the job waited that long in the queue before its LLM call
      sent(
          producer.send(
              new ProducerRecord<>(
                  "chat.jobs",
                  null,
                  System.currentTimeMillis() - 3_000,
                  job.getUserId(),
                  job.toByteArray())));
      double[] most = new double[2];

      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                MetricsSnapshot s =
                    metrics
                        .withDeadlineAfter(5, TimeUnit.SECONDS)
                        .get(GetRequest.getDefaultInstance());
                most[0] = Math.max(most[0], s.getAvgQueueWaitMs());
                most[1] = Math.max(most[1], s.getAvgUpstreamTtftMs());
                assertThat(most[0]).isGreaterThanOrEqualTo(1_000);
                assertThat(most[1]).isGreaterThanOrEqualTo(200);
              });
      await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static ChatJob job(String prompt) {
    return job(prompt, "user-" + UUID.randomUUID());
  }

  static ChatJob job(String prompt, String userId) {
    return ChatJob.newBuilder()
        .setStreamId("node-1~" + UUID.randomUUID())
        .setUserId(userId)
        .setGeneration(System.nanoTime() / 1000)
        .addMessages(ChatMessage.newBuilder().setRole("user").setContent(prompt))
        .setReplyTopic(REPLIES)
        .setReplyPartition(1)
        .setNode("node-1")
        .setDeadlineMs(System.currentTimeMillis() + 60_000)
        .build();
  }

  static String send(ChatJob job) {
    sendRecord(job);
    return job.getStreamId();
  }

  static RecordMetadata sendRecord(ChatJob job) {
    return sent(
        producer.send(new ProducerRecord<>("chat.jobs", job.getUserId(), job.toByteArray())));
  }

  static RecordMetadata sendTo(int partition, ChatJob job) {
    return sent(
        producer.send(
            new ProducerRecord<>("chat.jobs", partition, job.getUserId(), job.toByteArray())));
  }

  static void cancel(ChatJob job) {
    ChatControl cancel =
        ChatControl.newBuilder()
            .setCancel(
                ChatControl.Cancel.newBuilder()
                    .setStreamId(job.getStreamId())
                    .setGeneration(job.getGeneration())
                    .setReason("test"))
            .build();
    sent(
        producer.send(
            new ProducerRecord<>("chat.control", job.getStreamId(), cancel.toByteArray())));
  }

  static org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> awaitDeadLetter(
      RecordMetadata original) {
    return await()
        .atMost(WAIT)
        .until(
            () ->
                reader.deadLetters.stream()
                    .filter(
                        r ->
                            java.nio.ByteBuffer.wrap(
                                            r.headers()
                                                .lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET)
                                                .value())
                                        .getLong()
                                    == original.offset()
                                && java.nio.ByteBuffer.wrap(
                                            r.headers()
                                                .lastHeader(KafkaHeaders.DLT_ORIGINAL_PARTITION)
                                                .value())
                                        .getInt()
                                    == original.partition())
                    .findFirst()
                    .orElse(null),
            r -> r != null);
  }

  static String header(
      org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  static long committed(RecordMetadata at) throws Exception {
    TopicPartition partition = new TopicPartition(at.topic(), at.partition());
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets("llm-consumer").partitionsToOffsetAndMetadata().get();
    OffsetAndMetadata offset = offsets.get(partition);
    return offset == null ? -1 : offset.offset();
  }

  static String nonStreamingAnswer(String prompt) throws Exception {
    return nonStreamingAnswer(llm, prompt);
  }

  static String nonStreamingAnswer(DevLlmServer llm, String prompt) throws Exception {
    return DevLlmAnswers.of(llm, prompt);
  }

  /**
   * The LLM's count of early-closed calls once no call of an earlier test is still open, so that a
   * late close of an earlier stream cannot be counted as this test's.
   */
  private long closedEarlyBaseline() {
    await().atMost(WAIT).until(() -> llm.activeRequests() == 0);
    return llm.closedEarly();
  }
}
