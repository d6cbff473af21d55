package io.jindouyun.consumer.config;

import io.jindouyun.consumer.job.AttemptStamps;
import io.jindouyun.consumer.job.FailureClassifier;
import io.jindouyun.consumer.job.InFlightJobs;
import io.jindouyun.consumer.job.JobEnvironment;
import io.jindouyun.consumer.job.JobMetrics;
import io.jindouyun.consumer.job.JobParser;
import io.jindouyun.consumer.job.JobRunner;
import io.jindouyun.consumer.job.TurnRecorder;
import io.jindouyun.consumer.kafka.ControlReader;
import io.jindouyun.consumer.kafka.DeadLetters;
import io.jindouyun.consumer.kafka.JobConsumers;
import io.jindouyun.consumer.kafka.KafkaReplySink;
import io.jindouyun.consumer.llm.LlmClient;
import io.jindouyun.consumer.llm.OpenAiStreamingClient;
import io.jindouyun.consumer.reply.CoalesceDelay;
import io.jindouyun.support.backoff.Backoff;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wires the consumer: Kafka clients built from {@code spring.kafka.*} with the settings the design
 * fixes (producer {@code acks=all}, idempotence, {@code linger.ms=1}, one request in flight;
 * consumers without auto-commit), the LLM client, the job runner, the job consumers and the control
 * reader.
 *
 * <h2>Takeover of a dead consumer</h2>
 *
 * The job consumers use the classic group protocol with {@code session-timeout} (6 s) and {@code
 * heartbeat-interval} (1 s) from {@link ConsumerProperties}: a killed consumer stops heartbeating,
 * the coordinator drops it after the session timeout and the cooperative rebalance hands its
 * partitions to the survivors, which restart its uncommitted jobs (higher attempt, so the gateway
 * resets the stream). The newer consumer protocol (KIP-848, which the 4.3 broker enables) was not
 * chosen: its session timeout is the broker's ({@code group.consumer.session.timeout.ms}, at least
 * {@code group.consumer.min.session.timeout.ms}, 45 s by default), so a fast takeover would need
 * every broker configured for it, while the classic session timeout is the client's own down to the
 * broker's default minimum of 6 s.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ConsumerProperties.class, LlmProperties.class})
class ConsumerConfiguration {

  @Bean
  ProducerFactory<String, byte[]> jdyProducerFactory(KafkaProperties kafka) {
    Map<String, Object> config = kafka.buildProducerProperties();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    // One produce request in flight: chunks that come while one is out wait for its answer and go
    // in the next request together, so records per request grow with the load and nothing waits
    // when the load is low (BENCHMARKS.md, "Where the CPU goes now": ~8% less CPU per token at N =
    // 100).
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    return new DefaultKafkaProducerFactory<>(
        config, new StringSerializer(), new ByteArraySerializer());
  }

  @Bean
  KafkaTemplate<String, byte[]> jdyKafkaTemplate(ProducerFactory<String, byte[]> producers) {
    return new KafkaTemplate<>(producers);
  }

  /**
   * The web server's own event loops instead of reactor-netty's global ones, so that closing this
   * context does not dispose resources other code in the same JVM uses (tests run several services
   * and the development LLM in one JVM).
   */
  @Bean
  ReactorResourceFactory reactorResourceFactory() {
    ReactorResourceFactory factory = new ReactorResourceFactory();
    factory.setUseGlobalResources(false);
    factory.setShutdownQuietPeriod(Duration.ZERO);
    return factory;
  }

  @Bean(destroyMethod = "close")
  OpenAiStreamingClient llmClient(LlmProperties llm, JsonMapper mapper) {
    return new OpenAiStreamingClient(
        new OpenAiStreamingClient.Settings(
            llm.baseUrl(),
            llm.apiKey(),
            llm.connectTimeout(),
            llm.readTimeout(),
            llm.maxConnections(),
            llm.maxEventBytes()),
        mapper);
  }

  @Bean(destroyMethod = "dispose")
  Scheduler jdyReplyScheduler(ConsumerProperties properties) {
    return Schedulers.newParallel("jdy-reply", properties.replyThreads(), true);
  }

  @Bean
  JobMetrics jobMetrics(MeterRegistry registry) {
    return new JobMetrics(registry);
  }

  @Bean
  InFlightJobs inFlightJobs(ConsumerProperties properties) {
    return new InFlightJobs(
        properties.concurrency() * properties.maxInProgress(), properties.cancelMemory());
  }

  @Bean
  JobRunner jobRunner(
      LlmProperties llm,
      ConsumerProperties properties,
      LlmClient client,
      KafkaTemplate<String, byte[]> template,
      InFlightJobs inFlight,
      Scheduler jdyReplyScheduler,
      JobMetrics metrics,
      TurnRecorder turns) {
    JobEnvironment env =
        new JobEnvironment(
            client,
            new KafkaReplySink(template),
            new AttemptStamps(System::currentTimeMillis, properties.stampMemory()),
            new FailureClassifier(OpenAiStreamingClient.TRANSPORT_FAILURES),
            new Backoff(llm.retryInitialBackoff(), llm.retryMaxBackoff()),
            llm.maxRetries(),
            llm.retryMaxBackoff(),
            properties.coalesceBytes(),
            new CoalesceDelay(
                properties.coalesceDelay(),
                properties.coalesceMaxDelay(),
                properties.coalesceChunkRate()),
            inFlight::size,
            properties.maxJobDuration(),
            System::currentTimeMillis,
            metrics,
            turns);
    return new JobRunner(new JobParser(llm.model()), env, inFlight, jdyReplyScheduler);
  }

  @Bean
  JobConsumers jobConsumers(
      KafkaProperties kafka,
      ConsumerProperties properties,
      JobRunner runner,
      KafkaTemplate<String, byte[]> template,
      JobMetrics metrics) {
    Map<String, Object> config = kafka.buildConsumerProperties();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, properties.groupId());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, properties.effectiveMaxPollRecords());
    config.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // fast takeover: the classic protocol, the session and heartbeat set here (see README)
    config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    config.put(
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) properties.sessionTimeout().toMillis());
    config.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        (int) properties.heartbeatInterval().toMillis());
    DefaultKafkaConsumerFactory<String, byte[]> factory =
        new DefaultKafkaConsumerFactory<>(
            config, new StringDeserializer(), new ByteArrayDeserializer());
    DeadLetters deadLetters =
        new DeadLetters(template, properties.deadLetterTopic(), properties.groupId());
    JobConsumers.Settings settings =
        new JobConsumers.Settings(
            properties.jobsTopic(),
            properties.groupId(),
            properties.concurrency(),
            properties.maxInProgress(),
            properties.maxUncommitted(),
            properties.effectiveMaxPollRecords(),
            properties.pollTimeout(),
            properties.drainTimeout(),
            properties.userMemory(),
            properties.rateLimit().capacity(),
            properties.rateLimit().refillPeriod(),
            properties.rateLimit().maxUsers());
    return new JobConsumers(factory, settings, runner, deadLetters, metrics);
  }

  @Bean
  ControlReader controlReader(
      KafkaProperties kafka, ConsumerProperties properties, InFlightJobs inFlight) {
    Map<String, Object> config = kafka.buildConsumerProperties();
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.CLIENT_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    return new ControlReader(
        () -> new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer()),
        properties.controlTopic(),
        properties.controlReplay(),
        inFlight,
        System::currentTimeMillis);
  }
}
